import type { App, BlockAction, ButtonAction } from '@slack/bolt';

/**
 * Buttons that only open a URL (e.g. a ticket on the city portal) still send an interaction;
 * Slack shows an error on the button unless it is acknowledged. Nothing else to do.
 */
export function register(app: App): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions' }, async ({ action, ack }) => {
    if (action.type === 'button' && typeof action.url === 'string' && action.url !== '') await ack();
  });
}
