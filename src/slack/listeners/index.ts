import type { App } from '@slack/bolt';
import { register as registerAcknowledgeAlert } from './actions/acknowledge-alert.js';
import { register as registerDidYouMean } from './actions/did-you-mean.js';
import { register as registerLinkButton } from './actions/link-button.js';
import { register as registerShareSla } from './actions/share-sla.js';
import { register as registerScoreCommand } from './commands/score.js';
import { register as registerSlaCommand } from './commands/sla.js';
import { register as registerAppHomeOpened } from './events/app-home-opened.js';
import type { SlackListenerDeps } from './shared/listener-deps.js';
import { createRequestTypeOptionsCache } from './shared/request-type-options.js';
import { register as registerScoreModal } from './views/score-modal.js';

export type { SlackListenerDeps } from './shared/listener-deps.js';

/** Registers every command, action, view and event listener of the CivicOps-311 Slack app. */
export function registerListeners(app: App, deps: SlackListenerDeps): void {
  registerSlaCommand(app, deps);
  registerScoreCommand(app, { ...deps, requestTypes: createRequestTypeOptionsCache(deps.warehouse.db, deps.logger) });
  registerScoreModal(app, deps);
  registerShareSla(app, deps);
  registerDidYouMean(app, deps);
  registerAcknowledgeAlert(app, deps);
  registerLinkButton(app);
  registerAppHomeOpened(app, deps);
}
