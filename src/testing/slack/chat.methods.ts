/** `chat.postMessage`, `chat.postEphemeral` and `chat.update`, answering like Slack. */
import type { FakeMessage } from './fake-slack.types.js';
import type { MethodTable } from './slack-api.js';
import {
  MAX_MESSAGE_TEXT_CHARS,
  optionalString,
  readBlocks,
  requireChannel,
  requireString,
  SlackApiFailure,
  type MethodArgs,
} from './slack-args.js';
import type { SlackWorkspace } from './slack-workspace.js';

export function createChatMethods(workspace: SlackWorkspace): MethodTable {
  return {
    'chat.postMessage': (args) => {
      const channel = requireChannel(workspace, args);
      if (!channel.isMember) throw new SlackApiFailure('not_in_channel');
      const { text, blocks } = readMessageContent(args);
      const metadata = readMetadata(args);
      const threadTs = optionalString(args, 'thread_ts');
      if (threadTs !== undefined) countThreadReply(workspace, channel.id, threadTs);
      const message: FakeMessage = { channel: channel.id, ts: workspace.nextTs(), text, blocks, threadTs, replyCount: 0, metadata };
      workspace.messages.push(message);
      return { json: { ok: true, channel: channel.id, ts: message.ts, message: buildMessageJson(workspace, message) } };
    },
    'chat.postEphemeral': (args) => {
      const channel = requireChannel(workspace, args);
      const user = requireString(args, 'user');
      const { text, blocks } = readMessageContent(args);
      const message: FakeMessage = {
        channel: channel.id,
        ts: workspace.nextTs(),
        text,
        blocks,
        threadTs: optionalString(args, 'thread_ts'),
        replyCount: 0,
        ephemeralTo: user,
      };
      workspace.messages.push(message);
      return { json: { ok: true, message_ts: message.ts } };
    },
    'chat.update': (args) => {
      const channel = requireChannel(workspace, args);
      const ts = requireString(args, 'ts');
      const message = workspace.findMessage(channel.id, ts);
      if (!message) throw new SlackApiFailure('message_not_found');
      const blocks = readBlocks(args);
      const text = optionalString(args, 'text');
      if (text === undefined && !blocks && args.attachments === undefined) throw new SlackApiFailure('no_text');
      if (text !== undefined && text.length > MAX_MESSAGE_TEXT_CHARS) throw new SlackApiFailure('msg_too_long');
      const metadata = readMetadata(args);
      if (text !== undefined) message.text = text;
      if (blocks) message.blocks = blocks;
      if (metadata) message.metadata = metadata;
      return { json: { ok: true, channel: channel.id, ts, text: message.text, message: buildMessageJson(workspace, message) } };
    },
  };
}

/** Slack threads a reply onto the root of the thread even when given a reply's ts. */
export function countThreadReply(workspace: SlackWorkspace, channelId: string, threadTs: string): void {
  const parent = workspace.findMessage(channelId, threadTs);
  if (parent) parent.replyCount += 1;
}

/** Text and blocks of a new message; one of text, blocks or attachments is required. */
function readMessageContent(args: MethodArgs): { text: string; blocks: unknown[] | undefined } {
  const blocks = readBlocks(args);
  const text = optionalString(args, 'text') ?? '';
  if (text === '' && !blocks && args.attachments === undefined) throw new SlackApiFailure('no_text');
  if (text.length > MAX_MESSAGE_TEXT_CHARS) throw new SlackApiFailure('msg_too_long');
  return { text, blocks };
}

/** Message metadata as Slack checks it: `{ event_type, event_payload }`, the type in snake_case. */
function readMetadata(args: MethodArgs): FakeMessage['metadata'] {
  const metadata = args.metadata;
  if (metadata === undefined || metadata === null || metadata === '') return undefined;
  const record = typeof metadata === 'object' && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : undefined;
  const eventType = record?.event_type;
  const payload = record?.event_payload;
  if (typeof eventType !== 'string' || !/^[a-z0-9_]+$/.test(eventType) || typeof payload !== 'object' || payload === null) {
    throw new SlackApiFailure('invalid_metadata_format');
  }
  return { event_type: eventType, event_payload: payload as Record<string, unknown> };
}

/** A message as conversations.history / replies return it; `metadata` only when asked for. */
export function buildHistoryMessageJson(
  workspace: SlackWorkspace,
  message: FakeMessage,
  includeMetadata: boolean,
): Record<string, unknown> {
  return {
    ...buildMessageJson(workspace, message),
    ...(message.threadTs === undefined && message.replyCount > 0 ? { thread_ts: message.ts, reply_count: message.replyCount } : {}),
    ...(includeMetadata && message.metadata ? { metadata: message.metadata } : {}),
  };
}

function buildMessageJson(workspace: SlackWorkspace, message: FakeMessage): Record<string, unknown> {
  const { botUserId, botId, appId, teamId } = workspace;
  return {
    user: botUserId,
    type: 'message',
    ts: message.ts,
    bot_id: botId,
    app_id: appId,
    text: message.text,
    team: teamId,
    bot_profile: { id: botId, app_id: appId, name: 'CivicOps-311', deleted: false, team_id: teamId },
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs, parent_user_id: botUserId } : {}),
  };
}
