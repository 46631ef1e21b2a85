/**
 * Reading Web API arguments the way Slack validates them. A handler throws SlackApiFailure for a
 * real Slack error; the dispatcher (slack-api.ts) answers it as `{ ok: false, error, response_metadata }`.
 */
import type { ChannelState, SlackWorkspace } from './slack-workspace.js';

export type MethodArgs = Record<string, unknown>;

/** A Slack error code (and optional `response_metadata.messages`) a method answers with. */
export class SlackApiFailure extends Error {
  constructor(
    readonly slackError: string,
    readonly messages: string[] = [],
  ) {
    super(slackError);
  }
}

export function requireString(args: MethodArgs, field: string): string {
  const value = optionalString(args, field);
  if (value !== undefined) return value;
  throw new SlackApiFailure('invalid_arguments', [`[ERROR] missing required field: ${field}`]);
}

export function optionalString(args: MethodArgs, field: string): string | undefined {
  const value = args[field];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function requireChannel(workspace: SlackWorkspace, args: MethodArgs, field = 'channel'): ChannelState {
  const channel = workspace.resolveChannel(args[field]);
  if (!channel) throw new SlackApiFailure('channel_not_found');
  return channel;
}

/** `blocks` as Slack checks them: an array of at most 50 objects with a `type`. */
export function readBlocks(args: MethodArgs): unknown[] | undefined {
  const blocks = args.blocks;
  if (blocks === undefined || blocks === null || blocks === '') return undefined;
  if (!Array.isArray(blocks)) throw new SlackApiFailure('invalid_blocks_format');
  if (blocks.length > 50) throw new SlackApiFailure('invalid_blocks', ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
  blocks.forEach((block, index) => {
    if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string') {
      throw new SlackApiFailure('invalid_blocks', [`[ERROR] missing required field: type [json-pointer:/blocks/${index}]`]);
    }
  });
  return blocks;
}
