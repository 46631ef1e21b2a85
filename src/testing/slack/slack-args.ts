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

/** Slack's limit on a message's top-level `text` (longer: `msg_too_long`). */
export const MAX_MESSAGE_TEXT_CHARS = 40_000;
/** Slack's limits on a section's text and on each of its fields. */
export const MAX_SECTION_TEXT_CHARS = 3_000;
export const MAX_SECTION_FIELD_CHARS = 2_000;

/** `blocks` as Slack checks them: at most `maxBlocks` objects with a `type`, section texts within 3,000 characters. */
export function readBlocks(args: MethodArgs, maxBlocks = 50, pointer = '/blocks'): unknown[] | undefined {
  const blocks = args.blocks;
  if (blocks === undefined || blocks === null || blocks === '') return undefined;
  if (!Array.isArray(blocks)) throw new SlackApiFailure('invalid_blocks_format');
  checkBlocks(blocks, maxBlocks, pointer);
  return blocks;
}

/** Throws `invalid_blocks` (with Slack's json-pointer message) for blocks Slack would refuse. */
export function checkBlocks(blocks: unknown[], maxBlocks: number, pointer: string): void {
  if (blocks.length > maxBlocks) {
    throw new SlackApiFailure('invalid_blocks', [`[ERROR] no more than ${maxBlocks} items allowed [json-pointer:${pointer}]`]);
  }
  blocks.forEach((block, index) => {
    if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string') {
      throw new SlackApiFailure('invalid_blocks', [`[ERROR] missing required field: type [json-pointer:${pointer}/${index}]`]);
    }
    const section = block as { type: string; text?: { text?: unknown }; fields?: { text?: unknown }[] };
    if (section.type !== 'section') return;
    const tooLong = (value: unknown, max = MAX_SECTION_TEXT_CHARS) => typeof value === 'string' && value.length > max;
    if (tooLong(section.text?.text)) {
      throw new SlackApiFailure('invalid_blocks', [
        `[ERROR] must be less than ${MAX_SECTION_TEXT_CHARS + 1} characters [json-pointer:${pointer}/${index}/text/text]`,
      ]);
    }
    (Array.isArray(section.fields) ? section.fields : []).forEach((field, fieldIndex) => {
      if (tooLong(field?.text, MAX_SECTION_FIELD_CHARS)) {
        throw new SlackApiFailure('invalid_blocks', [
          `[ERROR] must be less than 2001 characters [json-pointer:${pointer}/${index}/fields/${fieldIndex}/text]`,
        ]);
      }
    });
  });
}
