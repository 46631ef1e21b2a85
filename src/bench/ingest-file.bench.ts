/**
 * `civicops ingest --from-file` of N synthetic rows into PostgreSQL, measured in the same run as
 * its reference: psql's `\copy` of the same rows as `(id text, payload jsonb)`, the floor of any
 * load that keeps the raw row. The ingest runs as the real CLI in a child process under
 * `/usr/bin/time -v`, so its peak RSS is the whole process's, as an operator would see it.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateSodaRows } from './synthetic-soda.js';

const cliPath = fileURLToPath(new URL('../../bin/civicops.js', import.meta.url));
// Distinct rows to repeat under new ids: generating a million would cost more than the ingest.
const DISTINCT_ROWS = 20_000;

/** Writes the rows twice: a SODA JSON array (for the ingest) and COPY text `id<TAB>payload` (for \copy). */
async function writeBenchFiles(dir: string, rows: number): Promise<{ json: string; copy: string }> {
  const base = generateSodaRows(DISTINCT_ROWS, { seed: 311 });
  const json = join(dir, 'rows.json');
  const copy = join(dir, 'rows.copy');
  const jsonOut = createWriteStream(json);
  const copyOut = createWriteStream(copy);
  const write = async (out: NodeJS.WritableStream, text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(jsonOut, '[');
  for (let index = 0; index < rows; index++) {
    const row = JSON.stringify({ ...base[index % DISTINCT_ROWS], id: String(10_000_000 + index) });
    await write(jsonOut, index === 0 ? row : `,\n${row}`);
    await write(copyOut, `${10_000_000 + index}\t${row.replaceAll('\\', '\\\\')}\n`);
  }
  jsonOut.end(']\n');
  copyOut.end();
  await Promise.all([once(jsonOut, 'finish'), once(copyOut, 'finish')]);
  return { json, copy };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

export interface FileIngestBenchResult {
  rows: number;
  copyRowsPerSecond: number;
  ingestRowsPerSecond: number;
  ratio: number;
  peakRssMb: number | null;
}

/** Runs both loads into fresh databases of the server at `adminUrl`; undefined when psql is missing. */
export async function benchFileIngest(adminUrl: string, rows: number): Promise<FileIngestBenchResult | undefined> {
  if (!existsSync('/usr/bin/psql') && !process.env.PATH?.split(':').some((dir) => existsSync(join(dir, 'psql')))) {
    console.log('  psql not found: skipping the --from-file / \\copy comparison');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'civicops-bench-file-'));
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const names = { copy: `civicops_bench_copy_${process.pid}`, ingest: `civicops_bench_file_${process.pid}` };
  const urlOf = (name: string) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  try {
    const files = await writeBenchFiles(dir, rows);
    console.log(`  wrote ${rows.toLocaleString('en-US')} rows: ${(statSync(files.json).size / 1e6).toFixed(0)} MB of SODA JSON`);
    for (const name of Object.values(names)) {
      await admin.query(`drop database if exists ${name}`);
      await admin.query(`create database ${name}`);
    }

    const copyTarget = new pg.Client({ connectionString: urlOf(names.copy) });
    await copyTarget.connect();
    await copyTarget.query('create table copy_target (id text, payload jsonb)');
    await copyTarget.end();
    const copy = await timed(() =>
      run('psql', [urlOf(names.copy), '-v', 'ON_ERROR_STOP=1', '-c', `\\copy copy_target from '${files.copy}'`], process.env),
    );
    if (copy.value.code !== 0) throw new Error(`psql \\copy failed: ${copy.value.stderr}`);

    // The CLI migrates the empty database itself on first use, as an operator's first ingest would.
    const env = { ...process.env, DATABASE_URL: urlOf(names.ingest), CIVICOPS_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    const withTime = existsSync('/usr/bin/time');
    const args = [cliPath, 'ingest', '--from-file', files.json, '--json'];
    const ingest = await timed(() =>
      withTime ? run('/usr/bin/time', ['-v', process.execPath, ...args], env) : run(process.execPath, args, env),
    );
    if (ingest.value.code !== 0) throw new Error(`civicops ingest --from-file failed: ${ingest.value.stderr.slice(-2000)}`);
    const summary = JSON.parse(ingest.value.stdout.trim().split('\n').pop()!) as { fetched: number; inserted: number };
    if (summary.fetched !== rows) throw new Error(`the ingest read ${summary.fetched} rows of ${rows}`);
    const rssKb = /Maximum resident set size \(kbytes\): (\d+)/.exec(ingest.value.stderr)?.[1];

    const result: FileIngestBenchResult = {
      rows,
      copyRowsPerSecond: rows / copy.seconds,
      ingestRowsPerSecond: rows / ingest.seconds,
      ratio: copy.seconds / ingest.seconds,
      peakRssMb: rssKb ? Number(rssKb) / 1024 : null,
    };
    const rate = (value: number) => Math.round(value).toLocaleString('en-US');
    console.log(`  psql \\copy (id text, payload jsonb): ${copy.seconds.toFixed(1)} s = ${rate(result.copyRowsPerSecond)} rows/s`);
    console.log(
      `  civicops ingest --from-file: ${ingest.seconds.toFixed(1)} s = ${rate(result.ingestRowsPerSecond)} rows/s ` +
        `(${(result.ratio * 100).toFixed(0)}% of \\copy; target ≥ 50%), ${summary.inserted.toLocaleString('en-US')} inserted`,
    );
    console.log(
      `  peak RSS of the ingest process: ${result.peakRssMb === null ? 'n/a (no /usr/bin/time)' : `${result.peakRssMb.toFixed(0)} MB`} (target < 512 MB)`,
    );
    return result;
  } finally {
    for (const name of Object.values(names)) await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
