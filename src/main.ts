/**
 * Composition root: `createApp` builds every part of CivicOps-311 once, lazily, for one open
 * warehouse — the scorer, the Slack Web API client, the chart renderer, the SODA client, the job
 * functions and the HTTP server. Every CLI command (`serve` and `start` included) receives an App
 * and asks it for the parts it needs, so there is one wiring, one scorer-refresh policy and one
 * health view. Nothing runs at import time; tests build the same App on a test warehouse and
 * replace only the outside world (loopback fakes) through `AppOverrides`.
 */
import { createApiServer, type ApiServer, type ApiServerDeps, type RequestListener, type SlackRequestHandler } from './api/api-server.js';
import { createSessionRoutes } from './api/auth/session.routes.js';
import { createOpen311Routes } from './api/routes/open311/open311.routes.js';
import { createApiV1Routes } from './api/routes/v1/api-v1.routes.js';
import { createChartRenderer, type ChartRenderer } from './charts/chart-renderer.js';
import { configForCity, type AppConfig } from './config/config.js';
import { createIngestJob, type JobFunctions, type JobName } from './jobs/job-catalog.js';
import { getJobHealth, type JobsHealthReport } from './jobs/job-health.js';
import type { JobOutcome } from './jobs/job-runner.js';
import { loadSchedules, type JobSchedule } from './jobs/schedule.js';
import { createModelHealthMonitor, type ModelHealth } from './model/model-health.js';
import { createScorer } from './model/score-ticket.js';
import type { Scorer } from './model/scorer.js';
import { trainAndRegister } from './model/train-pipeline.js';
import type { Logger } from './shared/logger.js';
import { runAlertsJob, summarizeAlertsRun } from './slack/alerts/run-alerts-job.js';
import { createSlackHandler, isSlackConfigured } from './slack/app.js';
import { runDigestJob, summarizeDigestRun } from './slack/digest/run-digest-job.js';
import { createWarehouseDedupeStore } from './slack/request-dedupe.js';
import { createSlackWebClient } from './slack/web-client.js';
import { createSodaClient, socrataSource } from './socrata/configured-client.js';
import type { SodaClient } from './socrata/soda-client.js';
import { openWarehouse, type Warehouse } from './warehouse/database.js';
import { migrate } from './warehouse/migrate.js';
import { ensureCityRegistry, listWarehouseCities, registerCity, type CityToRegister } from './warehouse/city-registry.repository.js';
import { listShippedCities, loadCityProfile } from './config/city-profile.js';
import { ConfigError, InputError } from './shared/errors.js';
import { findPromotedModel } from './warehouse/model.repository.js';
import { canonicalTypeKey } from './ingest/soda-row.js';
import {
  seedPublishedSlaPolicies,
  syncSlaPolicyAndDueDates,
  type PublishedSlaPolicy,
  type SlaDueContext,
} from './warehouse/sla-due.repository.js';
import { createLazyClockContext } from './analytics/sla-clock.js';
import { loadCityHolidaysOrFederal } from './config/holidays.js';
import { createDashboardPageRoutes } from './web/dashboard.routes.js';
import { warmTicketScores, type WarmUpResult } from './worklist/warm-ticket-scores.js';

type WebClient = ReturnType<typeof createSlackWebClient>;

/** What every App is built from: config read once, the process logger, an open warehouse. */
export interface AppFoundation {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly warehouse: Warehouse;
}

/** The outside world, replaceable by loopback fakes in tests; our own parts are never replaced. */
export interface AppOverrides {
  /** The SODA client of the ingest job (default: the configured city dataset). */
  sodaClient?: SodaClient;
  /** The Slack Web API client of the digest and alerts jobs (default: SLACK_BOT_TOKEN at SLACK_API_URL). */
  slackClient?: WebClient;
  /** The POST /slack/events handler; null turns Slack off (default: the Bolt app when configured). */
  slackHandler?: SlackRequestHandler | null;
  /** Job functions that stand in for the built ones (tests of the scheduler and the jobs CLI). */
  jobs?: Partial<JobFunctions>;
}

/** Whether a job can run in this deployment, and the settings it lacks when it cannot. */
export interface JobAvailability {
  job: JobName;
  available: boolean;
  /** Environment variables that must be set for the job to run (empty when available). */
  missing: string[];
}

