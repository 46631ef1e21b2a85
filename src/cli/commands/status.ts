import type { JobHealth, JobsHealthReport } from '../../jobs/job-health.js';
import type { JobSchedule } from '../../jobs/schedule.js';
import type { ModelHealth } from '../../model/model-health.js';
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
  /** Staleness and feature drift of the promoted model; null when no model is trained yet. */
  model: ModelHealth | null;
  jobs: JobsHealthReport;
}

/** "trained through …, data through … (N days later): STALE" and the drift line, for people. */
function formatModelLines(health: ModelHealth): string[] {
  const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? 'no data';
  const age = health.ageDays === null ? '' : ` (${health.ageDays} days later; limit ${health.maxAgeDays})`;
  const lines = [
    `             trained through ${day(health.trainedThrough)}, data through ${day(health.dataThrough)}${age}: ${health.stale ? 'STALE, retrain (civicops train)' : 'fresh'}`,
  ];
  const drift = health.drift;
  if (drift && drift.features.length > 0) {
    const psi = drift.features.map((feature) => `${feature.feature} ${feature.psi}`).join(', ');
    lines.push(`             feature drift (PSI, recent vs training): ${psi}${drift.drifted ? ' — DRIFTED (PSI > 0.2)' : ''}`);
  } else if (drift?.message) lines.push(`             feature drift: ${drift.message}`);
  return lines;
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
  const counts = `fetched ${number.format(run.fetched)}, inserted ${number.format(run.inserted)}, updated ${number.format(run.updated)}, quarantined ${number.format(run.quarantined)}${run.duplicates ? `, duplicates ${number.format(run.duplicates)}` : ''}`;
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
    'The model is STALE when the data runs more than MODEL_MAX_AGE_DAYS past its training data, and',
    "DRIFTED when a top feature's population stability index (recent tickets against training) is above 0.2;",
    'both are shown (and in --json under "model") but do not change the exit code.',
  ].join('\n'),
  async run({ values }, context) {
    const app = await context.openApp();
    const { config, warehouse, schedules } = app;
    try {
      const db = warehouse.db;
      const [counts, ingestRuns, health, modelHealth] = await Promise.all([
        countWarehouseRows(db),
        listRecentRuns(db, 1),
        app.health(),
        app.modelHealth({ waitForDrift: true }),
      ]);
      const { jobs, modelVersion } = health;
      const report: StatusReport = {
        warehouse: warehouse.describe,
        facts: counts.facts,
        quarantined: counts.quarantined,
        lastIngestRun: ingestRuns[0] ?? null,
        modelVersion,
        model: modelHealth,
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
        if (modelHealth) for (const line of formatModelLines(modelHealth)) writeLine(context.stdout, line);
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
