import { join } from 'node:path';
import { writeChartPng } from '../../charts/chart-file.js';
import { runDigestJob } from '../../slack/digest/run-digest-job.js';
import { asOutputPathError } from '../cli-failure.js';
import { writeLine, type CliCommand } from '../command.js';
import { readDataClock, writeDataClockNotice } from './sla.js';

/** `civicops digest`: post yesterday's digest to DIGEST_CHANNEL, or print it (--dry-run). */
export const digestCommand: CliCommand = {
  name: 'digest',
  summary: "Post the daily digest (yesterday's volume, surges, SLA, backlog, charts) to Slack, or print it",
  usage: 'civicops digest [--dry-run] [--json] [--date YYYY-MM-DD] [--charts-dir DIR]',
  options: {
    'dry-run': { type: 'boolean', description: 'print what would be posted instead of posting (no Slack settings needed)' },
    json: { type: 'boolean', description: 'print the Slack message (text and Block Kit blocks) and the digest data as one JSON line' },
    date: {
      type: 'string',
      description:
        "city-local day the digest covers (default: yesterday; on a dry run, the day before the warehouse's last event when the data is older than 48 h)",
    },
    'charts-dir': { type: 'string', description: 'also write the digest charts as PNG files into this folder' },
  },
  details: [
    'Examples:',
    '  civicops digest --dry-run --date 2023-07-09',
    '  civicops digest --dry-run --json --date 2023-07-09 --charts-dir ./charts',
    '  civicops digest                       (needs SLACK_BOT_TOKEN and DIGEST_CHANNEL)',
    'Each day is posted once: the day is claimed in the warehouse (table digest_post) before posting, so a',
    'second run for the same day (another replica, a repeated command) posts nothing and says so. A post',
    'that fails gives the day back and the next run retries it.',
    'A request type is surging when its last 7 days have at least 10 tickets, at least 2× its usual week (mean of the',
    '8 weeks before, at least 1) and P(X ≥ count) < 0.01 under Poisson(usual week).',
  ].join('\n'),
  async run({ values }, context) {
    const dryRun = values['dry-run'] === true;
    const { config, logger } = context;
    const app = await context.openApp();
    const { warehouse } = app;
    const client = dryRun ? undefined : app.slackClient();
    const renderer = app.chartRenderer();
    try {
      const date = typeof values.date === 'string' ? values.date : undefined;
      // A dry run without --date covers the day before the data clock: on a snapshot that ends
      // 2023-07-09 that is its last day, not an empty yesterday. A real post keeps today's clock.
      const clock = dryRun && date === undefined ? await readDataClock(warehouse.db) : null;
      const asOf = clock?.stale ? clock.asOf : undefined;
      const result = await runDigestJob(
        { db: warehouse.db, client, renderer, config, logger, ...(asOf ? { now: () => asOf } : {}) },
        { dryRun, date },
      );
      const written: string[] = [];
      if (typeof values['charts-dir'] === 'string') {
        for (const chart of result.chartSpecs) {
          const file = join(values['charts-dir'], chart.filename);
          try {
            written.push((await writeChartPng(renderer, chart.spec, file)).path);
          } catch (error) {
            throw asOutputPathError(file, error, '--charts-dir');
          }
        }
      }
      if (values.json) {
        writeLine(
          context.stdout,
          JSON.stringify({
            dryRun,
            date: result.date,
            posted: result.posted,
            alreadyPosted: result.alreadyPosted,
            channel: result.channel,
            ts: result.ts,
            charts: result.chartSpecs.map((chart) => ({ filename: chart.filename, title: chart.title })),
            message: result.message,
            digest: result.digest,
            ...(written.length ? { chartFiles: written } : {}),
            ...(clock
              ? { as_of: clock.asOf.toISOString(), data_through: clock.dataThrough?.toISOString() ?? null, stale: clock.stale }
              : {}),
            ...(clock?.stale && clock.notice ? { notice: clock.notice } : {}),
          }),
        );
        return 0;
      }
      if (dryRun) {
        writeDataClockNotice(context.stdout, clock);
        for (const line of result.text) writeLine(context.stdout, line);
        writeLine(context.stdout, '');
        writeLine(
          context.stdout,
          `Would post to ${config.slack.digestChannel ?? '(DIGEST_CHANNEL not set)'} with ${result.charts} chart(s) in the thread: ${result.chartSpecs.map((chart) => chart.filename).join(', ')}`,
        );
      } else if (result.alreadyPosted) {
        writeLine(
          context.stdout,
          result.ts
            ? `The digest for ${result.date} was already posted to ${result.channel} (ts ${result.ts}); not posting it again.`
            : `The digest for ${result.date} is being posted by another run right now; not posting it again.`,
        );
      } else {
        writeLine(
          context.stdout,
          `Posted the digest for ${result.date} to ${result.channel} (ts ${result.ts}) with ${result.charts} chart(s).`,
        );
      }
      for (const path of written) writeLine(context.stdout, `Wrote ${path}`);
      return 0;
    } finally {
      await app.close();
    }
  },
};