/** The HTTP server of a process (API, docs, health, Slack), with the scorer-refresh policy built in. */
export interface AppServer extends ApiServer {
  /** Refreshes the scorer now (never throws); what the timer and onJobOutcome call. */
  refreshScorer(reason: string): Promise<void>;
  /** Told of each scheduler job as it ends: a successful ingest refreshes the scorer. Never throws. */
  onJobOutcome(outcome: JobOutcome): void;
  /** The score warm-up that follows the latest scorer load (listen, refresh); null before listen. */
  scoresWarmed(): Promise<WarmUpResult | null>;
  /** What listen starts besides listening (the warm-up, the refresh timer): for another city's server, whose requests this one hands over. */
  startBackground(): void;
}

/** One health view, shared by /healthz and `civicops status`. */
export interface AppHealth {
  modelVersion: string | null;
  jobs: JobsHealthReport;
}

export interface App extends AppFoundation {
  readonly schedules: readonly JobSchedule[];
  /** The scorer of the promoted model, shared by the API, Slack, alerts and the worklist. */
  scorer(): Promise<Scorer>;
  /** A separate scorer whose clock is fixed at `asOf` (replays of past data, e.g. `alerts --as-of`). */
  scorerAsOf(asOf: Date): Promise<Scorer>;
  /** The Slack Web API client; undefined when SLACK_BOT_TOKEN is not set. */
  slackClient(): WebClient | undefined;
  chartRenderer(): ChartRenderer;
  sodaClient(): SodaClient;
  /** The source key of the configured dataset in ingest_run. */
  readonly ingestSource: string;
  /** Every job this deployment can run (ingest and train always; digest and alerts when Slack is set). */
  jobs(): Promise<JobFunctions>;
  jobAvailability(): JobAvailability[];
  /** The HTTP server, built on first call (not listening yet). */
  server(): Promise<AppServer>;
  health(now?: Date): Promise<AppHealth>;
  /**
   * The promoted model's staleness and feature drift (null before the first training); drift is
   * measured once per model version and data clock and cached in this App.
   */
  modelHealth(options?: { waitForDrift?: boolean }): Promise<ModelHealth | null>;
  /** Closes the server (if built) and the warehouse. */
  close(): Promise<void>;
}

/**
 * How often a listening server reloads the promoted model and the feature context, so a model
 * trained elsewhere (another replica, `civicops train`) and tickets ingested elsewhere are served
 * within this interval. SCORER_REFRESH_MINUTES overrides it (0 = never).
 */
export const SCORER_REFRESH_MINUTES = 5;

/** The configured SLA_HOURS and the city's zone and holidays: what recomputing SLA deadlines needs. */
export function slaDueContext(config: Pick<AppConfig, 'slaHours' | 'cityTimeZone' | 'city'>): SlaDueContext {
  return {
    fallbackHours: config.slaHours,
    clockContext: createLazyClockContext(config.cityTimeZone, () => loadCityHolidaysOrFederal(config.city.name)),
  };
}

/** The per-type SLA targets of a city profile, keyed as the ingest keys the city's request types. */
export function publishedSlaPoliciesOf(city: AppConfig['city']): PublishedSlaPolicy[] {
  return city.sla.policies.map((policy) => ({ typeKey: canonicalTypeKey(policy.requestType), hours: policy.hours, source: policy.source }));
}

/** The shipped cities' SODA sources, by which a warehouse from before the city registry is named. */
function shippedCitySources(): CityToRegister['knownSources'] {
  return listShippedCities().map((name) => {
    const profile = loadCityProfile(name);
    return { city: profile.name, profileRef: name, source: `https://${profile.host}/${profile.dataset}` };
  });
}

/** Migrates a city's schema and brings its SLA rows and deadlines up to date with its config. */
async function prepareCityWarehouse(warehouse: Warehouse, config: AppConfig): Promise<void> {
  await migrate(warehouse.db);
  await syncSlaPolicyAndDueDates(warehouse.db, slaDueContext(config));
  await seedPublishedSlaPolicies(warehouse.db, slaDueContext(config), publishedSlaPoliciesOf(config.city));
}

/**
 * Opens the configured city's part of the warehouse and brings it up to date: registers the city
 * (a new one gets its own schema), then migrations, the default SLA row and the deadlines it sets.
 */
