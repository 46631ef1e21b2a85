import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import type { JobFunctions, JobName } from './job-catalog.js';
import type { JobOutcome } from './job-runner.js';
import { runJobChain } from './run-job-chain.js';
import type { JobSchedule } from './schedule.js';

export interface SchedulerDeps {
  warehouse: Pick<Warehouse, 'db' | 'kind'>;
  logger: Logger;
  jobs: JobFunctions;
  schedules: readonly JobSchedule[];
  /** Identifies this replica in job_run (default hostname:pid). */
  runner?: string;
  /** Told of every attempt as it ends (see JobChainDeps.onOutcome). */
  onOutcome?: (outcome: JobOutcome) => void;
}

export interface Scheduler {
  /** Jobs armed on a cron timer in this process. */
  readonly scheduled: readonly JobName[];
  /**
   * Runs one tick of a job now, as its cron timer does (job plus follow-ups). Never throws. A tick
   * while the same job is still running in this process is skipped (recorded as skipped_locked).
   */
  tick(job: JobName): Promise<JobOutcome[]>;
  /**
   * Stops the timers, aborts running jobs (they stop at their next checkpoint) and waits for them,
   * at most `timeoutMs` (default 8 s, leaving room in a 10 s shutdown). `drained` is false when a
   * job was still running at the deadline.
   */
  stop(options?: { timeoutMs?: number }): Promise<{ drained: boolean }>;
}

/** node-cron's own log lines (missed ticks, overlaps) go to our logger. */
function cronLogger(logger: Logger) {
  return {
    info: (message: string) => logger.info({ source: 'node-cron' }, message),
    warn: (message: string) => logger.warn({ source: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) => logger.error({ source: 'node-cron', err: err ?? message }, String(message)),
    debug: (message: string | Error) => logger.debug({ source: 'node-cron' }, String(message)),
  };
}

/**
 * Arms a node-cron timer (in each schedule's time zone, without overlapping runs of a job) for
 * every scheduled job this build has. A job that fails is logged and recorded, and runs again on
 * its next tick; nothing a job does can throw out of a tick.
 *
 * `timers: false` arms nothing: tests drive ticks with `tick()` instead of the wall clock.
 */
export function startScheduler(deps: SchedulerDeps, options: { timers?: boolean } = {}): Scheduler {
  const controller = new AbortController();
  const inFlight = new Set<Promise<JobOutcome[]>>();
  const tasks: ScheduledTask[] = [];
  let stopping = false;

  const tick = (job: JobName): Promise<JobOutcome[]> => {
    if (stopping) return Promise.resolve([]);
    const run = runJobChain({ ...deps, signal: controller.signal }, job, { trigger: 'schedule' }).catch((error: unknown) => {
      // runJobChain does not throw; this only guards the scheduler against a bug in it.
      deps.logger.error({ err: error, job }, 'scheduled tick failed unexpectedly');
      return [] as JobOutcome[];
    });
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  };

  const scheduled: JobName[] = [];
  if (options.timers !== false) {
    for (const schedule of deps.schedules) {
      if (!schedule.cron) continue;
      if (!deps.jobs[schedule.job]) {
        deps.logger.info(
          { job: schedule.job },
          `job "${schedule.job}" is not configured here (Slack jobs need SLACK_BOT_TOKEN and a channel); not scheduled`,
        );
        continue;
      }
      const task = createTask(schedule.cron, async () => void (await tick(schedule.job)), {
        name: `civicops:${schedule.job}`,
        timezone: schedule.timeZone,
        noOverlap: true,
        logger: cronLogger(deps.logger),
      });
      task.on('execution:overlap', () =>
        deps.logger.warn({ job: schedule.job }, 'previous run of this job is still going; this tick is skipped'),
      );
      void task.start();
      tasks.push(task);
      scheduled.push(schedule.job);
      deps.logger.info({ job: schedule.job, cron: schedule.cron, timeZone: schedule.timeZone }, 'job scheduled');
    }
  }

  return {
    scheduled,
    tick,
    async stop({ timeoutMs = 8_000 } = {}) {
      stopping = true;
      for (const task of tasks) await task.destroy();
      controller.abort(new Error('shutdown'));
      if (inFlight.size === 0) return { drained: true };
      deps.logger.info({ running: inFlight.size }, 'waiting for running jobs to checkpoint');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const drained = await Promise.race([Promise.allSettled([...inFlight]).then(() => true as const), deadline]);
      clearTimeout(timer);
      if (!drained) deps.logger.warn({ running: inFlight.size, timeoutMs }, 'jobs still running at the shutdown deadline');
      return { drained };
    },
  };
}
