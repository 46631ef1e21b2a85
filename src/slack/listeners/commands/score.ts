import type { App } from '@slack/bolt';
import { buildScoreModal } from '../../blocks/score-modal.js';
import { SlackPostError } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';
import type { RequestTypeOptionsCache } from '../shared/request-type-options.js';

export const SCORE_COMMAND = '/score';

/**
 * `/score` opens the scoring form with the command's trigger_id. The trigger expires 3 s after
 * the command, so the type list comes from a cache and the form falls back to a text field
 * when the warehouse is slow.
 */
export function register(app: App, deps: SlackListenerDeps & { requestTypes: RequestTypeOptionsCache }): void {
  app.command(SCORE_COMMAND, async ({ command, ack, respond, client }) => {
    await ack();
    await runAfterAck(
      deps.logger,
      (text) => respond({ response_type: 'ephemeral', text }),
      async () => {
        const view = buildScoreModal({ requestTypes: await deps.requestTypes.get() });
        try {
          await client.views.open({ trigger_id: command.trigger_id, view });
        } catch (error) {
          throw new SlackPostError('views.open', error);
        }
      },
      { command: SCORE_COMMAND, user: command.user_id },
    );
  });
}
