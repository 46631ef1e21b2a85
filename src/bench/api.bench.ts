import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { destination } from 'pino';
import { createApiServer } from '../api/api-server.js';
import { exampleScoreRequest } from '../api/score-ticket.schema.js';
import { loadConfig } from '../config/config.js';
import { ingestRows } from '../ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../ingest/snapshot.js';
import { createScorer } from '../model/score-ticket.js';
import { trainAndRegister } from '../model/train-pipeline.js';
import { createLogger } from '../shared/logger.js';
import { openPGlite } from '../warehouse/database.js';
import { migrate } from '../warehouse/migrate.js';
import type { LoadPlan, LoadResult } from './api-load.js';

const CONNECTIONS = 50;
const DURATION_SECONDS = 10;
const WARMUP_SECONDS = 3;
const TARGET_P99_MS = 10;
const TARGET_RPS = 2_000;
const BASELINE_SECONDS = 5;
const SCORER_CALLS = 5_000;

/**
 * The load's numbers and this process's CPU time per request while it ran (user + system, all
 * threads, GC included; autocannon is another process): unlike latency, barely moved by whatever
 * else the machine runs, so it is the number to compare changes by.
 */
async function runMeasuredLoad(plan: LoadPlan): Promise<LoadResult & { serverCpuMicrosPerRequest: number }> {
  const before = process.cpuUsage();
  const result = await runLoadInChild(plan);
  const used = process.cpuUsage(before);
  return { ...result, serverCpuMicrosPerRequest: (used.user + used.system) / Math.max(1, result.totalRequests) };
}

