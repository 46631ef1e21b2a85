/**
 * `conversations.info`, `conversations.join`, and `conversations.history` / `conversations.replies`
 * (newest first / parent first, `limit` + `cursor` paging, `metadata` only with `include_all_metadata`).
 */
import { buildHistoryMessageJson } from './chat.methods.js';
import type { FakeMessage } from './fake-slack.types.js';
import type { MethodTable } from './slack-api.js';
import { optionalString, requireChannel, requireString, SlackApiFailure, type MethodArgs } from './slack-args.js';
import type { ChannelState, SlackWorkspace } from './slack-workspace.js';

export function createConversationsMethods(workspace: SlackWorkspace): MethodTable {
  return {
    'conversations.info': (args) => {
      const channel = requireChannel(workspace, args);
      return { json: { ok: true, channel: buildChannelJson(workspace, channel) } };
    },
    'conversations.join': (args) => {
      const channel = requireChannel(workspace, args);
      const alreadyIn = channel.isMember;
      channel.isMember = true;
      return {
        json: {
          ok: true,
          channel: buildChannelJson(workspace, channel),
          ...(alreadyIn ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}),
        },
      };
    },
    'conversations.history': (args) => {
      const channel = requireChannel(workspace, args);
      if (!channel.isMember) throw new SlackApiFailure('not_in_channel');
      const oldest = optionalString(args, 'oldest');
      const latest = optionalString(args, 'latest');
      const roots = workspace.messages
        .filter((message) => message.channel === channel.id && message.ephemeralTo === undefined && message.threadTs === undefined)
        .filter(
          (message) =>
            (oldest === undefined || Number(message.ts) >= Number(oldest)) &&
            (latest === undefined || Number(message.ts) <= Number(latest)),
        )
        .reverse();
      return { json: { ...page(workspace, roots, args), pin_count: 0, channel_actions_count: 0 } };
    },
    'conversations.replies': (args) => {
      const channel = requireChannel(workspace, args);
      if (!channel.isMember) throw new SlackApiFailure('not_in_channel');
      const ts = requireString(args, 'ts');
      const parent = workspace.findMessage(channel.id, ts);
      if (!parent) throw new SlackApiFailure('thread_not_found');
      const rootTs = parent.threadTs ?? parent.ts;
      const root = workspace.findMessage(channel.id, rootTs);
      const replies = workspace.messages.filter(
        (message) => message.channel === channel.id && message.ephemeralTo === undefined && message.threadTs === rootTs,
      );
      return { json: page(workspace, root ? [root, ...replies] : replies, args) };
    },
  };
}

/** One page of messages as Slack pages them: `limit` (default 100, at most 999) and an opaque `cursor`. */
function page(workspace: SlackWorkspace, messages: FakeMessage[], args: MethodArgs): Record<string, unknown> {
  const limit = Math.min(999, Math.max(1, Number(optionalString(args, 'limit') ?? 100) || 100));
  const cursor = optionalString(args, 'cursor');
  const start = cursor
    ? Number(
        Buffer.from(cursor, 'base64')
          .toString('utf8')
          .replace(/^offset:/, ''),
      )
    : 0;
  if (!Number.isInteger(start) || start < 0) throw new SlackApiFailure('invalid_cursor');
  const includeMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
  const slice = messages.slice(start, start + limit);
  const hasMore = start + limit < messages.length;
  return {
    ok: true,
    messages: slice.map((message) => buildHistoryMessageJson(workspace, message, includeMetadata)),
    has_more: hasMore,
    response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${start + limit}`).toString('base64') : '' },
  };
}

function buildChannelJson(workspace: SlackWorkspace, channel: ChannelState): Record<string, unknown> {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: channel.id.startsWith('C'),
    is_group: channel.id.startsWith('G'),
    is_im: channel.id.startsWith('D'),
    is_private: !channel.id.startsWith('C'),
    is_archived: false,
    is_member: channel.isMember,
    created: channel.created,
    creator: 'U0OPSLEAD1',
    name_normalized: channel.name,
    context_team_id: workspace.teamId,
  };
}
