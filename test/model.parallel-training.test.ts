import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trainClassifier } from '../src/model/classifier.js';
import { selectLabels, selectRows } from '../src/model/dataset.js';
import { generateSyntheticDataset } from '../src/model/synthetic-data.js';

type ParallelTraining = typeof import('../src/model/parallel-training.js');

// A worker thread cannot load the .ts sources vitest runs, so the threaded path is exercised on
// the compiled module that `npm ci` builds (its prepare script); under CI a missing build fails.
const compiled = new URL('../dist/model/parallel-training.js', import.meta.url);
const haveBuild = existsSync(compiled);
if (!haveBuild && process.env.CI) throw new Error('dist/ is missing: run `npm run build` before the tests.');
// A build older than the model's sources would test old code: say so instead.
const modelSources = new URL('../src/model/', import.meta.url);
const staleSources = haveBuild
  ? readdirSync(modelSources).filter(
      (file) => file.endsWith('.ts') && statSync(new URL(file, modelSources)).mtimeMs > statSync(compiled).mtimeMs,
    )
  : [];

const train = generateSyntheticDataset({ rows: 6000, features: 8, seed: 7, signalStrength: 3 });
const validation = generateSyntheticDataset({ rows: 2000, features: 8, seed: 8, signalStrength: 3 });
const halves = [Array.from({ length: 3000 }, (_, i) => i), Array.from({ length: 3000 }, (_, i) => 3000 + i)];

const jobs = [
  () => ({ data: train.data, labels: train.labels, options: { kind: 'gbt' as const, seed: 3, nRounds: 60, validation } }),
  () => ({ data: train.data, labels: train.labels, options: { kind: 'forest' as const, seed: 4, nTrees: 20 } }),
  ...halves.map((rows) => () => ({
    data: selectRows(train.data, rows),
    labels: selectLabels(train.labels, rows),
    options: { kind: 'gbt' as const, seed: 5, nRounds: 40 },
  })),
];
const rows = [6000, 6000, 3000, 3000];

describe.skipIf(!haveBuild)('training independent classifiers on worker threads', () => {
  it('runs on a build as new as the sources', () => {
    expect(staleSources, 'src/model changed after the last build: run `npm run build`').toEqual([]);
  });

  it('gives the same models, in job order, as training them one after another in-thread', async () => {
    const parallel = (await import(compiled.href)) as ParallelTraining;
    const threaded = await parallel.trainClassifiersInParallel(jobs, rows, { threads: 2 });
    expect(threaded).toHaveLength(4);
    for (const [index, job] of jobs.entries()) {
      const { data, labels, options } = job();
      const inThread = await trainClassifier(data, labels, options);
      const { summary: threadedSummary, ...threadedModel } = threaded[index]!.model.toJSON();
      const { summary, ...model } = inThread.toJSON();
      expect(threadedModel).toEqual(model);
      // The forest records no worker count; gbt's early stopping kept the same rounds.
      expect(threadedSummary.bestRounds).toBe(summary.bestRounds);
      expect(threadedSummary.trees).toBe(summary.trees);
      expect(threaded[index]!.seconds).toBeGreaterThan(0);
      expect(Array.from(threaded[index]!.model.predict(validation.data))).toEqual(Array.from(inThread.predict(validation.data)));
    }
  });

  it('fails with the first failing fit as MODEL_NOT_TRAINED, stopping the running fits and starting no queued one', async () => {
    const parallel = (await import(compiled.href)) as ParallelTraining;
    const built: string[] = [];
    const broken = () => {
      built.push('broken');
      return { data: train.data, labels: train.labels.subarray(0, 10), options: { kind: 'gbt' as const } };
    };
    // Hours of rounds: were it awaited rather than stopped, the test would run out of time.
    const long = () => {
      built.push('long');
      return { data: train.data, labels: train.labels, options: { kind: 'gbt' as const, nRounds: 10_000_000, seed: 1 } };
    };
    const queued = () => {
      built.push('queued');
      return jobs[0]!();
    };
    await expect(parallel.trainClassifiersInParallel([broken, long, queued], [6000, 6000, 6000], { threads: 2 })).rejects.toMatchObject({
      code: 'MODEL_NOT_TRAINED',
      message: expect.stringMatching(/Training worker failed: .*labels/i),
    });
    expect(built).toEqual(['broken', 'long']);
  });

  it('reports a job that cannot even be built, before any worker starts for it', async () => {
    const parallel = (await import(compiled.href)) as ParallelTraining;
    const unbuildable = () => {
      throw new Error('out of rows');
    };
    await expect(parallel.trainClassifiersInParallel([unbuildable, jobs[2]!], [6000, 3000], { threads: 2 })).rejects.toThrow('out of rows');
  });
});

describe('training independent classifiers below the thread threshold', () => {
  it('trains in-thread, one job after another, with each job’s own seed', async () => {
    const { trainClassifiersInParallel, PARALLEL_MIN_ROWS } = await import('../src/model/parallel-training.js');
    expect(rows.reduce((a, b) => a + b, 0)).toBeLessThan(PARALLEL_MIN_ROWS);
    const trained = await trainClassifiersInParallel(jobs.slice(2), rows.slice(2));
    const first = await trainClassifier(selectRows(train.data, halves[0]!), selectLabels(train.labels, halves[0]!), {
      kind: 'gbt',
      seed: 5,
      nRounds: 40,
    });
    expect(trained.map((job) => job.model.summary.trainRows)).toEqual([3000, 3000]);
    expect(trained[0]!.model.toJSON().trees).toEqual(first.toJSON().trees);
  });
});
