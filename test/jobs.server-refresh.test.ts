import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { startApp } from '../src/jobs/app-runtime.js';
import type { JobFunctions } from '../src/jobs/job-catalog.js';
import { loadSchedules } from '../src/jobs/schedule.js';
import { createApp, createScorerRefresher } from '../src/main.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { openPostgres, type Warehouse } from '../src/warehouse/database.js';

const logger = createLogger({ level: 'silent' });
const config = loadConfig({});
const schedules = loadSchedules(config);
const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const EXAMPLE = { request_type: 'Road Repair', status: 'Open', rolling_7d_volume: 12, backlog_at_creation: 40 };

/** The App of a `civicops start` process whose server refreshes its scorer every `refreshMs` (0 = never). */
function appRefreshingEvery(warehouse: Warehouse, refreshMs: number) {
  return createApp({ config: loadConfig({ SCORER_REFRESH_MINUTES: String(refreshMs / 60_000) }), logger, warehouse });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

async function scoreStatus(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/score_ticket`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(EXAMPLE),
  });
  await response.arrayBuffer();
  return response.status;
}

describe.each(engines)('the `civicops start` server keeps its scorer fresh on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await warehouse?.dispose();
  });

  it('refreshes after each successful ingest of its scheduler, before the follow-up alerts run; not after a failed one', async () => {
    const composed = appRefreshingEvery(warehouse, 0);
    const refresh = vi.spyOn(await composed.scorer(), 'refresh').mockResolvedValue();
    const server = await composed.server();
    let refreshesSeenByAlerts = -1;
    let ingestFails = false;
    const jobs: JobFunctions = {
      ingest: async () => {
        if (ingestFails) throw new Error('city API down');
        return { fetched: 3 };
      },
      alerts: async () => {
        refreshesSeenByAlerts = refresh.mock.calls.length;
        return {};
      },
      train: async () => ({ promoted: 0 }),
    };
    const app = await startApp({ warehouse, logger, jobs, schedules, server, port: 0, timers: false });
    try {
      expect(await app.scheduler.tick('ingest')).toMatchObject([{ status: 'succeeded' }, { job: 'alerts', status: 'succeeded' }]);
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(refreshesSeenByAlerts).toBe(1);

      ingestFails = true;
      expect(await app.scheduler.tick('ingest')).toMatchObject([{ status: 'failed' }]);
      await app.scheduler.tick('train');
      expect(refresh).toHaveBeenCalledTimes(1);
    } finally {
      await app.stop();
    }
  });

  it('refreshes every refreshMs while listening, and stops on close', async () => {
    const composed = appRefreshingEvery(warehouse, 40);
    const refresh = vi.spyOn(await composed.scorer(), 'refresh').mockResolvedValue();
    const server = await composed.server();
    await sleep(150);
    expect(refresh).not.toHaveBeenCalled(); // not listening yet
    await server.listen(0);
    await until(() => refresh.mock.calls.length >= 3);
    await server.close();
    const calls = refresh.mock.calls.length;
    await sleep(200);
    expect(refresh.mock.calls.length).toBe(calls);
  });

  it('a model trained by another process is served after the next periodic refresh (503 before, 200 after)', async () => {
    await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, sampleRows, { source: 'file:fixture' });
    const server = await appRefreshingEvery(warehouse, 100).server();
    const { port } = await server.listen(0);
    // "Another process": on PostgreSQL, a separate connection pool; on PGlite (one process only) the same handle.
    const trainer: Warehouse = name === 'postgres' ? await openPostgres(warehouse.url!, { max: 2 }) : warehouse;
    try {
      expect(await scoreStatus(port)).toBe(503);
      await trainAndRegister({ db: trainer.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone });
      await until(async () => (await scoreStatus(port)) === 200, 20_000);
    } finally {
      await server.close();
      if (trainer !== warehouse) await trainer.close();
    }
  }, 60_000);
});

describe('createScorerRefresher', () => {
  it('never throws: a failed refresh is logged and the previous model keeps serving', async () => {
    let calls = 0;
    const scorer = {
      currentModelVersion: () => null,
      refresh: () => {
        calls += 1;
        return calls === 1 ? Promise.resolve() : Promise.reject(new Error('warehouse down'));
      },
    };
    const refresh = createScorerRefresher(scorer, logger);
    await expect(refresh('periodic')).resolves.toBeUndefined();
    await expect(refresh('after ingest')).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