export async function openConfiguredWarehouse(config: AppConfig): Promise<Warehouse> {
  return openCityOf(await openWarehouse(config.database), config);
}

/** The city handle on an open database (closing `root` when the city lives in another schema). */
async function openCityOf(root: Warehouse, config: AppConfig): Promise<Warehouse> {
  let warehouse = root;
  try {
    const entry = await registerCity(root.db, { city: config.city.name, profileRef: config.cityRef, knownSources: shippedCitySources() });
    if (entry.schemaName !== root.schema) {
      warehouse = await root.openSchema(entry.schemaName);
      await root.close();
    }
    await prepareCityWarehouse(warehouse, config);
  } catch (error) {
    await warehouse.close();
    if (warehouse !== root) await root.close();
    throw error;
  }
  return warehouse;
}

/**
 * Picks the city when none was asked for (neither `--city` nor CIVICOPS_CITY): the warehouse's only
 * city, or the default for a warehouse with none; several cities and no choice is a ConfigError
 * naming them. `reload` reads the config again for the chosen profile (the environment's overrides
 * apply to it as to any configured city). Returns the city's config and its opened warehouse.
 */
export async function openResolvedCityWarehouse(
  config: AppConfig,
  reload: (cityRef: string) => AppConfig,
): Promise<{ config: AppConfig; warehouse: Warehouse }> {
  const root = await openWarehouse(config.database);
  let chosen = config;
  try {
    if (config.requestedCity === undefined) {
      await ensureCityRegistry(root.db);
      const cities = await listWarehouseCities(root.db);
      if (cities.length > 1) {
        throw new ConfigError(
          `This warehouse holds ${cities.length} cities (${cities.map((entry) => entry.city).join(', ')}): ` +
            'name one with --city NAME or CIVICOPS_CITY.',
        );
      }
      const only = cities[0];
      if (only && only.city !== config.city.name) chosen = reload(only.profileRef);
    }
  } catch (error) {
    await root.close();
    throw error;
  }
  return { config: chosen, warehouse: await openCityOf(root, chosen) };
}

/**
 * Brings every city of the warehouse up to date (`civicops migrate`), registering the named city
 * first (or the default in an empty warehouse); returns each city's applied migrations.
 */
export async function migrateEveryCity(
  config: AppConfig,
): Promise<{ describe: string; cities: { city: string; schema: string; applied: string[]; alreadyApplied: number }[] }> {
  const root = await openWarehouse(config.database);
  try {
    await ensureCityRegistry(root.db);
    // With no city named, a warehouse that already holds one is not given the default as a second.
    if (config.requestedCity !== undefined || (await listWarehouseCities(root.db)).length === 0)
      await registerCity(root.db, { city: config.city.name, profileRef: config.cityRef, knownSources: shippedCitySources() });
    const results = [];
    for (const entry of await listWarehouseCities(root.db)) {
      const handle = entry.schemaName === root.schema ? root : await root.openSchema(entry.schemaName);
      try {
        const result = await migrate(handle.db);
        results.push({ city: entry.city, schema: entry.schemaName, applied: result.applied, alreadyApplied: result.alreadyApplied.length });
      } finally {
        if (handle !== root) await handle.close();
      }
    }
    return { describe: root.describe, cities: results };
  } finally {
    await root.close();
  }
}

/** Memoises a factory: the part is built on first use and shared after that. */
function once<T>(build: () => T): () => T {
  let built = false;
  let value: T;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value;
  };
}

/**
 * A refresh that never throws: a failure keeps the previous model and context serving and is
 * logged. (Concurrent calls share one rebuild: the scorer joins them.)
 */
export function createScorerRefresher(
  scorer: Pick<Scorer, 'refresh' | 'currentModelVersion'>,
  logger: Logger,
): (reason: string) => Promise<void> {
  return (reason) =>
    scorer.refresh().then(
      () => logger.debug({ reason, model_version: scorer.currentModelVersion() }, 'scorer refreshed'),
      (error: unknown) => logger.error({ err: error, reason }, 'scorer refresh failed; still serving the previous model'),
    );
}

/** The place without the dataset's name ("Chicago (311 Service Requests)" → "Chicago"); the city's name when its profile cannot be read here. */
function cityLabel(entry: { city: string; profileRef: string }): string {
  try {
    return loadCityProfile(entry.profileRef).displayName.replace(/\s*\(.*\)\s*$/, '');
  } catch (error) {
    if (error instanceof ConfigError) return entry.city;
    throw error;
  }
}

