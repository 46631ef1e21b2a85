/**
 * The dashboard's JSON API on a city-sized warehouse: 500,000 synthetic tickets in PostgreSQL, a
 * trained model, the app's own server (createApp) on loopback, and each GET /api/v1/* endpoint
 * timed from first byte sent to last byte read. Target: p95 under 250 ms per endpoint. The first
 * request of each endpoint is reported apart ("first ms"): the worklist and the summary score the
 * open tickets then (persisted in ticket_score, emptied at the start of every run).
 * BENCH_API_V1_DB_NAME=name keeps the loaded database for the next run; BENCH_API_V1_ONLY=a,b
 * times only those endpoints.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../config/config.js';
import { ingestRows } from '../ingest/ingest.js';
import { createApp } from '../main.js';
import { trainAndRegister } from '../model/train-pipeline.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openPostgres, type Warehouse } from '../warehouse/database.js';
import { findPromotedModelSummary } from '../warehouse/model.repository.js';
import { migrate } from '../warehouse/migrate.js';
import { generateSodaRows } from './synthetic-soda.js';

const TICKETS = Number(process.env.BENCH_API_V1_TICKETS ?? 500_000);
const REQUESTS = Number(process.env.BENCH_API_V1_REQUESTS ?? 30);
const TARGET_P95_MS = 250;
const CHUNK = 50_000;

/** The endpoints the dashboard calls on first load, with its default filters. */
const ENDPOINTS = [
  '/api/v1/summary',
  '/api/v1/sla-by-type',
  '/api/v1/volume',
  '/api/v1/backlog',
  '/api/v1/surges',
  '/api/v1/forecast',
  '/api/v1/worklist?limit=25',
  '/api/v1/model',
  '/api/v1/filters',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timeRequest(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

async function loadTickets(db: Warehouse['db'], logger: Logger): Promise<void> {
  const loadStarted = performance.now();
  // About two years of a large city's requests (a ticket every ~2 minutes), ending near today.
  const from = new Date(Date.now() - 2 * 365 * 86_400_000);
  const rows = generateSodaRows(TICKETS, { seed: 2026, from, meanMinutesBetweenRequests: (2 * 365 * 1_440) / TICKETS });
  for (let offset = 0; offset < TICKETS; offset += CHUNK) {
    await ingestRows({ db: db, logger, timeZone: 'America/New_York' }, rows.slice(offset, offset + CHUNK), {
      source: 'bench',
      pageSize: CHUNK,
    });
  }
  rows.length = 0;
  // What autovacuum does soon after a load this size: planner statistics and the visibility map
  // (without it the index-only plans read every heap page, and the estimates are off).
  await sql`vacuum analyze`.execute(db);
  console.log(
    `  loaded ${TICKETS.toLocaleString('en-US')} synthetic tickets in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
  );
}

async function train(db: Warehouse['db'], logger: Logger): Promise<void> {
  const trainStarted = performance.now();
  await trainAndRegister({ db: db, logger, slaHours: 72, timeZone: 'America/New_York' }, { kinds: ['gbt'] });
  console.log(`  trained the model in ${((performance.now() - trainStarted) / 1000).toFixed(1)} s`);
}

export async function runApiV1Bench(): Promise<Record<string, number>> {
  const logger = createLogger({ level: 'silent' });
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  // BENCH_API_V1_DB_NAME keeps the loaded, trained database between runs, to iterate faster.
  const keptName = process.env.BENCH_API_V1_DB_NAME;
  const name = keptName ?? `civicops_api_v1_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const existing = await admin.query('select 1 from pg_database where datname = $1', [name]);
  const reuse = keptName !== undefined && existing.rowCount === 1;
  if (!reuse) {
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const warehouse = await openPostgres(url.toString(), { onIdleClientError: () => undefined });
  const results: Record<string, number> = {};
  try {
    await migrate(warehouse.db);
    if (reuse) console.log(`  reusing the loaded database ${name} (BENCH_API_V1_DB_NAME)`);
    else await loadTickets(warehouse.db, logger);
    // A kept database whose first run stopped during training is trained now.
    if (!(await findPromotedModelSummary(warehouse.db))) await train(warehouse.db, logger);
    // Every run starts without persisted scores, so the first worklist request pays for scoring the open tickets.
    await sql`truncate ticket_score`.execute(warehouse.db);

    const app = createApp({
      config: loadConfig({ SCORER_REFRESH_MINUTES: '0' }),
      logger,
      warehouse: { ...warehouse, close: async () => {} },
    });
    const server = await app.server();
    const { port } = await server.listen(0, '127.0.0.1');
    // listen starts the score warm-up in the background; timed apart, as a server does it before traffic.
    const warmStarted = performance.now();
    const warmed = await server.scoresWarmed();
    results.score_warm_up_ms = Math.round(performance.now() - warmStarted);
    console.log(`  score warm-up: ${warmed?.scored ?? 0} open tickets in ${results.score_warm_up_ms} ms (in the background of listen)`);
    try {
      console.log(
        `  ${'endpoint'.padEnd(28)} ${'status'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'first ms'.padStart(9)}  target p95 < ${TARGET_P95_MS} ms`,
      );
      // BENCH_API_V1_ONLY=worklist,summary times only the endpoints whose path contains one of those words.
      const only = process.env.BENCH_API_V1_ONLY?.split(',');
      for (const path of ENDPOINTS.filter((endpoint) => !only || only.some((word) => endpoint.includes(word)))) {
        const target = `http://127.0.0.1:${port}${path}`;
        // The first request is reported on its own: it scores what is not yet scored (worklist, summary).
        const first = await timeRequest(target);
        for (let warm = 0; warm < 2; warm += 1) await timeRequest(target);
        const times: number[] = [];
        let status = 0;
        for (let i = 0; i < REQUESTS; i += 1) {
          const timed = await timeRequest(target);
          times.push(timed.ms);
          status = timed.status;
        }
        times.sort((a, b) => a - b);
        const p95 = percentile(times, 95);
        const key = path.replace('/api/v1/', '').replace(/\?.*$/, '');
        results[`${key}_p95_ms`] = Math.round(p95 * 10) / 10;
        results[`${key}_first_ms`] = Math.round(first.ms * 10) / 10;
        const verdict = status !== 200 ? `HTTP ${status}` : p95 < TARGET_P95_MS ? 'met' : 'NOT met';
        console.log(
          `  ${path.padEnd(28)} ${String(status).padStart(6)} ${percentile(times, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${times.at(-1)!.toFixed(1).padStart(8)} ${first.ms.toFixed(1).padStart(9)}  ${verdict}`,
        );
      }
    } finally {
      await server.close();
    }
  } finally {
    await warehouse.close();
    if (keptName === undefined) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
  return results;
}
