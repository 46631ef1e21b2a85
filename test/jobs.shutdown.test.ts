import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { digestWarehouse } from './helpers/warehouse-digest.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { ingestFromSocrata } from '../src/ingest/ingest.js';
import { SodaClient } from '../src/socrata/soda-client.js';
import { createLogger } from '../src/shared/logger.js';
import { loadConfig } from '../src/config/config.js';
import { createIngestJob } from '../src/jobs/job-catalog.js';
import { loadSchedules } from '../src/jobs/schedule.js';
import { startApp } from '../src/jobs/app-runtime.js';
import { onShutdownSignal } from '../src/jobs/shutdown-signals.js';
import type { RuntimeServer } from '../src/jobs/app-runtime.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const TOKEN = 'jobs-test-token';
const PAGE = 250;
const schedules = loadSchedules(loadConfig({}));
let cliChild: string | undefined;

/**
 * Writes the entry of a child process that runs the real `civicops` CLI through vite-node (as
 * test/helpers/ingest-child.ts does), with two differences: it makes sure the jobs and start
 * commands are registered, and it drops the SIGTERM listener of vite-node's own dev server, which
 * would otherwise exit the child (code 143) before our graceful shutdown runs. The installed
 * binary (bin/civicops.js) has no such listener.
 */