/** Runs one load in a separate Node process, so autocannon does not compete with the server's event loop. */
async function runLoadInChild(plan: LoadPlan): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./api-load.js', import.meta.url));
  const child = fork(script, [JSON.stringify(plan)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let result: LoadResult | undefined;
  child.on('message', (message) => {
    result = message as LoadResult;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 || !result) throw new Error(`load process exited with code ${String(code)} before reporting`);
  return result;
}

/**
 * The same load against a bare node:http server that only parses the JSON body and answers a
 * constant: the ceiling of this machine at this moment, so the API's numbers can be read
 * against what the CPU (shared with whatever else runs) allows.
 */
async function measureBareNodeBaseline(body: string): Promise<LoadResult & { serverCpuMicrosPerRequest: number }> {
  const bare = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request_type?: string };
      const reply = JSON.stringify({ request_type: parsed.request_type, sla_breach_probability: 0.5 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  try {
    const plan: LoadPlan = {
      url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/score_ticket`,
      connections: CONNECTIONS,
      durationSeconds: 2,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    };
    await runLoadInChild(plan);
    return await runMeasuredLoad({ ...plan, durationSeconds: BASELINE_SECONDS });
  } finally {
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    bare.closeAllConnections();
  }
}

/**
 * POST /score_ticket with the README's example body over loopback: the server runs here with a
 * model trained on the 5,000 bundled real rows (embedded PGlite, access logs on), autocannon runs
 * in a child process. Warm-up, then 10 s at 50 connections. Targets: p99 < 10 ms, ≥ 2,000 req/s, 0 errors.
 */
export async function runApiBench(): Promise<Record<string, number>> {
  const config = loadConfig({});
  const quiet = createLogger({ level: 'silent' });
  // Access logs stay on, written synchronously as in production, to a sink instead of the terminal.
  const accessLogger = createLogger({ level: 'info', destination: destination({ dest: '/dev/null', sync: true }) });
  const warehouse = await openPGlite();
  try {
    await migrate(warehouse.db);
    const rows = await readSodaSnapshot(bundledSnapshotPath);
    await ingestRows({ db: warehouse.db, logger: quiet, timeZone: config.cityTimeZone }, rows, { source: 'file:bundled-snapshot' });
    await trainAndRegister({ db: warehouse.db, logger: quiet, slaHours: config.slaHours, timeZone: config.cityTimeZone });
    const scorer = await createScorer({
      db: warehouse.db,
      logger: quiet,
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    // The model's own cost per ticket, without HTTP, to tell the two apart.
    const ticket = { requestType: exampleScoreRequest.request_type, overrides: { rolling7dVolume: 12, backlogAtCreation: 40 } };
    for (let index = 0; index < 500; index++) await scorer.scoreTicket(ticket);
    const scorerStarted = performance.now();
    for (let index = 0; index < SCORER_CALLS; index++) await scorer.scoreTicket(ticket);
    const scorerMicros = ((performance.now() - scorerStarted) * 1000) / SCORER_CALLS;
    const api = createApiServer({ config, logger: accessLogger, warehouse, scorer });
    const { port } = await api.listen(0, '127.0.0.1');
    try {
      const plan: LoadPlan = {
        url: `http://127.0.0.1:${port}/score_ticket`,
        connections: CONNECTIONS,
        durationSeconds: WARMUP_SECONDS,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(exampleScoreRequest),
      };
      await runLoadInChild(plan);
      const load = await runMeasuredLoad({ ...plan, durationSeconds: DURATION_SECONDS });
      const baseline = await measureBareNodeBaseline(plan.body ?? '');
      const failures = load.errors + load.timeouts + load.non2xx;
      console.log(
        `api: POST /score_ticket, ${CONNECTIONS} connections, ${DURATION_SECONDS} s after ${WARMUP_SECONDS} s warm-up (model ${scorer.currentModelVersion() ?? 'none'})`,
      );
      console.log(
        `  throughput  ${Math.round(load.requestsPerSecond).toLocaleString('en-US')} req/s  (target ≥ ${TARGET_RPS.toLocaleString('en-US')})  ${load.requestsPerSecond >= TARGET_RPS ? 'ok' : 'UNDER TARGET'}`,
      );
      console.log(
        `  latency     p50 ${load.latencyP50Ms} ms  p90 ${load.latencyP90Ms} ms  p99 ${load.latencyP99Ms} ms  max ${load.latencyMaxMs} ms  (target p99 < ${TARGET_P99_MS} ms)  ${load.latencyP99Ms < TARGET_P99_MS ? 'ok' : 'OVER TARGET'}`,
      );
      console.log(
        `  requests    ${load.totalRequests.toLocaleString('en-US')} total, errors ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx}  ${failures === 0 ? 'ok' : 'FAILURES'}`,
      );
      console.log(`  server CPU  ${load.serverCpuMicrosPerRequest.toFixed(1)} µs per request (this process, GC included)`);
      console.log(`  scorer      ${scorerMicros.toFixed(1)} µs per ticket in-process (no HTTP)`);
      console.log(
        `  baseline    bare node:http JSON echo on this machine now: ${Math.round(baseline.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${baseline.latencyP50Ms} ms, p99 ${baseline.latencyP99Ms} ms, ${baseline.serverCpuMicrosPerRequest.toFixed(1)} µs CPU per request`,
      );
      return {
        'api.requestsPerSecond': Math.round(load.requestsPerSecond),
        'api.p50Ms': load.latencyP50Ms,
        'api.p90Ms': load.latencyP90Ms,
        'api.p99Ms': load.latencyP99Ms,
        'api.maxMs': load.latencyMaxMs,
        'api.totalRequests': load.totalRequests,
        'api.errors': load.errors,
        'api.timeouts': load.timeouts,
        'api.non2xx': load.non2xx,
        'api.serverCpuMicrosPerRequest': Math.round(load.serverCpuMicrosPerRequest * 10) / 10,
        'api.scorerMicrosPerTicket': Math.round(scorerMicros * 10) / 10,
        'api.baselineBareNodeRequestsPerSecond': Math.round(baseline.requestsPerSecond),
        'api.baselineBareNodeP99Ms': baseline.latencyP99Ms,
        'api.baselineBareNodeCpuMicrosPerRequest': Math.round(baseline.serverCpuMicrosPerRequest * 10) / 10,
      };
    } finally {
      await api.close();
    }
  } finally {
    await warehouse.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runApiBench();
}
