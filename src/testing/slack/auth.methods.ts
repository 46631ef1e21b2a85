/** `api.test` (echoes its arguments) and `auth.test` (the bot's identity). */
import type { MethodTable } from './slack-api.js';
import type { SlackWorkspace } from './slack-workspace.js';

export function createAuthMethods(workspace: SlackWorkspace): MethodTable {
  return {
    'api.test': (args) => ({ json: { ok: true, args } }),
    'auth.test': () => ({
      json: {
        ok: true,
        url: 'https://civicops-test.slack.com/',
        team: 'CivicOps Test',
        user: 'civicops311',
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        bot_id: workspace.botId,
        is_enterprise_install: false,
      },
    }),
  };
}
