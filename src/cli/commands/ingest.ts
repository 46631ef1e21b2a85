import { resolve } from 'node:path';
import { ingestFromSocrata, ingestRowStream, type IngestSummary } from '../../ingest/ingest.js';
import { streamSnapshotRows } from '../../ingest/snapshot.js';
import { ingestCounts } from '../../jobs/job-catalog.js';
import { lockTakenMessage, runCommandAsJob } from '../../jobs/run-command-job.js';
import type { SodaClient } from '../../socrata/soda-client.js';
import type { App } from '../../main.js';
import { writeLine, type CliCommand, type CliContext } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';
import { createIngestProgressPrinter } from '../progress.js';

const number = new Intl.NumberFormat('en-US');

export function formatIngestSummary(summary: IngestSummary): string[] {
  const seconds = (summary.duration_ms / 1000).toFixed(1);
  return [
    `Ingest run ${summary.run_id} (${summary.mode}${summary.resumed_from_run ? `, resumed run ${summary.resumed_from_run}` : ''}) from ${summary.source}`,
    `  fetched      ${number.format(summary.fetched)} rows in ${seconds} s (${number.format(summary.rows_per_second)} rows/s)`,
    `  inserted     ${number.format(summary.inserted)}`,
    `  updated      ${number.format(summary.updated)}`,
    `  unchanged    ${number.format(summary.unchanged)}`,
    `  quarantined  ${number.format(summary.quarantined)}${summary.quarantined ? '  (see `civicops quarantine`)' : ''}`,
    ...(summary.duplicates
      ? [`  duplicates   ${number.format(summary.duplicates)}  (same id twice in a page; the older copy is in the quarantine)`]
      : []),
    `  high-water mark  ${summary.high_water_mark ?? '(none: source has no :updated_at)'}`,
  ];
}

/** Runs one ingest (API or file) into the app's warehouse, with progress on stderr. */
export async function runIngestWith(
  context: CliContext,
  app: App,
  options: { fromFile?: string; full?: boolean; pageSize?: number; client?: SodaClient },
): Promise<IngestSummary> {
  const { config, logger } = app;
  const progress = createIngestProgressPrinter(context.stderr);
  const deps = { db: app.warehouse.db, logger, timeZone: config.cityTimeZone, profile: config.city, onProgress: progress.update };
  try {
    if (options.fromFile) {
      const path = resolve(options.fromFile);
      return await ingestRowStream(deps, streamSnapshotRows(path), { source: `file:${path}`, pageSize: options.pageSize });
    }
    return await ingestFromSocrata(deps, {
      client: options.client ?? app.sodaClient(),
      source: app.ingestSource,
      pageSize: options.pageSize ?? config.socrata.pageSize,
      full: options.full,
    });
  } finally {
    progress.done();
  }
}

export const ingestCommand: CliCommand = {
  name: 'ingest',
  summary: 'Pull 311 requests from the city SODA API (or a snapshot file) into the warehouse',
  usage: 'civicops ingest [--full] [--from-file FILE] [--page-size N] [--json]',
  options: {
    full: { type: 'boolean', description: 'ignore the high-water mark and re-read the whole dataset' },
    'from-file': {
      type: 'string',
      description: 'load a SODA JSON snapshot or a CSV export (.json, .csv, optionally .gz) instead of calling the API',
    },
    'page-size': { type: 'string', description: 'rows per request ($limit, 1..50000)', default: 'SOCRATA_PAGE_SIZE or 50000' },
    json: {
      type: 'boolean',
      description: 'end with one JSON line: fetched, inserted, updated, unchanged, quarantined, duplicates, high_water_mark',
    },
  },
  details: [
    'The first run loads the whole dataset; later runs fetch only rows whose :updated_at is past the',
    'last successful run. A run that was interrupted is resumed from its last committed page.',
    'Rows that fail validation are kept in ingest_quarantine with a reason (`civicops quarantine`).',
    '',
    'Examples:',
    '  civicops ingest',
    '  civicops ingest --from-file data/gainesville-78uv-94ar.sample.json.gz --json',
  ].join('\n'),
  async run({ values }, context) {
    let pageSize: number | undefined;
    if (values['page-size'] !== undefined) {
      pageSize = parseIntegerOption('page-size', String(values['page-size']), { min: 1, max: 50_000 });
    }
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      // Under the scheduled ingest's lock: a manual ingest never runs beside a live one (which it
      // would otherwise take for interrupted, mark resumed and write over as a second writer).
      // An ingest from the city API is a run of the ingest job (recorded in job_run, as `civicops jobs
      // run ingest --only`); loading a snapshot file takes the lock too but does not count for the
      // job's health (a file load must not hide an overdue API ingest, nor a typo mark it failing).
      const fromFile = values['from-file'] as string | undefined;
      const result = await runCommandAsJob(
        { warehouse, logger: context.logger },
        'ingest',
        async () => {
          const summary = await runIngestWith(context, app, { fromFile, full: values.full === true, pageSize });
          return { value: summary, counts: ingestCounts(summary) };
        },
        { record: fromFile === undefined },
      );
      if (result.status === 'skipped') {
        const message = lockTakenMessage('ingest');
        if (values.json) {
          writeLine(
            context.stdout,
            JSON.stringify({
              status: 'skipped',
              reason: 'locked',
              message,
              fetched: 0,
              inserted: 0,
              updated: 0,
              unchanged: 0,
              quarantined: 0,
              duplicates: 0,
              high_water_mark: null,
            }),
          );
        } else writeLine(context.stdout, message);
        return 0;
      }
      const summary = result.value;
      if (values.json) writeLine(context.stdout, JSON.stringify(summary));
      else for (const line of formatIngestSummary(summary)) writeLine(context.stdout, line);
      return 0;
    } finally {
      await app.close();
    }
  },
};
