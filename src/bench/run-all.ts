/**
 * `npm run bench`: every benchmark of the product in one run, each printing its own numbers,
 * then one summary table. Pick some with `npm run bench -- ingest model`. Each benchmark runs in
 * a fresh Node process, so none inherits another's heap, JIT state or leftover work.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Bench = () => Promise<Record<string, number>>;

const benches: Record<string, { title: string; load: () => Promise<Bench> }> = {
  ingest: {
    title: 'Ingest: 100,000 SODA rows over loopback HTTP into PostgreSQL and PGlite',
    load: async () => (await import('./ingest.bench.js')).runIngestBench,
  },
  features: {
    title: 'Point-in-time features for 1,000,000 tickets',
    load: async () => (await import('./features.bench.js')).runFeaturesBench,
  },
  model: {
    title: 'Model: training, scoring, and ml-random-forest on the same small sample',
    load: async () => (await import('./model.bench.js')).runModelBench,
  },
  train: {
    title: 'Training pipeline: civicops train on 100,000 tickets, and the scorer',
    load: async () => (await import('./train.bench.js')).runTrainBench,
  },
  charts: {
    title: 'Chart rendering (in-process Chart.js on @napi-rs/canvas)',
    load: async () => (await import('./charts.bench.js')).runChartsBench,
  },
  api: {
    title: 'HTTP API: POST /score_ticket under load from a separate process',
    load: async () => (await import('./api.bench.js')).runApiBench,
  },
  'api-v1': {
    title: 'Dashboard JSON API: each GET /api/v1/* on 500,000 tickets in PostgreSQL',
    load: async () => (await import('./api-v1.bench.js')).runApiV1Bench,
  },
  'cli-start': {
    title: 'CLI start: node bin/civicops.js --help against a bare node -e 0',
    load: async () => (await import('./cli-start.bench.js')).runCliStartBench,
  },
  dashboard: {
    title: 'Dashboard: first load in headless chromium, navigation to the last chart drawn',
    load: async () => (await import('./dashboard.bench.js')).runDashboardBench,
  },
};

/** Runs one benchmark in this process and hands its numbers to the parent. */
async function runChild(name: string): Promise<void> {
  const results = await (await benches[name]!.load())();
  // Letting go of the IPC channel lets the process exit once the benchmark's own handles are closed.
  process.send!(results, () => process.disconnect());
}

/** Runs one benchmark in a child process; its output goes straight to this terminal. */
async function runInChild(name: string): Promise<Record<string, number>> {
  const child = fork(fileURLToPath(import.meta.url), ['--child', name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let results: Record<string, number> | undefined;
  child.on('message', (message) => {
    results = message as Record<string, number>;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 || !results) throw new Error(`${name} bench exited with code ${String(code)} before reporting`);
  return results;
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  await runChild(process.argv[childAt + 1]!);
} else {
  const selected = process.argv.slice(2).filter((name) => !name.startsWith('-'));
  const names = selected.length > 0 ? selected : Object.keys(benches);
  const unknown = names.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(', ')} (choose from ${Object.keys(benches).join(', ')})`);
    process.exit(2);
  }

  const summary: Record<string, number> = {};
  let failed = false;
  for (const name of names) {
    console.log(`\n=== ${benches[name]!.title}`);
    try {
      const results = await runInChild(name);
      for (const [key, value] of Object.entries(results)) summary[`${name}.${key}`] = value;
    } catch (error) {
      failed = true;
      console.error(`  ${name} bench failed: ${(error as Error).message}`);
    }
  }

  console.log('\n=== Summary');
  const width = Math.max(...Object.keys(summary).map((key) => key.length));
  for (const [key, value] of Object.entries(summary)) console.log(`  ${key.padEnd(width)}  ${value}`);
  writeFileSync('bench-results.json', `${JSON.stringify({ at: new Date().toISOString(), results: summary }, null, 2)}\n`);
  console.log('\n(also written to bench-results.json)');
  process.exitCode = failed ? 1 : 0;
}