/** The warehouse's cities as the dashboard's city menu lists them. */
async function cityMenu(warehouse: Warehouse, current: string): Promise<{ value: string; label: string; current: boolean }[]> {
  await ensureCityRegistry(warehouse.db);
  return (await listWarehouseCities(warehouse.db)).map((entry) => ({
    value: entry.city,
    label: cityLabel(entry),
    current: entry.city === current,
  }));
}

/**
 * The Apps of the warehouse's other cities, built on first request and kept: their servers answer
 * the requests this App's server hands over (`?city=`), without Slack (one Slack app per server).
 */
function createOtherCityApps(foundation: AppFoundation): {
  handlerFor(city: string): Promise<RequestListener | undefined>;
  /** What the Slack app needs to answer for the city (`/sla city:NAME`); an InputError naming the cities when there is none. */
  slackPartsFor(city: string): Promise<{ config: AppConfig; warehouse: Warehouse; scorer: Scorer; chartRenderer: ChartRenderer }>;
  close(): Promise<void>;
} {
  const { config, logger, warehouse } = foundation;
  const apps = new Map<string, Promise<App | undefined>>();
  const build = async (city: string): Promise<App | undefined> => {
    await ensureCityRegistry(warehouse.db);
    const entry = (await listWarehouseCities(warehouse.db)).find((candidate) => candidate.city === city);
    if (!entry) return undefined;
    const cityConfig = configForCity(config, entry.profileRef);
    const cityWarehouse = await warehouse.openSchema(entry.schemaName);
    try {
      await prepareCityWarehouse(cityWarehouse, cityConfig);
    } catch (error) {
      await cityWarehouse.close();
      throw error;
    }
    const app = createApp({ config: cityConfig, logger: logger.child({ city }), warehouse: cityWarehouse }, { slackHandler: null }, 'city');
    (await app.server()).startBackground();
    return app;
  };
  const appOf = async (city: string): Promise<App | undefined> => {
    let app = apps.get(city);
    if (!app) {
      app = build(city);
      apps.set(city, app);
    }
    // Neither an unknown city nor a failure is kept: the city may be registered, or reachable, later.
    const built = await app.catch((error: unknown) => {
      apps.delete(city);
      throw error;
    });
    if (!built) apps.delete(city);
    return built;
  };
  return {
    async handlerFor(city) {
      const app = await appOf(city);
      return app ? (await app.server()).handle : undefined;
    },
    async slackPartsFor(city) {
      const app = await appOf(city);
      if (!app) {
        const names = (await listWarehouseCities(warehouse.db)).map((entry) => entry.city);
        throw new InputError(`This warehouse holds no city "${city.slice(0, 63)}" (its cities: ${names.join(', ')}).`);
      }
      return { config: app.config, warehouse: app.warehouse, scorer: await app.scorer(), chartRenderer: app.chartRenderer() };
    },
    async close() {
      const built = await Promise.all([...apps.values()].map((app) => app.catch(() => undefined)));
      apps.clear();
      await Promise.all(built.map((app) => app?.close()));
    },
  };
}

/**
 * Builds the App; no part is created until it is first asked for. The primary App (the one a
 * command or process is started for) also answers for the warehouse's other cities; a `city` App
 * is one of those.
 */
