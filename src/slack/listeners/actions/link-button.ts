import type { App, BlockAction } from '@slack/bolt';
import { ALERT_ACKNOWLEDGE_ACTION_ID } from '../../blocks/alert-blocks.js';
import { SLA_PICK_TYPE_ACTION_PATTERN, SLA_SHARE_ACTION_ID } from '../../blocks/sla-blocks.js';

/**
 * Action ids another listener acknowledges. Bolt runs every matching listener, and a second
 * ack() of one request throws, so the catch-all below must leave these alone: add an id here
 * when adding its listener.
 */
export const HANDLED_ACTION_IDS: readonly (string | RegExp)[] = [
  ALERT_ACKNOWLEDGE_ACTION_ID,
  SLA_SHARE_ACTION_ID,
  SLA_PICK_TYPE_ACTION_PATTERN,
];

/** True when a dedicated listener acknowledges this action id. */
export function isHandledActionId(actionId: string, handled: readonly (string | RegExp)[] = HANDLED_ACTION_IDS): boolean {
  return handled.some((id) => (typeof id === 'string' ? id === actionId : id.test(actionId)));
}

/**
 * Every other block action is acknowledged and otherwise ignored: buttons that only open a URL
 * (a ticket on the city portal) still send an interaction, and so does a button of an older
 * message whose listener is gone. Bolt 4 answers an unacknowledged request with a 404 after
 * 3 s, which Slack shows as an error on the button.
 */
export function register(app: App): void {
  app.action<BlockAction>({ type: 'block_actions' }, async ({ action, ack }) => {
    if (!isHandledActionId(action.action_id)) await ack();
  });
}
