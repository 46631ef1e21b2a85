import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { parseLocationText, parseScoreSubmission } from '../src/slack/listeners/views/score-modal.js';
import { buildScoringProgressView } from '../src/slack/blocks/score-modal.js';
import { TRIGGER_ID_LIFETIME_MS } from '../src/testing/slack/fake-slack.types.js';
import { interactionBody, viewSubmissionPayload } from '../src/testing/slack-signing.js';
import { listMenuRequestTypes } from '../src/slack/listeners/shared/request-type-options.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { collectBlockText, startSlackHarness, waitFor, type SlackHarness } from './slack.app.harness.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
// Inside the bundled 2014–2023 snapshot, so the model and its context have history.
const now = new Date('2023-07-10T14:00:00Z');

type Values = Record<string, Record<string, Record<string, unknown>>>;

function formValues(input: { typeKey?: string; typeLabel?: string; district?: string; location?: string; description?: string }): Values {
  const select = (value: string | undefined, label: string) =>
    value === undefined
      ? { type: 'static_select', selected_option: null }
      : { type: 'static_select', selected_option: { text: { type: 'plain_text', text: label }, value } };
  return {
    request_type: { request_type: select(input.typeKey, input.typeLabel ?? input.typeKey ?? '') },
    district: { district: select(input.district, `District ${input.district}`) },
    location: { location: { type: 'plain_text_input', value: input.location ?? null } },
    description: { description: { type: 'plain_text_input', value: input.description ?? null } },
  };
}

