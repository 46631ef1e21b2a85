/**
 * Composition root: the one place where the domains are wired together for `civicops serve`,
 * `start`, `jobs` and `status`. Nothing here runs at import time; each piece is built for an
 * open warehouse and passed in, so tests can build the same pieces with loopback fakes.
 */
import { createApiServer, type ApiServerDeps, type SlackRequestHandler } from './api/api-server.js';
import { createChartRenderer } from './charts/chart-renderer.js';
import type { AppConfig } from './config/config.js';
import { getJobHealth } from './jobs/job-health.js';
import type { JobOutcome } from './jobs/job-runner.js';
import type { RuntimeComposition, RuntimeContext } from './jobs/runtime-composition.js';
import { loadSchedules } from './jobs/schedule.js';
import { createScorer } from './model/score-ticket.js';
import type { Scorer } from './model/scorer.js';
import { trainAndRegister } from './model/train-pipeline.js';
import type { Logger } from './shared/logger.js';
import { runAlertsJob, summarizeAlertsRun } from './slack/alerts/run-alerts-job.js';
import { createSlackHandler, isSlackConfigured } from './slack/app.js';
import { runDigestJob, summarizeDigestRun } from './slack/digest/run-digest-job.js';
import { createSlackWebClient } from './slack/web-client.js';
import type { Warehouse } from './warehouse/database.js';
import { findPromotedModel } from './warehouse/model.repository.js';

/** One scorer per open warehouse, shared by the API, Slack and the alerts job of a process. */
const scorers = new WeakMap<Warehouse, Promise<Scorer>>();

export function sharedScorer(config: AppConfig, logger: Logger, warehouse: Warehouse): Promise<Scorer> {
  let scorer = scorers.get(warehouse);
  if (!scorer) {
    scorer = createScorer({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone, risk: config.risk });
    scorers.set(warehouse, scorer);
  }
  return scorer;
}

/** The Slack endpoint when both Slack secrets are configured; otherwise Slack stays off. */
export function buildSlackHandler(config: AppConfig, logger: Logger, warehouse: Warehouse, scorer: Scorer): SlackRequestHandler | undefined {
  if (!isSlackConfigured(config)) {
    logger.info('Slack is not configured (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN): /slack/events is off');
    return undefined;
  }
  return createSlackHandler({ config, logger, warehouse, scorer }).handler;
}

/**
 * How often the server of `civicops start` reloads the promoted model and the feature context.
 * A model trained elsewhere (another replica won the train lock, `civicops jobs run train` in
 * another process) and tickets ingested elsewhere reach this process within this interval.
 * (`civicops serve` does the same with --refresh-minutes.)
 */
export const SCORER_REFRESH_MINUTES = 5;

export interface ServerRefreshOptions {
  /** Milliseconds between scorer refreshes while listening (default SCORER_REFRESH_MINUTES); 0 = never. */
  refreshMs?: number;
}

/**
 * A refresh that never throws: a failure keeps the previous model and context serving and is
 * logged. (Concurrent calls share one rebuild: the scorer joins them.)
 */
export function createScorerRefresher(scorer: Pick<Scorer, 'refresh' | 'currentModelVersion'>, logger: Logger): (reason: string) => Promise<void> {
  return (reason) =>
    scorer.refresh().then(
      () => logger.debug({ reason, model_version: scorer.currentModelVersion() }, 'scorer refreshed'),
      (error: unknown) => logger.error({ err: error, reason }, 'scorer refresh failed; still serving the previous model'),
    );
}

/**
 * The HTTP server of one process: API, docs, health (with job health) and the Slack endpoint.
 * While listening it refreshes the shared scorer every `refreshMs` (timer unref'd, cleared on
 * close), and after every successful ingest of this process's scheduler (onJobOutcome).
 */
export async function buildServer(context: RuntimeContext, extra: Partial<ApiServerDeps> = {}, options: ServerRefreshOptions = {}) {
  const { config, logger, warehouse } = context;
  const scorer = await sharedScorer(config, logger, warehouse);
  const schedules = loadSchedules(config);
  const api = createApiServer({
    config,
    logger,
    warehouse,
    scorer,
    slackHandler: buildSlackHandler(config, logger, warehouse, scorer),
    async jobHealth() {
      const report = await getJobHealth(warehouse.db, new Date(), schedules);
      return report.jobs.map((job) => ({
        job: job.job,
        state: job.state,
        message: job.message,
        last_run_at: job.lastRun?.startedAt ?? null,
        last_success_at: job.lastSuccessAt,
      }));
    },
    ...extra,
  });
  const refreshMs = options.refreshMs ?? SCORER_REFRESH_MINUTES * 60_000;
  const refreshScorer = createScorerRefresher(scorer, logger);
  let timer: NodeJS.Timeout | undefined;
  return {
    ...api,
    /** Refreshes the scorer now (never throws); what the timer and onJobOutcome call. */
    refreshScorer,
    async listen(port: number, host?: string) {
      const bound = await api.listen(port, host);
      if (refreshMs > 0 && timer === undefined) {
        timer = setInterval(() => void refreshScorer('periodic'), refreshMs);
        timer.unref();
      }
      return bound;
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await api.close();
    },
    onJobOutcome(outcome: JobOutcome) {
      // New tickets (and request types) are only known to a refreshed scorer; the alerts job that
      // follows refreshes too, but it is off where Slack is not configured.
      if (outcome.job === 'ingest' && outcome.status === 'succeeded') void refreshScorer('after ingest');
    },
  };
}

export const runtimeComposition: RuntimeComposition = {
  async buildJobs(context) {
    const { config, logger, warehouse } = context;
    const scorer = await sharedScorer(config, logger, warehouse);
    const client = config.slack.botToken ? createSlackWebClient(config.slack, { logger }) : undefined;
    // Slack jobs are scheduled only where Slack is configured; elsewhere `civicops jobs run digest`
    // says what is missing instead of failing every tick.
    const digestReady = Boolean(client && config.slack.digestChannel);
    const alertsReady = Boolean(client && config.slack.alertChannel);
    if (!digestReady || !alertsReady) {
      logger.info({ digest: digestReady, alerts: alertsReady }, 'Slack jobs need SLACK_BOT_TOKEN and DIGEST_CHANNEL / ALERT_CHANNEL; the unconfigured ones are off');
    }
    return {
      async train({ logger: jobLogger }) {
        const report = await trainAndRegister({ db: warehouse.db, logger: jobLogger, slaHours: config.slaHours, timeZone: config.cityTimeZone });
        await scorer.refresh();
        return { model_version: report.model_version, promoted: report.promoted ? 1 : 0, roc_auc: report.roc_auc, n_train: report.n_train };
      },
      digest: digestReady ? async ({ logger: jobLogger }) => {
        const result = await runDigestJob({ db: warehouse.db, client, renderer: createChartRenderer({ chartHost: config.charts.chartHost }), config, logger: jobLogger });
        return summarizeDigestRun(result);
      } : undefined,
      alerts: alertsReady ? async ({ logger: jobLogger }) => {
        await scorer.refresh();
        // Before the first training there is nothing to score with: a clean skip, not a failure.
        if (scorer.currentModelVersion() === null) return { skipped: 'no trained model yet (run civicops train)' };
        return summarizeAlertsRun(await runAlertsJob({ db: warehouse.db, scorer, client, config, logger: jobLogger, refreshScorer: false }));
      } : undefined,
    };
  },
  createServer: (context) => buildServer(context),
  async findModelVersion({ warehouse }) {
    return (await findPromotedModel(warehouse.db))?.modelVersion ?? null;
  },
};
