/**
 * Start time of the CLI: the median wall time of `node bin/civicops.js --help` (which loads
 * only the command catalog, not the warehouse, model, charts or Slack) against a bare
 * `node -e 0`, the floor any Node CLI pays. Target: under 300 ms.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = 15;
const WARMUP = 2;
const TARGET_MS = 300;

const binPath = fileURLToPath(new URL('../../bin/civicops.js', import.meta.url));

function medianStartMs(args: string[]): number {
  const times: number[] = [];
  for (let run = 0; run < WARMUP + RUNS; run++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
    if (run >= WARMUP) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

export async function runCliStartBench(): Promise<Record<string, number>> {
  const help = medianStartMs([binPath, '--help']);
  const bare = medianStartMs(['-e', '0']);
  const ratio = help / bare;
  console.log(`civicops --help: median ${help.toFixed(0)} ms over ${RUNS} runs (target < ${TARGET_MS} ms)`);
  console.log(`node -e 0:       median ${bare.toFixed(0)} ms (the floor of any Node CLI)`);
  console.log(`ratio:           ${ratio.toFixed(2)}× a bare node start${help < TARGET_MS ? '' : '  — OVER TARGET'}`);
  return { help_median_ms: Math.round(help), node_median_ms: Math.round(bare), ratio: Number(ratio.toFixed(2)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCliStartBench();
}
