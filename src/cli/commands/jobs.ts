import { isJobName, jobNames } from '../../jobs/job-catalog.js';
import type { JobOutcome } from '../../jobs/job-runner.js';
import { runJobChain } from '../../jobs/run-job-chain.js';
import { exitCodeForSignal, onShutdownSignal } from '../../jobs/shutdown-signals.js';
import { InputError } from '../../shared/errors.js';
import { listJobRuns } from '../../warehouse/job-run.repository.js';
import { writeLine, type CliCommand, type CliContext } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';

function formatCounts(counts: Record<string, number | string | null>): string {
  return Object.entries(counts)
    .map(([key, value]) => `${key}=${value ?? '-'}`)
    .join(' ');
}

/** One line per attempt, e.g. "ingest  succeeded in 3.2 s (job_run 12)  fetched=250 ...". */
export function formatOutcome(outcome: JobOutcome): string {
  const seconds = `${(outcome.durationMs / 1000).toFixed(1)} s`;
  const id = outcome.jobRunId === null ? '' : ` (job_run ${outcome.jobRunId})`;
  switch (outcome.status) {
    case 'succeeded':
      return `${outcome.job}: succeeded in ${seconds}${id}  ${formatCounts(outcome.counts)}`;
    case 'skipped':
      return `${outcome.job}: skipped — another run holds its lock (another replica is running it)${id}`;
    case 'interrupted':
      return `${outcome.job}: interrupted after ${seconds}${id}; committed work is kept and the next run resumes — ${outcome.error}`;
    case 'failed':
      return `${outcome.job}: FAILED after ${seconds}${id} — ${outcome.error}`;
  }
}

async function runNow(context: CliContext, name: string, options: { only: boolean; json: boolean }): Promise<number> {
  if (!isJobName(name)) throw new InputError(`Unknown job "${name}". Jobs: ${jobNames.join(', ')}.`);
  const app = await context.openApp();
  const { logger, warehouse, schedules } = app;
  const controller = new AbortController();
  // SIGTERM/SIGINT stop the job at its next checkpoint (ingest: between pages), never mid-write.
  const shutdown = onShutdownSignal({ logger }, (signal) => controller.abort(new Error(`received ${signal}`)));
  try {
    const jobs = await app.jobs();
    const availability = app.jobAvailability().find((row) => row.job === name);
    if (!jobs[name]) {
      throw new InputError(`Job "${name}" is off here: set ${availability?.missing.join(' and ') ?? 'its settings'} to run it.`);
    }
    const outcomes = await runJobChain({ warehouse, logger, jobs, schedules, signal: controller.signal }, name, {
      trigger: 'manual',
      followUps: !options.only,
    });
    if (options.json) writeLine(context.stdout, JSON.stringify({ outcomes }));
    else for (const outcome of outcomes) writeLine(context.stdout, formatOutcome(outcome));
    const signal = shutdown.received();
    if (signal && outcomes.some((outcome) => outcome.status === 'interrupted')) return exitCodeForSignal(signal);
    return outcomes.some((outcome) => outcome.status === 'failed' || outcome.status === 'interrupted') ? 1 : 0;
  } finally {
    shutdown.dispose();
    await app.close();
  }
}

async function listJobs(context: CliContext, json: boolean): Promise<number> {
  const app = await context.openApp();
  const { schedules } = app;
  try {
    const availability = new Map(app.jobAvailability().map((row) => [row.job, row]));
    const rows = schedules.map((schedule) => ({
      job: schedule.job,
      available: availability.get(schedule.job)?.available ?? false,
      missing: availability.get(schedule.job)?.missing ?? [],
      cron: schedule.cron,
      cronEnv: schedule.cronEnv,
      timeZone: schedule.timeZone,
      then: schedule.then,
      description: schedule.description,
    }));
    if (json) {
      writeLine(context.stdout, JSON.stringify({ jobs: rows }));
      return 0;
    }
    for (const row of rows) {
      const when = row.cron
        ? `${row.cron} (${row.cronEnv}, ${row.timeZone})`
        : `after ${
            schedules
              .filter((s) => s.then.includes(row.job))
              .map((s) => s.job)
              .join(', ') || 'nothing (manual only)'
          }`;
      writeLine(
        context.stdout,
        `${row.job.padEnd(7)} ${row.available ? '' : `[off: set ${row.missing.join(' and ')}] `}${when}${row.then.length ? `, then ${row.then.join(', ')}` : ''}`,
      );
      writeLine(context.stdout, `        ${row.description}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

async function showHistory(context: CliContext, job: string | undefined, limit: number, json: boolean): Promise<number> {
  if (job !== undefined && !isJobName(job)) throw new InputError(`Unknown job "${job}". Jobs: ${jobNames.join(', ')}.`);
  const app = await context.openApp();
  try {
    const runs = await listJobRuns(app.warehouse.db, { job, limit });
    if (json) {
      writeLine(context.stdout, JSON.stringify({ runs }));
      return 0;
    }
    if (runs.length === 0) writeLine(context.stdout, 'No job runs recorded yet.');
    for (const run of runs) {
      const seconds = run.finishedAt ? ` ${((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(1)} s` : '';
      const detail = run.error ? `  ${run.error}` : Object.keys(run.counts).length ? `  ${formatCounts(run.counts)}` : '';
      writeLine(
        context.stdout,
        `${String(run.jobRunId).padStart(5)}  ${run.startedAt.toISOString()}  ${run.job.padEnd(6)}  ${run.status.padEnd(14)} ${run.trigger.padEnd(8)}${seconds}  ${run.runner}${detail}`,
      );
    }
    return 0;
  } finally {
    await app.close();
  }
}

/** `civicops jobs list|run|history`: every job the app can run in this deployment. */
export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'List the scheduled jobs, run one now, or show recent runs',
  usage: 'civicops jobs list | run <ingest|alerts|train|digest> [--only] | history [job] [--limit N]  [--json]',
  options: {
    only: { type: 'boolean', description: 'run: only this job, not the jobs scheduled after it (ingest is followed by alerts)' },
    limit: { type: 'string', description: 'history: how many runs to show', default: '20' },
    json: { type: 'boolean', description: 'print one JSON line instead of text' },
  },
  details: [
    "A run takes the job's PostgreSQL advisory lock: if another replica (or `civicops start`) is",
    'running the same job, this run is recorded as skipped_locked, says so and exits 0.',
    'SIGTERM/SIGINT stop a run at its next checkpoint (ingest: between pages); the next run resumes.',
    'Exit codes: 0 succeeded or skipped, 1 failed, 143/130 interrupted by SIGTERM/SIGINT.',
    '',
    'Examples:',
    '  civicops jobs list',
    '  civicops jobs run ingest',
    '  civicops jobs history ingest --limit 5',
  ].join('\n'),
  async run({ values, positionals }, context) {
    const [action, name, ...extra] = positionals;
    const json = values.json === true;
    if (action === 'list' && !name) return listJobs(context, json);
    if (action === 'run' && name && extra.length === 0) return runNow(context, name, { only: values.only === true, json });
    if (action === 'history' && extra.length === 0) {
      const limit = parseIntegerOption('limit', String(values.limit ?? '20'), { min: 1, max: 1000 });
      return showHistory(context, name, limit, json);
    }
    throw new InputError(`Usage: civicops jobs list | run <${jobNames.join('|')}> | history [job]`);
  },
};
