import { startApp } from '../../jobs/app-runtime.js';
import { onShutdownSignal } from '../../jobs/shutdown-signals.js';
import type { App } from '../../main.js';
import type { CliCommand } from '../command.js';

/**
 * `civicops start`: the HTTP server and the job scheduler in one long-running process, until
 * SIGTERM/SIGINT. Shutdown stops accepting requests, aborts running jobs (ingest stops between
 * pages), waits for them, closes the server and the warehouse, all within 10 s.
 */
export const startCommand: CliCommand = {
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
    const { logger } = context;
    let requestStop!: () => void;
    const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
    // Listen before opening anything, so a signal during start-up also shuts down cleanly.
    const signals = onShutdownSignal({ logger }, () => requestStop());
    let app: App | undefined;
    try {
      app = await context.openApp();
      const running = await startApp({
        warehouse: app.warehouse,
        logger,
        jobs: await app.jobs(),
        schedules: app.schedules,
        server: await app.server(),
        port: app.config.http.port,
      });
      logger.info({ warehouse: app.warehouse.describe, jobs: running.scheduler.scheduled }, 'civicops started');
      await stopRequested;
      await running.stop();
      return 0;
    } finally {
      signals.dispose();
      await app?.close();
      logger.info('civicops stopped');
    }
  },
};
