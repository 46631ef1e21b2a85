import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import type { JobFunctions } from './job-catalog.js';
import type { JobOutcome } from './job-runner.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import type { JobSchedule } from './schedule.js';

/** What `civicops start` needs of the HTTP server (the App's server, src/main.ts). */
export interface RuntimeServer {
  listen(port: number): Promise<unknown>;
  close(): Promise<void>;
  /**
   * Told of every job attempt of this process's scheduler as it ends, so the server can react
   * (refresh its scorer after an ingest). Must not throw.
   */
  onJobOutcome?(outcome: JobOutcome): void;
}

export interface AppRuntimeDeps {
  warehouse: Pick<Warehouse, 'db' | 'kind'>;
  logger: Logger;
  jobs: JobFunctions;
  schedules: readonly JobSchedule[];
  /** Absent: the scheduler runs alone (tests of the scheduler). */
  server?: RuntimeServer;
  port: number;
  runner?: string;
  /** false: arm no cron timers (tests tick by hand). */
  timers?: boolean;
}

export interface RunningApp {
  readonly scheduler: Scheduler;
  /**
   * Stops accepting requests and aborts running jobs at once, then waits for in-flight requests
   * and for jobs to checkpoint (at most `jobTimeoutMs`). The caller closes the warehouse after.
   */
  stop(options?: { jobTimeoutMs?: number }): Promise<{ drained: boolean }>;
}

/** `civicops start`: the HTTP server and the job scheduler in one process. */
export async function startApp(deps: AppRuntimeDeps): Promise<RunningApp> {
  if (deps.server) {
    await deps.server.listen(deps.port);
    deps.logger.info({ port: deps.port }, 'HTTP server listening');
  } else {
    deps.logger.warn('HTTP API not available in this build; running the job scheduler only');
  }
  const scheduler = startScheduler(
    {
      warehouse: deps.warehouse,
      logger: deps.logger,
      jobs: deps.jobs,
      schedules: deps.schedules,
      runner: deps.runner,
      onOutcome: deps.server?.onJobOutcome ? (outcome) => deps.server?.onJobOutcome?.(outcome) : undefined,
    },
    { timers: deps.timers },
  );
  return {
    scheduler,
    async stop({ jobTimeoutMs = 8_000 } = {}) {
      const [, jobs] = await Promise.all([deps.server?.close(), scheduler.stop({ timeoutMs: jobTimeoutMs })]);
      deps.logger.info({ drained: jobs.drained }, 'server and scheduler stopped');
      return jobs;
    },
  };
}
