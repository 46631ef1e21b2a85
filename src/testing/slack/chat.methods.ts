/** `chat.postMessage`, `chat.postEphemeral` and `chat.update`, answering like Slack. */
import type { FakeMessage } from './fake-slack.types.js';
import type { MethodTable } from './slack-api.js';
import { optionalString, readBlocks, requireChannel, requireString, SlackApiFailure, type MethodArgs } from './slack-args.js';
import type { SlackWorkspace } from './slack-workspace.js';

export function createChatMethods(workspace: SlackWorkspace): MethodTable {
  return {
    'chat.postMessage': (args) => {
      const channel = requireChannel(workspace, args);
      const { text, blocks } = readMessageContent(args);
      const threadTs = optionalString(args, 'thread_ts');
      if (threadTs !== undefined) countThreadReply(workspace, channel.id, threadTs);
      const message: FakeMessage = { channel: channel.id, ts: workspace.nextTs(), text, blocks, threadTs, replyCount: 0 };
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
      if (text !== undefined) message.text = text;
      if (blocks) message.blocks = blocks;
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
  return { text, blocks };
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
