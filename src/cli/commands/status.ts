import type { JobHealth, JobsHealthReport } from '../../jobs/job-health.js';
import type { JobSchedule } from '../../jobs/schedule.js';
import { listRecentRuns, type IngestRun } from '../../warehouse/ingest-run.repository.js';
import { countWarehouseRows } from '../../warehouse/warehouse-counts.repository.js';
import { writeLine, type CliCommand } from '../command.js';

const number = new Intl.NumberFormat('en-US');

/** What `civicops status --json` prints. */
export interface StatusReport {
  warehouse: string;
  facts: number;
  quarantined: number;
  lastIngestRun: IngestRun | null;
  /** null when no model is trained yet. */
  modelVersion: string | null;
  jobs: JobsHealthReport;
}

function formatJobLine(job: JobHealth, schedules: readonly JobSchedule[]): string {
  const state = { ok: 'ok', failing: 'FAILING', overdue: 'OVERDUE', never_run: 'never run' }[job.state];
  const also = job.problems.length > 1 ? ` (+${job.problems.slice(1).join(', ').toUpperCase()})` : '';
  const parents = schedules.filter((schedule) => schedule.then.some((next) => next === job.job)).map((schedule) => schedule.job);
  const when = job.cron ?? (parents.length ? `after ${parents.join(', ')}` : 'manual only');
  return `  ${job.job.padEnd(7)} ${`${state}${also}`.padEnd(20)} ${when.padEnd(14)} ${job.message}`;
}

function formatIngestRun(run: IngestRun | null): string {
  if (!run) return 'none yet (run `civicops ingest` or `civicops jobs run ingest`)';
  const counts = `fetched ${number.format(run.fetched)}, inserted ${number.format(run.inserted)}, updated ${number.format(run.updated)}, quarantined ${number.format(run.quarantined)}`;
  const error = run.error && run.status !== 'succeeded' ? ` — ${run.error}` : '';
  return `run ${run.runId} ${run.status} (${run.mode}) started ${run.startedAt.toISOString()}: ${counts}${error}`;
}

/** `civicops status`: warehouse, data, model and the health of every scheduled job. */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show the warehouse, the last ingest, the model and the health of each scheduled job',
  usage: 'civicops status [--json]',
  options: {
    json: { type: 'boolean', description: 'print one JSON object instead of text' },
  },
  details: [
    'A job is FAILING when its newest finished run failed, and OVERDUE when it has not succeeded',
    'within twice its cron interval. Exit code 1 when any job is failing or overdue (for monitors).',
  ].join('\n'),
  async run({ values }, context) {
    const app = await context.openApp();
    const { config, warehouse, schedules } = app;
    try {
      const db = warehouse.db;
      const [counts, ingestRuns, health] = await Promise.all([countWarehouseRows(db), listRecentRuns(db, 1), app.health()]);
      const { jobs, modelVersion } = health;
      const report: StatusReport = {
        warehouse: warehouse.describe,
        facts: counts.facts,
        quarantined: counts.quarantined,
        lastIngestRun: ingestRuns[0] ?? null,
        modelVersion,
        jobs,
      };
      if (values.json) {
        writeLine(context.stdout, JSON.stringify(report));
      } else {
        const model = modelVersion ?? 'not trained yet (civicops jobs run train)';
        writeLine(context.stdout, `Warehouse    ${report.warehouse}`);
        writeLine(
          context.stdout,
          `Tickets      ${number.format(report.facts)} in fact_ticket, ${number.format(report.quarantined)} rows in quarantine`,
        );
        writeLine(context.stdout, `Last ingest  ${formatIngestRun(report.lastIngestRun)}`);
        writeLine(context.stdout, `Model        ${model}`);
        writeLine(
          context.stdout,
          `Jobs         ${jobs.ok ? 'healthy' : 'ATTENTION: a job is failing or overdue'} (times in UTC; schedules in ${config.cityTimeZone})`,
        );
        for (const job of jobs.jobs) writeLine(context.stdout, formatJobLine(job, schedules));
      }
      return jobs.ok ? 0 : 1;
    } finally {
      await app.close();
    }
  },
};