export function createApp(foundation: AppFoundation, overrides: AppOverrides = {}, role: 'primary' | 'city' = 'primary'): App {
  const { config, logger, warehouse } = foundation;
  const otherCities = role === 'primary' ? createOtherCityApps(foundation) : undefined;
  const schedules = loadSchedules(config);
  const scorerOptions = { db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone, risk: config.risk };

  const scorer = once(() => createScorer(scorerOptions));
  const modelHealthMonitor = once(() => createModelHealthMonitor({ ...scorerOptions, maxAgeDays: config.modelMaxAgeDays }));
  const slackClient = once(
    () => overrides.slackClient ?? (config.slack.botToken ? createSlackWebClient(config.slack, { logger }) : undefined),
  );
  const chartRenderer = once(() => createChartRenderer({ chartHost: config.charts.chartHost }));
  const sodaClient = once(() => overrides.sodaClient ?? createSodaClient(config, logger));

  const jobAvailability = (): JobAvailability[] => {
    const slackMissing = slackClient() ? [] : ['SLACK_BOT_TOKEN'];
    const needs = (channelVariable: string, channel: string | undefined) => [...slackMissing, ...(channel ? [] : [channelVariable])];
    const rows: Omit<JobAvailability, 'available'>[] = [
      { job: 'ingest', missing: [] },
      { job: 'alerts', missing: needs('ALERT_CHANNEL', config.slack.alertChannel) },
      { job: 'train', missing: [] },
      { job: 'digest', missing: needs('DIGEST_CHANNEL', config.slack.digestChannel) },
    ];
    return rows.map((row) => ({ ...row, available: row.missing.length === 0 || overrides.jobs?.[row.job] !== undefined }));
  };

  const jobs = once(async (): Promise<JobFunctions> => {
    const available = new Set(
      jobAvailability()
        .filter((row) => row.available)
        .map((row) => row.job),
    );
    const built: JobFunctions = {
      ingest: createIngestJob({
        db: warehouse.db,
        client: sodaClient(),
        source: socrataSource(config),
        pageSize: config.socrata.pageSize,
        timeZone: config.cityTimeZone,
        profile: config.city,
      }),
      async train({ logger: jobLogger }) {
        const report = await trainAndRegister({
          db: warehouse.db,
          logger: jobLogger,
          slaHours: config.slaHours,
          timeZone: config.cityTimeZone,
        });
        await (await scorer()).refresh();
        return { model_version: report.model_version, promoted: report.promoted ? 1 : 0, roc_auc: report.roc_auc, n_train: report.n_train };
      },
    };
    const client = slackClient();
    if (available.has('digest') && client) {
      built.digest = async ({ logger: jobLogger }) =>
        summarizeDigestRun(await runDigestJob({ db: warehouse.db, client, renderer: chartRenderer(), config, logger: jobLogger }));
    }
    if (available.has('alerts') && client) {
      built.alerts = async ({ logger: jobLogger }) => {
        const shared = await scorer();
        await shared.refresh();
        // Before the first training there is nothing to score with: a clean skip, not a failure.
        if (shared.currentModelVersion() === null) return { skipped: 'no trained model yet (run civicops train)' };
        return summarizeAlertsRun(
          await runAlertsJob({ db: warehouse.db, scorer: shared, client, config, logger: jobLogger, refreshScorer: false }),
        );
      };
    }
    const off = jobAvailability().filter((row) => !row.available);
    if (off.length > 0)
      logger.info(
        { off: off.map((row) => `${row.job} (needs ${row.missing.join(', ')})`) },
        'some jobs are off until their settings are set',
      );
    return { ...built, ...overrides.jobs };
  });

  const health = async (now = new Date()): Promise<AppHealth> => {
    const [report, model] = await Promise.all([getJobHealth(warehouse.db, now, schedules), findPromotedModel(warehouse.db)]);
    return { modelVersion: model?.modelVersion ?? null, jobs: report };
  };

  const slackHandler = async (): Promise<SlackRequestHandler | undefined> => {
    if (overrides.slackHandler !== undefined) return overrides.slackHandler ?? undefined;
    if (!isSlackConfigured(config)) {
      logger.info('Slack is not configured (SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN): /slack/events is off');
      return undefined;
    }
    // Retries and double clicks are deduplicated in the warehouse, so across every replica.
    const dedupeStore = createWarehouseDedupeStore(warehouse.db, { logger });
    return createSlackHandler({
      config,
      logger,
      warehouse,
      scorer: await scorer(),
      chartRenderer: chartRenderer(),
      dedupeStore,
      otherCity: otherCities?.slackPartsFor,
    }).handler;
  };

  const server = once(async (): Promise<AppServer> => {
    const shared = await scorer();
    const deps: ApiServerDeps = {
      config,
      logger,
      warehouse,
      scorer: shared,
      slackHandler: await slackHandler(),
      otherCities: otherCities?.handlerFor,
      routes: [
        createDashboardPageRoutes({ access: 'api-key' }),
        createApiV1Routes({
          db: warehouse.db,
          config,
          scorer: shared,
          apiKeyRequired: Boolean(config.http.apiKey),
          // The cached monitor: the model card never waits for a drift measurement.
          modelHealth: () => modelHealthMonitor().read(),
          cities: () => cityMenu(warehouse, config.city.name),
        }),
        createOpen311Routes({
          db: warehouse.db,
          jurisdictionId: config.city.name,
          cityName: config.city.displayName,
          timeZone: config.cityTimeZone,
          slaHours: config.slaHours,
          modelVersion: () => shared.currentModelVersion(),
          apiKeyRequired: Boolean(config.http.apiKey),
        }),
        createSessionRoutes({ apiKey: config.http.apiKey }),
      ],
      async jobHealth() {
        const { jobs: report } = await health();
        return report.jobs.map((job) => ({
          job: job.job,
          state: job.state,
          message: job.message,
          last_run_at: job.lastRun?.startedAt ?? null,
          last_success_at: job.lastSuccessAt,
        }));
      },
      // Never waits for a drift measurement: /healthz shows the cached one (or none yet).
      modelHealth: () => modelHealthMonitor().read(),
    };
    // The model card's drift is measured with the warm-up too: on a large warehouse it is seconds of
    // work in this process, which would otherwise stall the requests after the first card asked.
    const warmModelHealth = () => modelHealthMonitor().read({ waitForDrift: true });
    return withScorerRefresh(createApiServer(deps), shared, logger, config.scorerRefreshMinutes * 60_000, warehouse, warmModelHealth);
  });

  let serverBuilt = false;
  return {
    config,
    logger,
    warehouse,
    schedules,
    scorer,
    scorerAsOf: (asOf) => createScorer({ ...scorerOptions, now: () => asOf }),
    slackClient,
    chartRenderer,
    sodaClient,
    ingestSource: socrataSource(config),
    jobs,
    jobAvailability,
    server: () => {
      serverBuilt = true;
      return server();
    },
    health,
    modelHealth: (options) => modelHealthMonitor().read(options),
    async close() {
      try {
        if (serverBuilt) await (await server()).close();
      } finally {
        try {
          await otherCities?.close();
        } finally {
          await warehouse.close();
        }
      }
    },
  };
}

