import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { SLA_PICK_TYPE_ACTION_PATTERN, slaActionValueSchema } from '../../blocks/sla-blocks.js';
import { answerSlaRequest } from '../shared/answer-sla.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';

/**
 * A "did you mean" suggestion or a "Details" button of the worst-types list: shows that type's
 * SLA card in place of the private message (or posts it for the channel when the original
 * command asked for in_channel).
 */
export function register(app: App, deps: SlackListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(SLA_PICK_TYPE_ACTION_PATTERN, async ({ ack, action, body, respond, client }) => {
    await ack();
    await runAfterAck(
      deps.logger,
      (text) => respond({ response_type: 'ephemeral', replace_original: false, text }),
      async () => {
        const value = slaActionValueSchema.parse(JSON.parse(action.value ?? '{}'));
        const channelId = body.channel?.id ?? body.container?.channel_id;
        await answerSlaRequest(
          deps,
          { client, respond },
          { typeText: value.type, inChannel: value.inChannel, city: value.city, channelId, userId: body.user.id, replaceOriginal: true },
        );
        // The suggestion prompt has served its purpose once the card is in the channel.
        if (value.inChannel) await respond({ delete_original: true });
      },
      { action: action.action_id, user: body.user.id },
    );
  });
}
