import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../src/api/api-server.js';
import type { HealthResponse } from '../src/api/score-ticket.schema.js';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createModelHealthMonitor, type ModelHealthMonitor } from '../src/model/model-health.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { findPromotedModelSummary } from '../src/warehouse/model.repository.js';
import { findLatestEventAt } from '../src/warehouse/worklist.repository.js';
import type { ScoringReply } from './helpers/api-replies.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { insertFixtureTickets } from './helpers/ticket-fixtures.js';

const DAY = 86_400_000;
const EXAMPLE = { request_type: 'Road Repair', rolling_7d_volume: 12, backlog_at_creation: 40 };

// The bundled snapshot ends in July 2023: scored today, its data is years stale.
describe.each(engines)('scoring and health on stale data ($name)', ({ name }) => {
  const config = loadConfig({});
  const logger = createLogger({ level: 'silent' });
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let monitor: ModelHealthMonitor;
  let api: ApiServer;
  let base: string;
  let dataThrough: Date;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, await readSodaSnapshot(bundledSnapshotPath), {
      source: 'file:bundled-snapshot',
    });
    await trainAndRegister({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone });
    const deps = { db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone };
    scorer = await createScorer({ ...deps, risk: config.risk });
    monitor = createModelHealthMonitor({ ...deps, maxAgeDays: config.modelMaxAgeDays });
    api = createApiServer({ config, logger, warehouse, scorer, modelHealth: () => monitor.read() });
    base = `http://127.0.0.1:${(await api.listen(0, '127.0.0.1')).port}`;
    dataThrough = (await findLatestEventAt(warehouse.db))!;
    // Training on the 5,000 rows takes a while on a shared machine.
  }, 600_000);

  afterAll(async () => {
    await api?.close();
    await warehouse?.dispose();
  });

  async function post(body: unknown): Promise<ScoringReply> {
    const response = await fetch(`${base}/score_ticket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as ScoringReply;
  }

  async function health(): Promise<HealthResponse> {
    return (await (await fetch(`${base}/healthz`)).json()) as HealthResponse;
  }

  it("scores a ticket without created_at at the warehouse's last event, says so, and states its time reasons as assumed", async () => {
    const assumed = await post(EXAMPLE);
    expect(assumed.created_at_assumed).toBe('data_through');
    expect(assumed.note).toContain(dataThrough.toISOString());
    const scoredAt = new Date(assumed.scored_at);
    // The last event (or the scorer's feature horizon just after it), never today.
    expect(scoredAt.getTime()).toBeGreaterThanOrEqual(dataThrough.getTime());
    expect(scoredAt.getTime() - dataThrough.getTime()).toBeLessThan(DAY);

    // The same ticket sent with that instant scores the same: the context is the data's, not an empty week.
    const explicit = await post({ ...EXAMPLE, created_at: assumed.scored_at });
    expect(explicit.created_at_assumed).toBeNull();
    expect(explicit.note).toBeNull();
    expect(explicit.scored_at).toBe(assumed.scored_at);
    expect(assumed.sla_breach_probability).toBe(explicit.sla_breach_probability);
    const restated = explicit.top_factors.map((factor) =>
      /^Filed /.test(factor) ? `No created_at was sent, so it is scored as created at the data's last event: f${factor.slice(1)}` : factor,
    );
    expect(assumed.top_factors).toEqual(restated);
    for (const factor of assumed.top_factors) expect(factor).not.toMatch(/^Filed /);
  });

  it('the batch endpoint and the scorer say the same', async () => {
    const response = await fetch(`${base}/score_tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tickets: [EXAMPLE] }),
    });
    const batch = (await response.json()) as ScoringReply;
    const direct = await scorer.scoreTicket({ requestType: 'Road Repair', overrides: { rolling7dVolume: 12, backlogAtCreation: 40 } });
    expect(direct.createdAtAssumed).toBe('data_through');
    expect(batch.results[0]).toMatchObject({ created_at_assumed: 'data_through', scored_at: direct.scoredAt.toISOString() });
  });

  it('/healthz shows the model trained through its data, fresh, and its top features drift once measured', async () => {
    const model = await findPromotedModelSummary(warehouse.db);
    const first = await health();
    expect(first.status).toBe('ok');
    expect(first.model).toMatchObject({
      loaded: true,
      version: scorer.currentModelVersion(),
      trained_through: model!.testTo.toISOString(),
      data_through: dataThrough.toISOString(),
      max_age_days: 30,
      stale: false,
    });
    expect(first.model.age_days).toBeLessThan(30);
    await monitor.read({ waitForDrift: true });
    const measured = (await health()).model;
    expect(measured.drift!.length).toBeGreaterThan(0);
    for (const feature of measured.drift!) {
      expect(typeof feature.feature).toBe('string');
      expect(feature.psi).toBeGreaterThanOrEqual(0);
    }
    expect(measured.drifted).toBe(measured.drift!.some((feature) => feature.psi > 0.2));
    expect(measured.drift_measured_at).toBe(dataThrough.toISOString());
  });

  it('/healthz calls the model stale (and itself degraded) once the data runs more than 30 days past it', async () => {
    const later = new Date(dataThrough.getTime() + 45 * DAY);
    await insertFixtureTickets(warehouse.db, [
      { ticketId: 'LATER-1', requestType: 'Road Repair', typeKey: 'road_repair', createdAt: later },
    ]);
    const reply = await health();
    expect(reply.status).toBe('degraded');
    expect(reply.model).toMatchObject({ stale: true, data_through: later.toISOString() });
    expect(reply.model.age_days).toBeGreaterThan(30);
    expect(reply.model.notes?.join(' ')).toContain('retrain');
  });
});
