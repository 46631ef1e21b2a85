import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { asError } from '../../../shared/errors.js';
import { buildHomeErrorView, buildHomeView, type HomeView } from '../../blocks/home-blocks.js';
import { buildHomeFigures } from '../../home/build-home.js';
import { describeSlackFailure } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { describeErrorForSlack } from '../shared/reply-errors.js';

/**
 * Builds the Home tab for one user and publishes it with views.publish. A failure to gather the
 * figures publishes a short error view instead (the cause is logged); a failure to publish is
 * logged. Nothing is thrown: Bolt has already acknowledged the event and nobody waits for it.
 */
export async function publishHomeTab(deps: SlackListenerDeps, client: WebClient, userId: string): Promise<void> {
  let view: HomeView;
  try {
    const figures = await buildHomeFigures({ db: deps.warehouse.db, scorer: deps.scorer, config: deps.config, now: deps.now });
    view = buildHomeView(figures);
  } catch (error) {
    view = buildHomeErrorView(describeErrorForSlack(error, deps.logger, { event: 'app_home_opened', user: userId }));
  }
  try {
    await client.views.publish({ user_id: userId, view });
  } catch (error) {
    deps.logger.error(
      { err: asError(error), user: userId, slackError: describeSlackFailure(error).slackError },
      'could not publish the Home tab',
    );
  }
}

/** `app_home_opened` on the Home tab (not the Messages tab) → that user's Home tab, fresh. */
export function register(app: App, deps: SlackListenerDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHomeTab(deps, client, event.user);
  });
}
