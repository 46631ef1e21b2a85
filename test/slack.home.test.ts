import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { summarizeForecastTotal } from '../src/forecast/forecast-summary.js';
import { forecastWorkload } from '../src/forecast/forecast-workload.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { escapeMrkdwn } from '../src/slack/blocks/alert-blocks.js';
import { formatDigestText, renderDigestBlocks } from '../src/slack/blocks/digest-blocks.js';
import { describeForecastLine } from '../src/slack/blocks/forecast-line.js';
import { MAX_HOME_BLOCKS } from '../src/slack/blocks/home-blocks.js';
import { describeTicketLine } from '../src/slack/blocks/ticket-lines.js';
import { buildDigest } from '../src/slack/digest/build-digest.js';
import { toSlackLogger } from '../src/slack/web-client.js';
import { appHomeOpenedEvent, eventCallbackBody, FAKE_WORKSPACE } from '../src/testing/slack-signing.js';
import { buildWorklist, type WorklistResponse } from '../src/worklist/build-worklist.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { collectBlockText, startSlackHarness, waitFor, type SlackHarness } from './slack.app.harness.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
/** The bundled snapshot ends on 9 July 2023; the Home tab is opened on the 13th, so the data is stale. */
const now = new Date('2023-07-13T12:00:00Z');
const OTHER_USER = 'U0OTHEROPS';

type SodaRow = Record<string, unknown>;
const pad = (value: number) => String(value).padStart(2, '0');

/**
 * A real row turned into a new ticket of its type and place, created at a city wall time in 2023
 * and, when `closeAfterHours` is given, closed that long after (SODA shapes kept).
 */
function syntheticRow(
  template: SodaRow,
  id: string,
  created: { month: number; day: number; hour: number },
  closeAfterHours?: number,
): SodaRow {
  const row: SodaRow = { ...template, id, status: 'Submitted' };
  for (const key of ['closed', 'minutes_to_close', 'days_to_close', 'acknowledged']) delete row[key];
  const createdWall = Date.UTC(2023, created.month - 1, created.day, created.hour);
  const wall = (ms: number) => {
    const at = new Date(ms);
    return {
      iso: at.toISOString().slice(0, 19),
      us: `${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${at.getUTCFullYear()} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`,
    };
  };
  row.created = `${wall(createdWall).iso}.000`;
  row.last_updated = wall(createdWall).us;
  if (closeAfterHours !== undefined) {
    const closed = wall(createdWall + closeAfterHours * 3_600_000).us;
    Object.assign(row, {
      status: 'Closed',
      closed,
      acknowledged: closed,
      last_updated: closed,
      minutes_to_close: String(closeAfterHours * 60),
      days_to_close: String(Math.floor(closeAfterHours / 24)),
    });
  }
  return row;
}

/**
 * The snapshot's last weeks are nearly empty, so six real types get eight tickets each created
 * 13–27 June (closed after 30 h for the first type up to 7 days for the last: a real worst-first
 * order), and twelve open tickets created 7–8 July, each due within a day of the data's end.
 */
function syntheticRows(snapshot: SodaRow[]): SodaRow[] {
  const templates = new Map<string, SodaRow>();
  for (const row of snapshot) {
    const type = String(row.request_type ?? '');
    if (String(row.created ?? '') >= '2022-01-01' && row.location_detail && type && !templates.has(type)) templates.set(type, row);
  }
  const types = [...templates.values()].slice(0, 6);
  const rows: SodaRow[] = [];
  types.forEach((template, k) => {
    for (let i = 0; i < 8; i++) {
      rows.push(syntheticRow(template, `99${k}0${i}`, { month: 6, day: 13 + 2 * i, hour: 10 }, 30 + k * 25 + (i % 4) * 10));
    }
  });
  for (let i = 0; i < 12; i++) {
    const hour = 16 + 2 * i;
    rows.push(syntheticRow(types[i % types.length]!, `9990${pad(i)}`, { month: 7, day: 7 + Math.floor(hour / 24), hour: hour % 24 }));
  }
  return rows;
}

interface PublishedView {
  user_id: string;
  view: { type: string; blocks: unknown[] };
}