describe('the /score form validates "address or coordinates" and required fields', () => {
  it('reads "lat, lon" as coordinates, text with letters as an address, and rejects out-of-range or malformed numbers', () => {
    expect(parseLocationText('29.6516, -82.3248')).toEqual({ kind: 'coordinates', latitude: 29.6516, longitude: -82.3248 });
    expect(parseLocationText(' 29.6516 -82.3248 ')).toEqual({ kind: 'coordinates', latitude: 29.6516, longitude: -82.3248 });
    expect(parseLocationText('')).toEqual({ kind: 'none' });
    expect(parseLocationText('1234 NW 13th St')).toEqual({ kind: 'address', address: '1234 NW 13th St' });
    expect(parseLocationText('95.1, -82.3')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Latitude') });
    expect(parseLocationText('29.6, -182.3')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Longitude') });
    expect(parseLocationText('29.6; -82.3; 4')).toMatchObject({ kind: 'invalid' });
  });

  it('names every missing or bad field by its block', () => {
    const result = parseScoreSubmission(formValues({ location: '100, 100' }));
    expect(result.ok).toBe(false);
    expect(result.ok ? {} : Object.keys(result.errors).sort()).toEqual(['district', 'location', 'request_type']);
  });
});

describe('the /score progress view', () => {
  it('escapes the type label, so a name holding <!channel> or &<> pings no one and breaks no markup', () => {
    const view = buildScoringProgressView('<!channel> Road & <Repair>');
    const text = collectBlockText(view.blocks);
    expect(text).toBe(':hourglass_flowing_sand: Scoring a *&lt;!channel&gt; Road &amp; &lt;Repair&gt;* ticket…');
    expect(text).not.toContain('<!channel>');
  });
});

describe.each(engines)('Slack /score on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let harness: SlackHarness;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    await trainAndRegister({ db: warehouse.db, logger, slaHours: 72, timeZone }, { asOf: now });
    harness = await startSlackHarness({ warehouse, now: () => now });
    scorer = harness.scorer;
  });
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => harness.fake.reset());

  async function openModal(): Promise<{ viewId: string; triggerId: string }> {
    // Issued by the fake, as Slack issues it with the command: views.open must come within 3 s.
    const triggerId = harness.fake.issueTriggerId();
    const reply = await harness.command('/score', '', { triggerId });
    expect(reply.status).toBe(200);
    const call = await waitFor(() => harness.fake.callsTo('views.open')[0], 'views.open');
    const response = call.response as { ok: boolean; view?: { id: string } };
    expect(response.ok).toBe(true);
    return { viewId: response.view!.id, triggerId };
  }

  /** Opens the form with a fresh /score, then submits these values in it. */
  async function submitForm(values: Parameters<typeof formValues>[0]) {
    const { viewId } = await openModal();
    const submit = await harness.post(
      interactionBody(viewSubmissionPayload({ callbackId: 'score_ticket', viewId, values: formValues(values) })),
    );
    return { submit, viewId };
  }

  it('/score opens the form with the command trigger_id: type menu of known types, district 1–4, location, description', async () => {
    const { triggerId } = await openModal();
    const call = harness.fake.callsTo('views.open')[0]!;
    expect(call.body.trigger_id).toBe(triggerId);
    const view = call.body.view as {
      callback_id: string;
      blocks: { block_id?: string; element?: { type: string; options?: { value: string; text: { text: string } }[] } }[];
    };
    expect(view.callback_id).toBe('score_ticket');
    const typeBlock = view.blocks.find((block) => block.block_id === 'request_type');
    const expectedTypes = await listMenuRequestTypes(warehouse.db);
    expect(typeBlock?.element?.type).toBe('static_select');
    expect(typeBlock?.element?.options?.map((option) => option.value)).toEqual(expectedTypes.map((type) => type.typeKey));
    expect(typeBlock?.element?.options?.length).toBeLessThanOrEqual(100);
    expect(typeBlock?.element?.options?.some((option) => option.text.text === 'Road Repair')).toBe(true);
    const district = view.blocks.find((block) => block.block_id === 'district');
    expect(district?.element?.options?.map((option) => option.value)).toEqual(['1', '2', '3', '4']);
    expect(view.blocks.map((block) => block.block_id)).toEqual(expect.arrayContaining(['location', 'description']));
  });

  it('a submission with bad coordinates gets the error shown in the form and is not scored', async () => {
    const { submit } = await submitForm({ typeKey: 'road_repair', district: '2', location: '295.2, -82.3' });
    expect(submit.status).toBe(200);
    const answer = JSON.parse(submit.text) as { response_action: string; errors: Record<string, string> };
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors)).toEqual(['location']);
    expect(answer.errors.location).toContain('Latitude must be between -90 and 90');
    expect(harness.fake.callsTo('views.update')).toHaveLength(0);
  });

  it('a valid submission is answered at once with a progress view, then the probability, risk, factors and model version', async () => {
    const { submit, viewId } = await submitForm({
      typeKey: 'road_repair',
      typeLabel: 'Road Repair',
      district: '3',
      location: '29.6516, -82.3248',
      description: 'Deep pothole in the right lane',
    });
    const answer = JSON.parse(submit.text) as { response_action: string; view: { blocks: unknown[] } };
    expect(answer.response_action).toBe('update');
    expect(collectBlockText(answer.view.blocks)).toContain('Scoring a *Road Repair* ticket');

    const update = await waitFor(() => harness.fake.callsTo('views.update')[0], 'views.update');
    expect(update.body.view_id).toBe(viewId);
    expect((update.response as { ok: boolean }).ok).toBe(true);
    const expected = await scorer.scoreTicket({
      requestType: 'road_repair',
      commissionDistrict: '3',
      latitude: 29.6516,
      longitude: -82.3248,
      description: 'Deep pothole in the right lane',
    });
    const text = collectBlockText(update.body.view);
    expect(text).toContain(
      `*${expected.riskLevel} risk* — *${Math.round(expected.slaBreachProbability * 100)}% chance of missing the 72 h SLA*`,
    );
    expect(text).toContain(`*Breach probability*\n${(expected.slaBreachProbability * 100).toFixed(1)}%`);
    expect(text).toContain(`Model \`${expected.modelVersion}\``);
    expect(expected.topFactors.length).toBeGreaterThan(0);
    for (const factor of expected.topFactors)
      expect(text).toContain(factor.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(text).toContain('District 3 · 29.65160, -82.32480');
  });
  it('a type label holding <!channel> and &<> is escaped in the progress view Slack shows', async () => {
    const { submit } = await submitForm({ typeKey: 'road_repair', typeLabel: '<!channel> Road & <Repair>', district: '2' });
    expect(submit.status).toBe(200);
    const answer = JSON.parse(submit.text) as { response_action: string; view: { blocks: unknown[] } };
    expect(answer.response_action).toBe('update');
    const text = collectBlockText(answer.view.blocks);
    expect(text).toContain('Scoring a *&lt;!channel&gt; Road &amp; &lt;Repair&gt;* ticket');
    expect(text).not.toContain('<!channel>');
    // Let the scoring that follows finish, so its views.update does not land in the next test.
    await waitFor(() => harness.fake.callsTo('views.update')[0], 'views.update');
  });

  it('a /score whose views.open comes more than 3 s after Slack issued the trigger gets one line: took too long, try /score again', async () => {
    const triggerId = harness.fake.issueTriggerId();
    harness.advanceSlackClock(TRIGGER_ID_LIFETIME_MS + 1);
    const reply = await harness.command('/score', '', { triggerId });
    expect(reply.status).toBe(200);
    const call = await waitFor(() => harness.fake.callsTo('views.open')[0], 'views.open');
    expect(call.body.trigger_id).toBe(triggerId);
    expect(call.response).toEqual({ ok: false, error: 'expired_trigger_id' });
    const answer = await waitFor(() => harness.fake.responsesTo(reply.responseId)[0], 'the reply to /score');
    expect(answer.response_type).toBe('ephemeral');
    expect(String(answer.text)).toMatch(/^:hourglass: That took too long.*try \/score again\.$/);
    expect(String(answer.text).split('\n')).toHaveLength(1);
    expect(harness.fake.views.size).toBe(0);
  });
});
