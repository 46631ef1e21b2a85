import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { SLA_SHARE_ACTION_ID, slaActionValueSchema } from '../../blocks/sla-blocks.js';
import { answerSlaRequest } from '../shared/answer-sla.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';

/** The Share button under a private /sla reply: posts the same view (fresh numbers) for the channel, with the chart. */
export function register(app: App, deps: SlackListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(SLA_SHARE_ACTION_ID, async ({ ack, action, body, respond, client }) => {
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
          {
            typeText: value.type,
            inChannel: true,
            city: value.city,
            channelId,
            userId: body.user.id,
            replaceOriginal: false,
            again: 'press Share again',
          },
        );
      },
      { action: SLA_SHARE_ACTION_ID, user: body.user.id },
      { channelId: body.channel?.id ?? body.container?.channel_id, again: 'press Share again' },
    );
  });
}