describe.each(engines)('Slack Home tab, /sla "At risk now" and the digest forecast on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let harness: SlackHarness;

  const openHome = (options: { userId?: string; tab?: 'home' | 'messages' } = {}) =>
    harness.post(eventCallbackBody(appHomeOpenedEvent(options)));
  const publishesFor = (userId: string) =>
    harness.fake.callsTo('views.publish').filter((call) => (call.body as unknown as PublishedView).user_id === userId);
  const worklist = (query: Parameters<typeof buildWorklist>[1]): Promise<WorklistResponse> =>
    buildWorklist({ db: warehouse.db, scorer, config: harness.config, now: () => now }, query);

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const snapshot = (await readSodaSnapshot(bundledSnapshotPath)) as SodaRow[];
    await ingestRows({ db: warehouse.db, logger, timeZone }, snapshot, { source: 'file:snapshot' });
    const synthetic = await ingestRows({ db: warehouse.db, logger, timeZone }, syntheticRows(snapshot), { source: 'file:synthetic' });
    expect(synthetic).toMatchObject({ quarantined: 0 });
    // One learner keeps the test fast; the worklist only needs a promoted model.
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    harness = await startSlackHarness({ warehouse, now: () => now });
    scorer = harness.scorer;
  }, 240_000);
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => harness.fake.reset());

  it('opening the Home tab publishes that user a home view with the headline, worst types, at-risk worklist and forecast', async () => {
    const reply = await openHome();
    expect(reply.status).toBe(200);
    const call = await waitFor(() => publishesFor(FAKE_WORKSPACE.userId)[0], 'views.publish');
    expect(call.response).toMatchObject({ ok: true, view: { type: 'home' } });
    const { view } = call.body as unknown as PublishedView;
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(MAX_HOME_BLOCKS);
    const text = collectBlockText(view.blocks);

    // The data stops on 9 July, so the figures are as of its last event and the tab says so.
    expect(text).toMatch(/As of Jul \d+, 2023, .* \(data ends Jul \d+, 2023, .*\)/);
    expect(text).toMatch(/\*Tickets, last 7 days\*\n\*\d+\*/);
    expect(text).toMatch(/\*SLA attainment, last 28 days\*\n\*\d+%\*/);
    expect(text).toMatch(/\*Backlog\*\n\*[\d,]+\* open/);
    expect(text).toMatch(/\*Furthest from SLA\* \(last 28 days\)\n1\. \*/);

    // The worklist is the domain's own at-risk ranking, ids linked to their pages.
    const atRisk = await worklist({ status: 'at_risk', limit: 10 });
    const breached = await worklist({ status: 'breached', limit: 1 });
    expect(atRisk.tickets.length).toBeGreaterThan(0);
    expect(text).toContain(
      `*At risk now*\n*${atRisk.total.toLocaleString('en-US')}* at risk\n${breached.total.toLocaleString('en-US')} already past SLA`,
    );
    expect(text).toContain(`top ${atRisk.tickets.length} of ${atRisk.total.toLocaleString('en-US')} at risk`);
    atRisk.tickets.forEach((ticket, index) => {
      expect(ticket.url).not.toBeNull();
      expect(text).toContain(`*${index + 1}.* <${ticket.url}|${ticket.ticket_id}> · ${escapeMrkdwn(ticket.request_type)}`);
    });

    const forecast = await forecastWorkload(warehouse.db, { timeZone, now, horizonDays: 7, topTypes: 0 });
    expect(text).toContain(`*Workload forecast*\n${describeForecastLine(summarizeForecastTotal(forecast))}`);
  });

  it('ignores the Messages tab, and publishes each user their own Home tab', async () => {
    expect((await openHome({ tab: 'messages' })).status).toBe(200);
    expect((await openHome({ userId: OTHER_USER })).status).toBe(200);
    await waitFor(() => publishesFor(OTHER_USER)[0], 'views.publish for the other user');
    expect(harness.fake.callsTo('views.publish')).toHaveLength(1);
    // Opening it again republishes the same Home view (one per user, as in Slack).
    await openHome({ userId: OTHER_USER });
    const [first, second] = await waitFor(() => publishesFor(OTHER_USER).length === 2 && publishesFor(OTHER_USER), 'second publish');
    const viewIdOf = (call: typeof first) => (call?.response as { view?: { id?: string } } | undefined)?.view?.id;
    expect(viewIdOf(second)).toBeDefined();
    expect(viewIdOf(second)).toBe(viewIdOf(first));
  });

  it('a views.publish Slack refuses does not break the app: the next opening is answered', async () => {
    harness.fake.failNext('views.publish', { error: 'not_enabled' });
    expect((await openHome()).status).toBe(200);
    await waitFor(() => publishesFor(FAKE_WORKSPACE.userId)[0], 'refused publish');
    expect(publishesFor(FAKE_WORKSPACE.userId)[0]?.response).toMatchObject({ ok: false, error: 'not_enabled' });
    await openHome();
    const retried = await waitFor(() => publishesFor(FAKE_WORKSPACE.userId)[1], 'second publish');
    expect(retried.response).toMatchObject({ ok: true });
    expect(harness.fake.internalErrors).toHaveLength(0);
  });

  it("/sla <type> lists the type's open tickets likeliest to breach, breached first, with time left and probability", async () => {
    const top = (await worklist({ status: 'at_risk', limit: 1 })).tickets[0]!;
    const breached = await worklist({ type: top.request_type, status: 'breached', limit: 5 });
    const atRisk = await worklist({ type: top.request_type, status: 'at_risk', limit: 5 });
    const reply = await harness.command('/sla', top.request_type);
    const [answer] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      '/sla answer',
    );
    const section = ((answer?.blocks ?? []) as { block_id?: string }[]).find((block) => block.block_id === 'sla_at_risk');
    const text = collectBlockText([section]);
    expect(text).toContain(`*At risk now* — ${breached.total} past SLA, ${atRisk.total} at risk (as of Jul`);
    const expected = [...breached.tickets, ...atRisk.tickets].slice(0, 5);
    expect(expected.length).toBeGreaterThan(0);
    expect(text.split('\n').slice(1)).toEqual(expected.map((ticket) => `• ${describeTicketLine(ticket)}`));
  });

  it('the digest carries the forecast line for the 7 days after its date', async () => {
    const digest = await buildDigest(warehouse.db, { now: new Date('2023-07-10T12:00:00Z'), timeZone, slaHours: 72 });
    expect(digest.date).toBe('2023-07-09');
    const forecast = await forecastWorkload(warehouse.db, {
      timeZone,
      asOf: '2023-07-09',
      now: new Date('2023-07-10T12:00:00Z'),
      horizonDays: 7,
    });
    expect(digest.forecast).toEqual(summarizeForecastTotal(forecast));
    expect(digest.forecast).toMatchObject({ firstDay: '2023-07-10', lastDay: '2023-07-16', days: 7 });
    const line = describeForecastLine(digest.forecast!);
    expect(line).toMatch(
      /^Next 7 days \(Jul 10–16, 2023\): ~\d+ tickets expected \(80%: \d+–\d+\); close ≥ [\d.]+\/day to keep the backlog flat$/,
    );
    expect(collectBlockText(renderDigestBlocks(digest).blocks)).toContain(`*Workload forecast*\n${line}`);
    expect(formatDigestText(digest)).toContain(`Forecast: ${line}`);
  });

  it('the fake checks views.publish like Slack: a home view of at most 100 blocks within the text limits', async () => {
    const client = new WebClient(harness.fake.botToken, {
      slackApiUrl: harness.fake.apiUrl,
      logger: toSlackLogger(logger),
      retryConfig: { retries: 0 },
    });
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'hello' } };
    const refusal = async (args: Record<string, unknown>) => {
      try {
        await client.apiCall('views.publish', args);
      } catch (error) {
        return (error as { data?: { error?: string; response_metadata?: { messages?: string[] } } }).data;
      }
      throw new Error('expected views.publish to fail');
    };
    expect(
      await refusal({ user_id: FAKE_WORKSPACE.userId, view: { type: 'home', blocks: Array.from({ length: 101 }, () => section) } }),
    ).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] },
    });
    expect(
      await refusal({
        user_id: FAKE_WORKSPACE.userId,
        view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [section] },
      }),
    ).toMatchObject({
      error: 'invalid_arguments',
    });
    expect(
      await refusal({
        user_id: FAKE_WORKSPACE.userId,
        view: { type: 'home', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] },
      }),
    ).toMatchObject({
      error: 'invalid_blocks',
      response_metadata: { messages: ['[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/text/text]'] },
    });
    expect(
      await refusal({
        user_id: FAKE_WORKSPACE.userId,
        view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] },
      }),
    ).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(await refusal({ user_id: 'not-a-user', view: { type: 'home', blocks: [section] } })).toMatchObject({
      error: 'invalid_arguments',
    });
    const published = await client.views.publish({ user_id: FAKE_WORKSPACE.userId, view: { type: 'home', blocks: [section] } });
    expect(published.view).toMatchObject({ type: 'home', blocks: [section] });
    expect(await refusal({ user_id: FAKE_WORKSPACE.userId, hash: 'stale.hash', view: { type: 'home', blocks: [section] } })).toMatchObject({
      error: 'hash_conflict',
    });
  });
});

describe.each(engines)('Slack Home tab before any ingest or training ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let harness: SlackHarness;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    harness = await startSlackHarness({ warehouse, now: () => now });
  });
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });

  it('says the warehouse is empty and no model is trained yet, instead of failing', async () => {
    expect((await harness.post(eventCallbackBody(appHomeOpenedEvent()))).status).toBe(200);
    const call = await waitFor(() => harness.fake.callsTo('views.publish')[0], 'views.publish');
    expect(call.response).toMatchObject({ ok: true });
    const text = collectBlockText((call.body as unknown as PublishedView).view.blocks);
    expect(text).toContain('The warehouse holds no tickets yet');
    expect(text).toContain('No model trained yet (run `civicops train`; it also runs nightly)');
    expect(text).toContain('*Backlog*\n*0* open');
    expect(text).toContain('Nothing to forecast from yet: the warehouse is empty.');
  });
});
