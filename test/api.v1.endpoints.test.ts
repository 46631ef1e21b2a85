import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { reportCommand } from '../src/cli/commands/report.js';
import { loadConfig } from '../src/config/config.js';
import { backlogResponseSchema } from '../src/dashboard/build-backlog.js';
import { filtersResponseSchema } from '../src/dashboard/build-filters.js';
import { forecastViewResponseSchema } from '../src/dashboard/build-forecast-view.js';
import { buildModelCard, modelCardResponseSchema } from '../src/dashboard/build-model-card.js';
import { slaByTypeResponseSchema } from '../src/dashboard/build-sla-by-type.js';
import { summaryResponseSchema } from '../src/dashboard/build-summary.js';
import { surgesResponseSchema } from '../src/dashboard/build-surges.js';
import { volumeResponseSchema } from '../src/dashboard/build-volume.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createApp, type App } from '../src/main.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { cityDateKey } from '../src/shared/city-time.js';
import { createLogger } from '../src/shared/logger.js';
import { worklistResponseSchema } from '../src/worklist/build-worklist.js';
import { withTestApp } from './helpers/cli-context.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const config = loadConfig({});

describe.each(engines)('GET /api/v1/* on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let app: App;
  let base: string;

  async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function getParsed<Schema extends z.ZodType>(path: string, schema: Schema): Promise<z.infer<Schema>> {
    const { status, body } = await get(path);
    expect(status, JSON.stringify(body).slice(0, 500)).toBe(200);
    return schema.parse(body);
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    // One learner keeps the test fast; the worklist and the model card only need a promoted model.
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    app = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    const { port } = await (await app.server()).listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await warehouse?.dispose();
  });

  it('answers every endpoint in its schema, as of the last event of the 2023 data, over the 90 days ending then', async () => {
    const summary = await getParsed('/api/v1/summary', summaryResponseSchema);
    expect(summary.stale).toBe(true);
    expect(summary.as_of).toBe(summary.data_through);
    expect(summary.as_of.startsWith('2023-07-')).toBe(true);
    expect(summary.notice).toContain('not today');
    expect(summary.window.until).toBe(cityDateKey(new Date(summary.as_of), timeZone));
    expect(summary.window.days).toBe(90);
    expect(summary.figures.tickets.value).toBeGreaterThan(0);
    expect(summary.figures.at_risk.value).toBeGreaterThan(0);
    expect(summary.comparisons).toContain('median');

    const views = [
      ['/api/v1/sla-by-type', slaByTypeResponseSchema],
      ['/api/v1/volume', volumeResponseSchema],
      ['/api/v1/backlog', backlogResponseSchema],
      ['/api/v1/surges', surgesResponseSchema],
      ['/api/v1/forecast', forecastViewResponseSchema],
      ['/api/v1/filters', filtersResponseSchema],
    ] as const;
    for (const [path, schema] of views) {
      const view = (await getParsed(path, schema)) as { as_of: string; stale: boolean; window: { since: string; until: string } };
      expect(view.as_of, path).toBe(summary.as_of);
      expect(view.stale, path).toBe(true);
      expect(view.window, path).toEqual(summary.window);
    }

    const sla = await getParsed('/api/v1/sla-by-type', slaByTypeResponseSchema);
    expect(sla.types.length).toBeGreaterThan(0);
    expect(sla.chart?.kind).toBe('sla');
    const volume = await getParsed('/api/v1/volume', volumeResponseSchema);
    expect(volume.total).toBe(summary.figures.tickets.value);
    expect(volume.weeks.some((week) => week.usual_high !== null)).toBe(true);
    expect(volume.chart?.kind).toBe('volume-band');
    const backlog = await getParsed('/api/v1/backlog', backlogResponseSchema);
    expect(backlog.points).toHaveLength(90);
    // The last day is counted at as_of: the summary's backlog now.
    expect(backlog.points.at(-1)?.open).toBe(summary.figures.backlog.value);
    expect(backlog.points.at(-1)?.at).toBe(summary.as_of);
    expect(backlog.chart?.kind).toBe('backlog');
    const forecast = await getParsed('/api/v1/forecast?horizon_days=5', forecastViewResponseSchema);
    expect(forecast.forecast.horizon).toHaveLength(5);
    expect(forecast.chart?.kind).toBe('forecast');
    const filters = await getParsed('/api/v1/filters', filtersResponseSchema);
    expect(filters.request_types.length).toBeGreaterThan(5);
    expect(filters.districts.length).toBeGreaterThan(0);

    const worklist = await getParsed('/api/v1/worklist?limit=5&status=breached', worklistResponseSchema);
    expect(worklist.as_of).toBe(summary.as_of);
    expect(worklist.tickets.length).toBeGreaterThan(0);
    expect(worklist.tickets.every((ticket) => ticket.sla_status === 'breached')).toBe(true);
    const atRisk = await getParsed('/api/v1/worklist?status=at_risk&limit=1', worklistResponseSchema);
    // The summary's at-risk figure is the worklist's at_risk and breached tickets together.
    expect(summary.figures.at_risk.value).toBe(worklist.total + atRisk.total);

    const model = await getParsed('/api/v1/model', modelCardResponseSchema);
    expect(model.model?.version).toMatch(/gbt$/);
    expect(model.model?.test_roc_auc).toBeGreaterThan(0.5);
    expect(model.model?.baselines.type_breach_rate_roc_auc).not.toBeNull();
    expect(model.calibration.source).toBe('stored-report');
    // Reliability bins of the stored report (empty bins left out) cover every test ticket.
    expect(model.calibration.bins.length).toBeGreaterThan(1);
    expect(model.calibration.bins.reduce((total, bin) => total + bin.count, 0)).toBe(model.model?.n_test);
    expect(model.chart?.kind).toBe('calibration');
    expect(model.data_age.days_of_data_after_test).not.toBeNull();
  }, 120_000);

  it("shows model v2's evaluation: ROC-AUC with its interval, the margin over the type rate, ECE and the backtest folds", async () => {
    const card = await getParsed('/api/v1/model', modelCardResponseSchema);
    const model = card.model!;
    const auc = model.test_roc_auc!;
    expect(model.test_roc_auc_ci95!.lower).toBeLessThan(auc);
    expect(model.test_roc_auc_ci95!.upper).toBeGreaterThan(auc);
    expect(model.margin_over_type_rate).toBeCloseTo(auc - model.baselines.type_breach_rate_roc_auc!, 2);
    expect(model.margin_over_type_rate_ci95!.lower).toBeLessThan(model.margin_over_type_rate_ci95!.upper);
    expect(model.bootstrap_resamples).toBeGreaterThan(0);
    expect(model.ece).toBeGreaterThanOrEqual(0);
    expect(card.calibration.ece).toBe(model.ece);
    expect(model.test_pr_auc).toBeGreaterThan(0);
    expect(model.brier).toBeGreaterThan(0);
    expect(['isotonic', 'platt', 'beta']).toContain(model.calibration_method);
    expect(model.calibration_shift?.log_odds).toEqual(expect.any(Number));
    expect(model.probabilities!.min).toBeGreaterThan(0);
    expect(model.probabilities!.max).toBeLessThan(1);
    expect(model.baselines.type_family_rate_roc_auc).toEqual(expect.any(Number));
    expect(model.backtest!.length).toBeGreaterThanOrEqual(4);
    for (const fold of model.backtest!) {
      expect(fold.test_rows).toBeGreaterThan(0);
      expect(fold.from < fold.to).toBe(true);
    }
    expect(card.health?.version).toBe(model.version);
    expect(card.health?.trained_through).toBe(model.test_window.to);
    expect(card.health?.max_age_days).toBe(config.modelMaxAgeDays);
    expect(card.health?.drift.psi_threshold).toBe(0.2);
  }, 120_000);

  it('says "not measured" (null) for the figures a model trained by an older version lacks, and does not fail', async () => {
    const promoted = await warehouse.db
      .selectFrom('model_registry')
      .select(['model_version', 'report'])
      .where('promoted', '=', true)
      .executeTakeFirstOrThrow();
    const full = (typeof promoted.report === 'string' ? JSON.parse(promoted.report) : promoted.report) as Record<string, unknown>;
    const { ece, roc_auc_ci95, margin_over_type_rate, margin_over_type_rate_ci95, backtest, calibration_method, ...older } = full;
    const setReport = (report: Record<string, unknown>) =>
      warehouse.db
        .updateTable('model_registry')
        .set({ report: JSON.stringify(report) })
        .where('model_version', '=', promoted.model_version)
        .execute();
    await setReport({ ...older, baselines: { type_breach_rate_roc_auc: 0.7 }, calibration_shift: 'garbled' });
    try {
      const card = modelCardResponseSchema.parse(await buildModelCard({ db: warehouse.db }));
      expect(card.model?.version).toBe(promoted.model_version);
      expect(card.model?.ece).toBeNull();
      expect(card.calibration.ece).toBeNull();
      expect(card.model?.test_roc_auc_ci95).toBeNull();
      expect(card.model?.margin_over_type_rate).toBeNull();
      expect(card.model?.margin_over_type_rate_ci95).toBeNull();
      expect(card.model?.backtest).toBeNull();
      expect(card.model?.calibration_method).toBeNull();
      expect(card.model?.calibration_shift).toBeNull();
      expect(card.model?.baselines).toEqual({ type_breach_rate_roc_auc: 0.7, type_family_rate_roc_auc: null, logistic_roc_auc: null });
      // Without the app's monitor the card has no health block.
      expect(card.health).toBeNull();
      expect(card.calibration.bins.length).toBeGreaterThan(1);
    } finally {
      await setReport(full);
    }
    expect([ece, roc_auc_ci95, margin_over_type_rate, margin_over_type_rate_ci95, backtest, calibration_method]).not.toContain(undefined);
  });

  it('never waits for a drift measurement: a new monitor answers at once without one, and the warm-up at listen measures it for the card', async () => {
    // Apps of their own: each health monitor has not measured this model yet.
    const idle = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    // Read as the card reads it (no waiting): no drift yet, the measurement starts in the background.
    expect((await idle.modelHealth())?.drift).toBeNull();
    await idle.modelHealth({ waitForDrift: true });
    await idle.close();
    const fresh = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    try {
      // No request asks for the card before it is read below: only the warm-up can have measured.
      const server = await fresh.server();
      const { port } = await server.listen(0, '127.0.0.1');
      // The warm-up at listen scores the open tickets, then joins or runs the drift measurement.
      await server.scoresWarmed();
      const second = modelCardResponseSchema.parse(await (await fetch(`http://127.0.0.1:${port}/api/v1/model`)).json());
      const drift = second.health!.drift;
      expect(drift.state).toBe('measured');
      expect(drift.features.length).toBeGreaterThan(0);
      expect(drift.features.length).toBeLessThanOrEqual(5);
      for (const feature of drift.features) expect(feature.drifted).toBe(feature.psi > drift.psi_threshold);
      expect(drift.drifted).toBe(drift.features.some((feature) => feature.drifted));
      expect(drift.recent?.tickets).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  }, 240_000);

  it('narrows to one type given by its name, and a district narrows the series that support it', async () => {
    const filters = await getParsed('/api/v1/filters', filtersResponseSchema);
    const busiest = filters.request_types[0];
    const typed = await getParsed(`/api/v1/sla-by-type?type=${encodeURIComponent(busiest.label)}`, slaByTypeResponseSchema);
    expect(typed.filters.request_type?.type_key).toBe(busiest.value);
    expect(typed.types.map((type) => type.typeKey)).toEqual([busiest.value]);
    const district = filters.districts[0];
    const all = await getParsed('/api/v1/volume', volumeResponseSchema);
    const one = await getParsed(`/api/v1/volume?district=${encodeURIComponent(district.value)}`, volumeResponseSchema);
    expect(one.total).toBe(district.window_tickets);
    expect(one.total).toBeLessThan(all.total);
    const summary = await getParsed(`/api/v1/summary?district=${encodeURIComponent(district.value)}`, summaryResponseSchema);
    expect(summary.filters.ignored).toEqual(['district']);
  }, 120_000);

  it('gives the figures of `civicops report --json` for the same window', async () => {
    const window = { since: '2023-04-01', until: '2023-06-20' };
    const stdout = new Capture();
    const code = await reportCommand.run(
      { values: { json: true, ...window }, positionals: [] },
      withTestApp({ config, logger, stdout, stderr: new Capture() }, warehouse),
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text.trimEnd().split('\n').at(-1) ?? '{}') as z.infer<typeof slaByTypeResponseSchema>;
    const query = `since=${window.since}&until=${window.until}`;
    const sla = await getParsed(`/api/v1/sla-by-type?${query}`, slaByTypeResponseSchema);
    expect(sla.types).toEqual(report.types);

    const summary = await getParsed(`/api/v1/summary?${query}`, summaryResponseSchema);
    const sum = (pick: (type: (typeof report.types)[number]) => number) => report.types.reduce((total, type) => total + pick(type), 0);
    expect(summary.figures.tickets.value).toBe(sum((type) => type.current.tickets));
    expect(summary.figures.tickets.previous).toBe(sum((type) => type.previous.tickets));
    expect(summary.figures.backlog.value).toBe(sum((type) => type.current.backlog));
    expect(summary.figures.sla_attainment.value).toBeCloseTo(
      sum((type) => type.current.metSla) / sum((type) => type.current.withKnownOutcome),
      12,
    );
    // P90 of one type is the report's P90 of that type.
    const first = report.types.find((type) => type.current.p90HoursToClose !== null)!;
    const typed = await getParsed(`/api/v1/summary?${query}&type=${first.typeKey}`, summaryResponseSchema);
    expect(typed.figures.p90_hours_to_close.value).toBeCloseTo(first.current.p90HoursToClose!, 9);
    expect(typed.figures.tickets.value).toBe(first.current.tickets);
  }, 120_000);

  it('refuses bad query parameters with a 422 that names them', async () => {
    const cases: [string, string][] = [
      ['/api/v1/summary?since=2023-13-01', 'since'],
      ['/api/v1/summary?until=yesterday', 'until'],
      ['/api/v1/summary?until=2023-02-30', 'until'],
      ['/api/v1/backlog?since=2023-06-01&until=2023-05-01', 'since'],
      ['/api/v1/volume?colour=red', 'colour'],
      ['/api/v1/volume?type=a&type=b', 'type'],
      ['/api/v1/worklist?status=urgent', 'status'],
      ['/api/v1/worklist?limit=0', 'limit'],
      ['/api/v1/forecast?horizon_days=99', 'horizon_days'],
    ];
    for (const [path, parameter] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(422);
      const error = body.error as { code: string; message: string; fields: { path: string }[] };
      expect(error.code, path).toBe('INPUT_INVALID');
      expect(
        error.fields.map((field) => field.path),
        path,
      ).toContain(parameter);
      expect(error.message, path).toContain(parameter);
    }
    const unknownType = await get('/api/v1/summary?type=zzzzqqqq%20xylophone');
    expect(unknownType.status).toBe(422);
    expect((unknownType.body.error as { code: string }).code).toBe('UNKNOWN_REQUEST_TYPE');
  });

  it('describes every endpoint in /openapi.json', async () => {
    const { body } = await get('/openapi.json');
    const paths = body.paths as Record<string, { get?: { parameters?: { name?: string; $ref?: string }[] } }>;
    for (const path of ['summary', 'sla-by-type', 'volume', 'backlog', 'surges', 'forecast', 'worklist', 'model', 'filters']) {
      expect(paths[`/api/v1/${path}`]?.get, path).toBeDefined();
    }
    expect(paths['/api/v1/summary'].get?.parameters?.map((parameter) => parameter.name ?? parameter.$ref)).toEqual([
      'since',
      'until',
      'type',
      'district',
      '#/components/parameters/City',
    ]);
    const schemas = (body.components as { schemas: Record<string, unknown> }).schemas;
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['DashboardSummary', 'Worklist', 'ModelCard', 'Error']));
  });
});