/**
 * Adds the one refresh policy to an API server: every `refreshMs` while listening (timer unref'd,
 * cleared on close) and after every successful ingest of this process's scheduler.
 */
function withScorerRefresh(
  api: ApiServer,
  scorer: Scorer,
  logger: Logger,
  refreshMs: number,
  warehouse: Warehouse,
  warmModelHealth: () => Promise<unknown>,
): AppServer {
  // After each load of the scorer, its scores of the open tickets are stored in the background
  // (one warm-up at a time), so the first worklist or summary request does not score them all.
  let warmed: Promise<WarmUpResult | null> = Promise.resolve(null);
  let closing = false;
  const warmUp = () => {
    if (closing) return;
    warmed = warmed.then(async () => {
      const result = await warmTicketScores({ db: warehouse.db, scorer, logger, stopped: () => closing }).catch((error: unknown) => {
        logger.error({ err: error }, 'score warm-up failed; requests score what is missing');
        return null;
      });
      // A failed measurement is logged by the monitor; the card then shows the previous one.
      if (!closing) await warmModelHealth().catch(() => undefined);
      return result;
    });
  };
  const refreshAndLoad = createScorerRefresher(scorer, logger);
  const refreshScorer = (reason: string) => refreshAndLoad(reason).then(warmUp);
  let timer: NodeJS.Timeout | undefined;
  let closed: Promise<void> | undefined;
  const startBackground = () => {
    warmUp();
    if (refreshMs > 0 && timer === undefined) {
      timer = setInterval(() => void refreshScorer('periodic'), refreshMs);
      timer.unref();
    }
  };
  return {
    ...api,
    refreshScorer,
    scoresWarmed: () => warmed,
    startBackground,
    async listen(port, host) {
      const bound = await api.listen(port, host);
      startBackground();
      return bound;
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      closing = true;
      // Closing twice (the command, then App.close) waits for the same close; a warm-up ends its batch first.
      closed ??= warmed.then(() => api.close());
      return closed;
    },
    onJobOutcome(outcome) {
      // New tickets (and request types) are only known to a refreshed scorer; the alerts job that
      // follows refreshes too, but it is off where Slack is not configured.
      if (outcome.job === 'ingest' && outcome.status === 'succeeded') void refreshScorer('after ingest');
    },
  };
}
