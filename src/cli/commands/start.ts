import { startApp } from '../../jobs/app-runtime.js';
import type { RuntimeComposition } from '../../jobs/runtime-composition.js';
import { loadSchedules } from '../../jobs/schedule.js';
import { onShutdownSignal } from '../../jobs/shutdown-signals.js';
import type { Warehouse } from '../../warehouse/database.js';
import type { CliCommand } from '../command.js';
import { buildJobFunctions } from './jobs.js';

/**
 * `civicops start`: the HTTP server and the job scheduler in one long-running process, until
 * SIGTERM/SIGINT. Shutdown stops accepting requests, aborts running jobs (ingest stops between
 * pages), waits for them, closes the server and the warehouse, all within 10 s.
 */
export function createStartCommand(composition: RuntimeComposition = {}): CliCommand {
  return {
    name: 'start',
    summary: 'Run the HTTP server and the job scheduler (ingest, alerts, train, digest) until stopped',
    usage: 'civicops start',
    options: {},
    details: [
      'Schedules come from jobs/schedules.json with INGEST_CRON, TRAIN_CRON and DIGEST_CRON (in TZ_CITY).',
      'Run several replicas against one PostgreSQL (DATABASE_URL): each job runs on one replica at a',
      'time thanks to PostgreSQL advisory locks; the others record the tick as skipped_locked.',
      'SIGTERM/SIGINT shut down gracefully within 10 s.',
    ].join('\n'),
    async run(_args, context) {
      const { config, logger } = context;
      const schedules = loadSchedules(config);
      let requestStop!: () => void;
      const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
      // Listen before opening anything, so a signal during start-up also shuts down cleanly.
      const signals = onShutdownSignal({ logger }, () => requestStop());
      let warehouse: Warehouse | undefined;
      try {
        warehouse = await context.openWarehouse();
        const runtime = { config, logger, warehouse };
        const jobs = await buildJobFunctions(runtime, composition);
        const server = composition.createServer ? await composition.createServer(runtime) : undefined;
        const app = await startApp({ warehouse, logger, jobs, schedules, server, port: config.http.port });
        logger.info({ warehouse: warehouse.describe, jobs: app.scheduler.scheduled }, 'civicops started');
        await stopRequested;
        await app.stop();
        return 0;
      } finally {
        signals.dispose();
        await warehouse?.close();
        logger.info('civicops stopped');
      }
    },
  };
}

/** `civicops start` without the HTTP API; the composition root passes createServer and the jobs. */
export const startCommand: CliCommand = createStartCommand();