function writeCliChild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'civicops-jobs-child-'));
  const src = (path: string) => JSON.stringify(fileURLToPath(new URL(`../src/${path}`, import.meta.url)));
  const file = join(dir, 'cli-child.ts');
  writeFileSync(
    file,
    [
      `import { runCli } from ${src('cli/main.ts')};`,
      `import { commands } from ${src('cli/commands/index.ts')};`,
      `import { jobsCommand } from ${src('cli/commands/jobs.ts')};`,
      `import { startCommand } from ${src('cli/commands/start.ts')};`,
      `for (const command of [jobsCommand, startCommand]) {`,
      `  if (!commands.some((known) => known.name === command.name)) (commands as unknown as unknown[]).push(command);`,
      `}`,
      `process.removeAllListeners('SIGTERM');`,
      `process.exitCode = await runCli(process.argv.slice(2).filter((arg) => arg !== '--'));`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('shutdown signals', () => {
  it('the first signal starts the shutdown once; a second one exits at once with 128 + its number', () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const seen: string[] = [];
    const handle = onShutdownSignal({ logger, source, exit: (code) => exits.push(code), graceMs: 60_000 }, (signal) => seen.push(signal));
    source.emit('SIGTERM');
    expect(seen).toEqual(['SIGTERM']);
    expect(handle.received()).toBe('SIGTERM');
    expect(exits).toEqual([]);
    source.emit('SIGINT');
    expect(seen).toEqual(['SIGTERM']);
    expect(exits).toEqual([130]);
    handle.dispose();
    expect(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT')).toBe(0);
  });

  it('forces an exit with code 1 when the shutdown hangs past its deadline', async () => {
    const source = new EventEmitter();
    const exits: number[] = [];
    const handle = onShutdownSignal({ logger, source, exit: (code) => exits.push(code), graceMs: 50 }, () => {});
    source.emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(exits).toEqual([1]);
    handle.dispose();
  });
});

describe.each(engines)('graceful shutdown mid-ingest on $name', ({ name }) => {
  let fake: FakeSoda;
  let warehouse: TestWarehouse;
  let reference: Awaited<ReturnType<typeof digestWarehouse>>;
  const clientFor = () =>
    new SodaClient({
      baseUrl: fake.baseUrl,
      dataset: fake.dataset,
      appToken: TOKEN,
      timeoutMs: 20_000,
      maxRetries: 2,
      retryBaseDelayMs: 5,
      logger,
    });
  const source = () => `${fake.baseUrl}/78uv-94ar`;
  const lastIngestRun = () => warehouse.db.selectFrom('ingest_run').selectAll().orderBy('run_id', 'desc').executeTakeFirst();

  beforeAll(async () => {
    cliChild ??= writeCliChild();
    fake = await startFakeSoda({ rows: sampleRows, requiredAppToken: TOKEN, updatedAt: new Date('2024-01-01T00:00:00Z') });
    const clean = await createTestWarehouse(name);
    await ingestFromSocrata({ db: clean.db, logger, timeZone }, { client: clientFor(), source: 'reference', pageSize: PAGE });
    reference = await digestWarehouse(clean.db);
    await clean.dispose();
  });
  afterAll(async () => {
    await fake?.close();
    if (cliChild) rmSync(dirname(cliChild), { recursive: true, force: true });
    cliChild = undefined;
  });
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
    fake.clearFaults();
    fake.clearRequests();
  });
  afterEach(async () => warehouse?.dispose());

  it('stopping the app closes the server, checkpoints the ingest, and a restart ends identical to an uninterrupted run', async () => {
    const http = createServer((_req, res) => res.end('ok'));
    const server: RuntimeServer = {
      listen: (port) => new Promise((resolve) => http.listen(port, '127.0.0.1', () => resolve(undefined))),
      close: () => new Promise((resolve, reject) => http.close((error) => (error ? reject(error) : resolve()))),
    };
    const jobs = { ingest: createIngestJob({ db: warehouse.db, client: clientFor(), source: source(), pageSize: PAGE, timeZone }) };
    fake.fault({ kind: 'slow', delayMs: 5_000, whereIncludes: ':id >', skip: 2, times: 5 });

    const app = await startApp({ warehouse, logger, jobs, schedules, server, port: 0, timers: false });
    const port = (http.address() as AddressInfo).port;
    expect(await get(port)).toBe('ok');
    const tick = app.scheduler.tick('ingest');
    await waitFor(async () => ((await lastIngestRun())?.next_offset ?? 0) >= 500);
    expect(await app.stop()).toEqual({ drained: true });

    expect(await tick).toMatchObject([{ job: 'ingest', status: 'interrupted' }]);
    await expect(get(port)).rejects.toThrow(); // no longer accepting
    const stopped = await lastIngestRun();
    expect(stopped).toMatchObject({ status: 'failed' });
    expect(stopped!.next_offset).toBeGreaterThanOrEqual(500);
    expect(stopped!.next_offset).toBeLessThan(sampleRows.length);
    const partial = await digestWarehouse(warehouse.db);
    expect(partial.facts).toBeLessThan(reference.facts); // whole pages only, and not all of them

    // "Restart": a new app on the same warehouse resumes from the checkpoint.
    fake.clearFaults();
    const restarted = await startApp({ warehouse, logger, jobs, schedules, port: 0, timers: false });
    const [outcome] = await restarted.scheduler.tick('ingest');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { resumed_from_run: stopped!.run_id } });
    await restarted.stop();
    expect(await digestWarehouse(warehouse.db)).toEqual(reference);
    const runs = await warehouse.db.selectFrom('job_run').select(['status']).orderBy('job_run_id').execute();
    expect(runs.map((run) => run.status)).toEqual(['interrupted', 'succeeded']);
  });

  it.runIf(name === 'postgres')(
    'SIGTERM to `civicops jobs run ingest` mid-run: exits within 10 s with code 143; running it again ends identical to an uninterrupted run',
    async () => {
      fake.fault({ kind: 'slow', delayMs: 5_000, whereIncludes: ':id >', skip: 2, times: 5 });
      const env = childEnv(warehouse.url!);
      const child = spawnCli(['jobs', 'run', 'ingest', '--only'], env);
      await waitFor(async () => ((await lastIngestRun())?.next_offset ?? 0) >= 500, 30_000);
      child.process.kill('SIGTERM');
      const exit = await Promise.race([child.exited, sleep(10_000).then(() => 'still running after 10 s' as const)]);
      if (exit === 'still running after 10 s') child.process.kill('SIGKILL');
      expect(exit).toEqual({ code: 143, signal: null });
      expect(child.stdout()).toContain('ingest: interrupted');

      const jobRun = await warehouse.db.selectFrom('job_run').selectAll().executeTakeFirstOrThrow();
      expect(jobRun).toMatchObject({ job: 'ingest', status: 'interrupted', trigger: 'manual' });
      expect(jobRun.error).toContain('SIGTERM');
      const stopped = await lastIngestRun();
      expect(stopped).toMatchObject({ status: 'failed' });
      expect(stopped!.next_offset).toBeGreaterThanOrEqual(500);

      fake.clearFaults();
      const again = spawnCli(['jobs', 'run', 'ingest', '--only', '--json'], env);
      expect(await again.exited).toEqual({ code: 0, signal: null });
      const { outcomes } = JSON.parse(again.stdout()) as { outcomes: { status: string; counts: Record<string, unknown> }[] };
      expect(outcomes).toMatchObject([{ status: 'succeeded', counts: { resumed_from_run: stopped!.run_id } }]);
      expect(await digestWarehouse(warehouse.db)).toEqual(reference);
    },
  );

  it.runIf(name === 'postgres')(
    '`civicops start` stops within 10 s on SIGTERM in the middle of a scheduled ingest, with nothing half-written',
    async () => {
      fake.fault({ kind: 'slow', delayMs: 5_000, whereIncludes: ':id >', skip: 1, times: 5 });
      const child = spawnCli(['start'], { ...childEnv(warehouse.url!), INGEST_CRON: '* * * * * *', PORT: '0' });
      await waitFor(async () => ((await lastIngestRun())?.next_offset ?? 0) >= 500, 30_000);
      child.process.kill('SIGTERM');
      const exit = await Promise.race([child.exited, sleep(10_000).then(() => 'still running after 10 s' as const)]);
      if (exit === 'still running after 10 s') child.process.kill('SIGKILL');
      expect(exit).toEqual({ code: 0, signal: null });
      const statuses = await warehouse.db.selectFrom('job_run').select('status').where('job', '=', 'ingest').execute();
      expect(statuses.map((row) => row.status)).toContain('interrupted');
      expect(statuses.map((row) => row.status)).not.toContain('running');
      const stopped = await lastIngestRun();
      expect(stopped).toMatchObject({ status: 'failed', next_offset: 500 });
      // Committed pages are whole: exactly the first two pages' rows are in the warehouse.
      const ingested = await warehouse.db
        .selectFrom('raw_ticket')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const quarantined = await warehouse.db
        .selectFrom('ingest_quarantine')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(ingested.n) + Number(quarantined.n)).toBeLessThanOrEqual(500);
      expect(Number(ingested.n)).toBeGreaterThan(0);
    },
  );

  function childEnv(databaseUrl: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SOCRATA_BASE_URL: fake.baseUrl,
      SOCRATA_APP_TOKEN: TOKEN,
      SOCRATA_PAGE_SIZE: String(PAGE),
      SOCRATA_TIMEOUT_MS: '20000',
      LOG_LEVEL: 'silent',
    };
  }
});

function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  if (!cliChild) throw new Error('the CLI child entry is written in beforeAll');
  const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', cliChild, '--', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited, stdout: () => stdout, stderr: () => stderr };
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
