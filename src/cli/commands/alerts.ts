import { formatAlertsText } from '../../slack/blocks/alert-blocks.js';
import { lockTakenMessage, runCommandAsJob } from '../../jobs/run-command-job.js';
import { ALERT_LOOKBACK_DAYS, runAlertsJob, summarizeAlertsRun, type AlertsJobResult } from '../../slack/alerts/run-alerts-job.js';
import { InputError } from '../../shared/errors.js';
import { writeLine, type CliCommand } from '../command.js';
import { readDataClock, writeDataClockNotice } from './sla.js';

/** `civicops alerts`: post new high-risk tickets to ALERT_CHANNEL, or print them (--dry-run). */
export const alertsCommand: CliCommand = {
  name: 'alerts',
  summary: 'Post new open tickets at or above ALERT_THRESHOLD to Slack (one thread per run), or print them',
  usage: 'civicops alerts [--dry-run] [--json] [--as-of YYYY-MM-DDTHH:MM]',
  options: {
    'dry-run': { type: 'boolean', description: 'score and print what would be posted; write and post nothing (no Slack settings needed)' },
    json: { type: 'boolean', description: 'print the parent message and thread replies as Block Kit JSON (one line)' },
    'as-of': {
      type: 'string',
      description:
        "run as if it were this instant (ISO 8601), e.g. to replay the 2023 snapshot (default: now; on a dry run, the warehouse's last event when the data is older than 48 h)",
    },
  },
  details: [
    `Only tickets created in the last ${ALERT_LOOKBACK_DAYS} days are considered, each scored once when first seen; a ticket is`,
    'alerted at most once, ever (recorded in the warehouse table slack_alert). A post that fails is retried on the next run.',
    'A real run takes the alerts job lock (as `civicops jobs run alerts`): if the scheduler, another replica or',
    'another command is running alerts, it says so and exits 0 without posting.',
    'Examples:',
    '  civicops alerts --dry-run --as-of 2023-07-10T12:00',
    '  civicops alerts                 (needs SLACK_BOT_TOKEN and ALERT_CHANNEL)',
  ].join('\n'),
  async run({ values }, context) {
    const dryRun = values['dry-run'] === true;
    const { config, logger } = context;
    let askedAsOf: Date | undefined;
    if (typeof values['as-of'] === 'string') {
      askedAsOf = new Date(values['as-of']);
      if (Number.isNaN(askedAsOf.getTime())) throw new InputError(`--as-of "${values['as-of']}" is not a date (use e.g. 2023-07-10T12:00)`);
    }
    const app = await context.openApp();
    const { warehouse } = app;
    const client = dryRun ? undefined : app.slackClient();
    try {
      // A dry run without --as-of replays as of the data clock: the warehouse's last event when the
      // data stops more than 48 h ago (the 2023 snapshot), instead of scoring nothing from today.
      const clock = dryRun && askedAsOf === undefined ? await readDataClock(warehouse.db) : null;
      const asOf = askedAsOf ?? (clock?.stale ? clock.asOf : undefined);
      const runAlerts = async () => {
        // A replay (--as-of) scores with its own clock; otherwise the app's shared scorer.
        const scorer = asOf ? await app.scorerAsOf(asOf) : await app.scorer();
        return runAlertsJob(
          { db: warehouse.db, scorer, client, config, logger, refreshScorer: false, ...(asOf ? { now: () => asOf } : {}) },
          { dryRun },
        );
      };
      let result: AlertsJobResult;
      if (dryRun || !client || !config.slack.alertChannel) {
        // A dry run writes and posts nothing: no lock needed. Without the Slack settings the job
        // stops at once saying which are missing; not an alerts run, so nothing is recorded.
        result = await runAlerts();
      } else {
        // Under the alerts job lock, like the scheduled run after each ingest: two runs at once would
        // race for the same pending tickets.
        const locked = await runCommandAsJob({ warehouse, logger }, 'alerts', async () => {
          const value = await runAlerts();
          return { value, counts: summarizeAlertsRun(value) };
        });
        if (locked.status === 'skipped') {
          const message = lockTakenMessage('alerts');
          if (values.json)
            writeLine(
              context.stdout,
              JSON.stringify({
                dryRun,
                status: 'skipped',
                reason: 'locked',
                message,
                channel: config.slack.alertChannel ?? null,
                posted: 0,
              }),
            );
          else writeLine(context.stdout, message);
          return 0;
        }
        result = locked.value;
      }
      if (values.json) {
        writeLine(
          context.stdout,
          JSON.stringify({
            dryRun,
            channel: result.channel,
            candidates: result.candidates,
            scored: result.scored,
            aboveThreshold: result.aboveThreshold,
            retried: result.retried,
            posted: result.posted,
            parent: result.parent,
            replies: result.pages.map((page) => ({ text: page.text, blocks: page.blocks })),
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
        for (const line of formatAlertsText({
          items: result.items,
          threshold: config.slack.alertThreshold,
          timeZone: config.cityTimeZone,
          channel: config.slack.alertChannel,
          retried: result.retried,
        })) {
          writeLine(context.stdout, line);
        }
        writeLine(context.stdout, '');
        writeLine(
          context.stdout,
          `Scored ${result.scored} new open ticket(s) from the last ${ALERT_LOOKBACK_DAYS} days; ${result.aboveThreshold} at or above ${config.slack.alertThreshold}.`,
        );
      } else if (result.posted > 0) {
        writeLine(
          context.stdout,
          `Posted ${result.posted} high-risk ticket(s) to ${result.channel} in ${result.replies} thread repl${result.replies === 1 ? 'y' : 'ies'} (${result.retried} retried).`,
        );
      } else {
        writeLine(context.stdout, `No new high-risk tickets (scored ${result.scored}; threshold ${config.slack.alertThreshold}).`);
      }
      return 0;
    } finally {
      await app.close();
    }
  },
};
