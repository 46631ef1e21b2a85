/** `conversations.info` and `conversations.join`. */
import type { MethodTable } from './slack-api.js';
import { requireChannel } from './slack-args.js';
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
