import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CivicOpsError } from '../shared/errors.js';
import {
  loadTreeClassifier,
  trainClassifier,
  type SerializedTreeClassifier,
  type TrainClassifierOptions,
  type TreeClassifier,
} from './classifier.js';
import type { Dataset } from './dataset.js';
import { firstReplyOf } from './worker-reply.js';

/** One independent fit. Built when a thread is free, so only the running jobs' rows are held at once. */
export type TrainingJob = () => { data: Dataset; labels: Uint8Array; options: TrainClassifierOptions };

/** What the worker receives: plain data (the columns are copied into it). */
export interface TrainingJobMessage {
  data: Dataset;
  labels: Uint8Array;
  options: TrainClassifierOptions;
}

/**
 * Below this many rows over all jobs, starting threads (module load, cold JIT, copying the
 * columns) costs more than it saves; the bundled sample and the tests train in-thread.
 */
export const PARALLEL_MIN_ROWS = 200_000;

/** A job's model and the wall-clock seconds it took (on its thread). */
export interface TrainedJob {
  model: TreeClassifier;
  seconds: number;
}

export interface ParallelTrainingOptions {
  /** Threads at most (default: the machine's cores); 1 trains one job after another in-thread. */
  threads?: number;
}

/**
 * Trains independent classifiers (cross-fit folds and the refit, or two candidates) at once, one
 * worker thread per core. Each job keeps its own seed, so the models equal those trained one
 * after another in-thread (test/model.parallel-training.test.ts compares them). A forest inside a
 * worker grows its trees in that worker alone: the jobs already use every core.
 */
export async function trainClassifiersInParallel(
  jobs: readonly TrainingJob[],
  rowsPerJob: readonly number[],
  options: ParallelTrainingOptions = {},
): Promise<TrainedJob[]> {
  const threads = chooseThreads(jobs.length, rowsPerJob, options.threads);
  if (threads <= 1) {
    const models: TrainedJob[] = [];
    for (const job of jobs) {
      // Lets pending I/O run between fits (a train inside `civicops start` must not hold the event loop).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const started = performance.now();
      const { data, labels, options: fitOptions } = job();
      const model = await trainClassifier(data, labels, fitOptions);
      models.push({ model, seconds: (performance.now() - started) / 1000 });
    }
    return models;
  }
  const models = new Array<TrainedJob>(jobs.length);
  const running = new Set<Worker>();
  let next = 0;
  // The first failure fails the train: no new job starts and the running ones are stopped, so the
  // cores are not kept busy for models nobody will use.
  let firstError: unknown;
  const runNext = async (): Promise<void> => {
    while (next < jobs.length && firstError === undefined) {
      const index = next++;
      const started = performance.now();
      try {
        const model = loadTreeClassifier(await trainOnWorker(jobs[index]!, running));
        models[index] = { model, seconds: (performance.now() - started) / 1000 };
      } catch (error) {
        if (firstError === undefined) {
          firstError = error;
          await Promise.all([...running].map((worker) => worker.terminate()));
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: threads }, runNext));
  if (firstError !== undefined) throw firstError;
  return models;
}

function chooseThreads(jobCount: number, rowsPerJob: readonly number[], requested: number | undefined): number {
  // vitest runs the .ts sources; a worker cannot load a .ts file, so train in-thread there.
  if (import.meta.url.endsWith('.ts')) return 1;
  const limit = Math.min(jobCount, requested ?? availableParallelism());
  if (requested !== undefined) return Math.max(1, limit);
  const totalRows = rowsPerJob.reduce((sum, rows) => sum + rows, 0);
  return totalRows >= PARALLEL_MIN_ROWS ? Math.max(1, limit) : 1;
}

/**
 * Builds the job and trains it on a new worker (listed in `running` while it lives). The job's
 * rows are copied into the worker as it starts; this thread's copy is not kept past that.
 */
async function trainOnWorker(job: TrainingJob, running: Set<Worker>): Promise<SerializedTreeClassifier> {
  const worker = startWorker(job);
  running.add(worker);
  worker.once('exit', () => running.delete(worker));
  const reply = await firstReplyOf<{ model?: SerializedTreeClassifier; error?: string }>(worker, 'Training worker');
  if (reply.model) return reply.model;
  throw new CivicOpsError('MODEL_NOT_TRAINED', `Training worker failed: ${reply.error ?? 'no reply'}`);
}

function startWorker(job: TrainingJob): Worker {
  const { data, labels, options } = job();
  // A forest inside a worker grows its trees there alone: the jobs already use every core.
  const message: TrainingJobMessage = { data, labels, options: options.kind === 'forest' ? { ...options, workers: 1 } : options };
  return new Worker(new URL('./parallel-training.worker.js', import.meta.url), { workerData: message });
}
