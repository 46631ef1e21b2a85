import type { App } from '@slack/bolt';
import { SCORE_HELP_TEXT, isHelpRequest } from '../../blocks/score-help.js';
import { buildScoreModal } from '../../blocks/score-modal.js';
import { SlackPostError } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';
import { SCORE_FIELD, toTypeOption } from '../../blocks/score-modal.js';
import { createRequestTypeSearch, type RequestTypeOptionsCache } from '../shared/request-type-options.js';

export const SCORE_COMMAND = '/score';

/**
 * `/score` opens the scoring form with the command's trigger_id. The trigger expires 3 s after
 * the command, so the type list comes from a cache and the form falls back to a text field
 * when the warehouse is slow.
 */
export function register(app: App, deps: SlackListenerDeps & { requestTypes: RequestTypeOptionsCache }): void {
  app.command(SCORE_COMMAND, async ({ command, ack, respond, client }) => {
    await ack();
    if (isHelpRequest(command.text)) {
      await respond({ response_type: 'ephemeral', text: SCORE_HELP_TEXT });
      return;
    }
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
      { channelId: command.channel_id, again: 'try /score again' },
    );
  });

  // The form's type menu, when there are more types than a static menu holds, asks here as the
  // person types (block_suggestion, at the manifest's options load URL).
  const typeSearch = createRequestTypeSearch(deps.warehouse.db);
  app.options(SCORE_FIELD.requestType, async ({ options, ack }) => {
    try {
      const types = await typeSearch.search(typeof options.value === 'string' ? options.value : '');
      await ack({ options: types.map(toTypeOption) });
    } catch (error) {
      deps.logger.error({ err: error }, 'could not list request types for the /score menu');
      await ack({ options: [] });
    }
  });
}
