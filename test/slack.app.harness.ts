/**
 * Test harness for the Slack app: the real API server with the real Bolt handler mounted at
 * /slack/events on 127.0.0.1:0, its WebClient pointed at the loopback fake Slack, and helpers
 * that POST commands and interactions signed exactly as Slack signs them.
 */
import { randomBytes } from 'node:crypto';
import { createApiServer, type ApiServer } from '../src/api/api-server.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { createLogger } from '../src/shared/logger.js';
import { createSlackHandler } from '../src/slack/app.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { interactionBody, signSlackRequest, slashCommandBody } from '../src/testing/slack-signing.js';
import type { Warehouse } from '../src/warehouse/database.js';

export const SIGNING_SECRET = 'test-signing-secret-8f3a';
export const CHANNEL_ID = 'C0CIVIC311';

/** Risk thresholds of the harness's scorer (the app's defaults). */
export const HARNESS_RISK = { mediumThreshold: 0.4, highThreshold: 0.7 };
export const HARNESS_TIME_ZONE = 'America/New_York';

export interface SlackHarness {
  fake: FakeSlack;
  config: AppConfig;
  /** The scorer the app answers with: the one passed in, else 72 h SLA in HARNESS_TIME_ZONE with the clock at `now`. */
  scorer: Scorer;
  eventsUrl: string;
  /**
   * Moves the fake Slack's clock on. It starts at the real time and moves only when told, so a
   * trigger id the fake issued with a command expires when a test says, never because the machine
   * is slow.
   */
  advanceSlackClock(ms: number): void;
  /** POSTs a raw body signed with `secret` (default: the app's) at `timestamp` (default: now). */
  post(body: string, options?: { secret?: string; timestamp?: number }): Promise<{ status: number; text: string }>;
  /**
   * Sends a slash command with a trigger id the fake Slack issued (unless `triggerId` is given);
   * returns the HTTP answer and the response_url id it carried.
   */
  command(
    command: string,
    text: string,
    options?: { triggerId?: string; secret?: string; timestamp?: number },
  ): Promise<{ status: number; text: string; responseId: string }>;
  /** Sends an interaction payload (block_actions, view_submission). */
  interact(payload: object): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

export async function startSlackHarness(deps: { warehouse: Warehouse; scorer?: Scorer; now: () => Date }): Promise<SlackHarness> {
  const logger = createLogger({ level: 'silent' });
  const scorer =
    deps.scorer ??
    (await createScorer({ db: deps.warehouse.db, logger, slaHours: 72, timeZone: HARNESS_TIME_ZONE, risk: HARNESS_RISK, now: deps.now }));
  let slackClockMs = Date.now();
  const fake = await startFakeSlack({ now: () => slackClockMs });
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_API_URL: fake.apiUrl,
    TZ_CITY: HARNESS_TIME_ZONE,
    SLA_HOURS: '72',
    LOG_LEVEL: 'silent',
  });
  const { handler } = createSlackHandler({ config, logger, warehouse: deps.warehouse, scorer, now: deps.now });
  const api: ApiServer = createApiServer({ config, logger, warehouse: deps.warehouse, scorer, slackHandler: handler });
  const { port } = await api.listen(0, '127.0.0.1');
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;

  const post: SlackHarness['post'] = (body, options = {}) => postSigned(eventsUrl, body, options);
  return {
    fake,
    config,
    scorer,
    eventsUrl,
    advanceSlackClock: (ms) => {
      slackClockMs += ms;
    },
    post,
    async command(command, text, options = {}) {
      const responseId = randomBytes(6).toString('hex');
      const body = slashCommandBody({
        command,
        text,
        responseUrl: fake.responseUrl(responseId),
        triggerId: options.triggerId ?? fake.issueTriggerId(),
      });
      return { ...(await post(body, options)), responseId };
    },
    interact: (payload) => post(interactionBody(payload)),
    async close() {
      await api.close();
      await fake.close();
    },
  };
}

/**
 * POSTs `body` to a /slack/events URL signed as Slack signs it, with `secret` (default: the
 * harness's) at `timestamp` (default: now), plus extra headers such as X-Slack-Retry-Num.
 */
export async function postSigned(
  eventsUrl: string,
  body: string,
  options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const signed = signSlackRequest({ body, signingSecret: options.secret ?? SIGNING_SECRET, timestamp: options.timestamp });
  const response = await fetch(eventsUrl, { method: 'POST', headers: { ...signed, ...options.headers }, body });
  return { status: response.status, text: await response.text() };
}

/** Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every text in a Block Kit tree (section text, fields, context elements, buttons), joined. */
export function collectBlockText(blocks: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else visit(value);
      }
    }
  };
  visit(blocks);
  return parts.join('\n');
}

/** Buttons (action_id, value) anywhere in the blocks. */
export function findButtons(blocks: unknown): { action_id: string; value?: string; text: string }[] {
  const buttons: { action_id: string; value?: string; text: string }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'button' && typeof record.action_id === 'string') {
        const label = (record.text as { text?: string } | undefined)?.text ?? '';
        buttons.push({ action_id: record.action_id, value: typeof record.value === 'string' ? record.value : undefined, text: label });
      }
      Object.values(record).forEach(visit);
    }
  };
  visit(blocks);
  return buttons;
}
