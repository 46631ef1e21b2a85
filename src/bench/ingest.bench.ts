import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ingestFromSocrata } from '../ingest/ingest.js';
import { SodaClient } from '../socrata/soda-client.js';
import { createLogger } from '../shared/logger.js';
import { openPGlite, openPostgres, type Warehouse } from '../warehouse/database.js';
import { migrate } from '../warehouse/migrate.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { benchFileIngest } from './ingest-file.bench.js';

const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 100_000);
const PAGE_SIZE = 50_000;
/** Rows of the `ingest --from-file` against `\copy` comparison (1,000,000 by default; smaller for a quick run). */
const FILE_ROWS = Number(process.env.BENCH_INGEST_FILE_ROWS ?? 1_000_000);

/** CPU time (user + system) of a process, in ms, from /proc; 0 where /proc is not there. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The PostgreSQL server processes serving one database (its backends), by pid. */
function backendPidsOf(database: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          return commandLine.startsWith('postgres: ') && commandLine.includes(` ${database} `);
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

interface IngestRun {
  seconds: number;
  rowsPerSecond: number;
  fetched: number;
  /** CPU seconds of the ingest process (all its threads, garbage collection included). */
  ingestCpuSeconds: number;
}

async function timeIngest(warehouse: Warehouse, baseUrl: string): Promise<IngestRun> {
  const logger = createLogger({ level: 'silent' });
  const client = new SodaClient({ baseUrl, dataset: '78uv-94ar', timeoutMs: 120_000, maxRetries: 2, logger });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const summary = await ingestFromSocrata(
    { db: warehouse.db, logger, timeZone: 'America/New_York' },
    { client, source: 'bench', pageSize: PAGE_SIZE },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds, rowsPerSecond: summary.fetched / seconds, fetched: summary.fetched, ingestCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Ingest throughput end to end: synthetic SODA rows served over loopback HTTP by the fake (in its
 * own process, as a city server would be), fetched in 50,000-row pages, validated and upserted
 * into PostgreSQL and into PGlite.
 */
/** Starts the fake SODA server in a child process and resolves with its base URL. */
async function startFakeSodaProcess(rows: number): Promise<{ baseUrl: string; pid: number; close(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fake-soda-process.js', import.meta.url)), String(rows)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fake SODA process exited with code ${code}`)));
    lines.on('line', (line) => {
      if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
    });
  });
  return {
    baseUrl,
    pid: child.pid!,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export async function runIngestBench(options: { postgresUrl?: string } = {}): Promise<Record<string, number>> {
  const fake = await startFakeSodaProcess(ROWS);
  const results: Record<string, number> = {};
  try {
    const adminUrl =
      options.postgresUrl ?? process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
    const name = `civicops_bench_${process.pid}`;
    let admin: pg.Client | undefined;
    try {
      admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${name}`);
      await admin.query(`create database ${name}`);
    } catch (error) {
      console.log(`  PostgreSQL at ${new URL(adminUrl).host} not reachable (${(error as Error).message}); skipping the PostgreSQL run`);
      admin = undefined;
    }
    if (admin) {
      console.log(`  ingest --from-file of ${FILE_ROWS.toLocaleString('en-US')} rows against psql \\copy, same run:`);
      const file = await benchFileIngest(adminUrl, FILE_ROWS);
      if (file) {
        results.ingest_file_rows = file.rows;
        results.ingest_file_rows_per_s = Math.round(file.ingestRowsPerSecond);
        results.ingest_file_copy_rows_per_s = Math.round(file.copyRowsPerSecond);
        results.ingest_file_vs_copy_percent = Math.round(file.ratio * 100);
        if (file.peakRssMb !== null) results.ingest_file_peak_rss_mb = Math.round(file.peakRssMb);
      }
      console.log(`  over loopback SODA (${ROWS.toLocaleString('en-US')} rows):`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      // The bench drops its own database at the end; a pooled connection cut by that is expected.
      const warehouse = await openPostgres(url.toString(), { onIdleClientError: () => undefined });
      try {
        // Where the CPU goes, the three processes sharing this machine's cores: the ingest, the
        // PostgreSQL backends of the bench database (those alive at the end: the pool keeps its
        // connections through the run), and the fake city server.
        await migrate(warehouse.db);
        const fakeCpuBefore = processCpuMs(fake.pid);
        const backendsBefore = new Map(backendPidsOf(name).map((pid) => [pid, processCpuMs(pid)]));
        const run = await timeIngest(warehouse, fake.baseUrl);
        const fakeCpuSeconds = (processCpuMs(fake.pid) - fakeCpuBefore) / 1000;
        const postgresCpuSeconds =
          backendPidsOf(name).reduce((total, pid) => total + processCpuMs(pid) - (backendsBefore.get(pid) ?? 0), 0) / 1000;
        results.ingest_postgres_rows_per_s = Math.round(run.rowsPerSecond);
        results.ingest_postgres_seconds = Number(run.seconds.toFixed(2));
        results.ingest_postgres_cpu_ingest_s = Number(run.ingestCpuSeconds.toFixed(2));
        results.ingest_postgres_cpu_backends_s = Number(postgresCpuSeconds.toFixed(2));
        results.ingest_postgres_cpu_fake_city_s = Number(fakeCpuSeconds.toFixed(2));
        console.log(
          `  PostgreSQL: ${run.fetched.toLocaleString('en-US')} rows in ${run.seconds.toFixed(2)} s = ${Math.round(run.rowsPerSecond).toLocaleString('en-US')} rows/s (target ≥ 20,000)`,
        );
        console.log(
          `    CPU: ingest process ${run.ingestCpuSeconds.toFixed(2)} s, PostgreSQL backends ${postgresCpuSeconds.toFixed(2)} s, fake city server ${fakeCpuSeconds.toFixed(2)} s ` +
            `(${availableParallelism()} cores × ${run.seconds.toFixed(2)} s = ${(availableParallelism() * run.seconds).toFixed(2)} s available)`,
        );
      } finally {
        await warehouse.close();
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'civicops-bench-'));
    const embedded = await openPGlite(join(dir, 'pglite'));
    try {
      await migrate(embedded.db);
      const run = await timeIngest(embedded, fake.baseUrl);
      results.ingest_pglite_rows_per_s = Math.round(run.rowsPerSecond);
      results.ingest_pglite_seconds = Number(run.seconds.toFixed(2));
      console.log(
        `  PGlite (on disk): ${run.fetched.toLocaleString('en-US')} rows in ${run.seconds.toFixed(2)} s = ${Math.round(run.rowsPerSecond).toLocaleString('en-US')} rows/s`,
      );
    } finally {
      await embedded.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await fake.close();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Ingest benchmark: ${ROWS.toLocaleString('en-US')} synthetic SODA rows over loopback HTTP`);
  await runIngestBench();
}
