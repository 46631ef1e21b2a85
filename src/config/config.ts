import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import { type CityProfile, DEFAULT_CITY, loadCityProfile } from './city-profile.js';

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

function isParsableUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The SLA when neither SLA_HOURS nor the city profile gives one (the seed's 72 h). */
const DEFAULT_SLA_HOURS = 72;

const cronExpression = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((value) => value.split(/\s+/).length >= 5 && value.split(/\s+/).length <= 6, {
      message: 'must be a cron expression with 5 or 6 fields, e.g. "*/15 * * * *"',
    });

// Unset: the city profile's zone.
const timeZone = z
  .string()
  .optional()
  .refine(
    (value) => {
      if (value === undefined) return true;
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as America/New_York' },
  );

/** Environment variables CivicOps-311 reads; nothing else in the code touches process.env. */
export const envSchema = z.object({
  // The message never repeats the value: it holds the database password.
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .refine(isParsableUrl, 'is not a valid URL (check the host, the port and that special characters in the password are %-encoded)')
      .optional(),
  ),
  CIVICOPS_DATA_DIR: z.string().default('./.civicops'),
  // A shipped profile (cities/<name>.json) or a path to one; host, dataset, zone and ticket links come from it.
  // Unset: the warehouse's only city, else gainesville (src/cli/resolve-city.ts).
  CIVICOPS_CITY: optionalString,
  // These two override the profile's host and dataset (a test points any profile at a loopback server).
  SOCRATA_BASE_URL: z.url({ message: 'must be a URL such as https://data.cityofgainesville.org' }).optional(),
  SOCRATA_DATASET: z
    .string()
    .regex(/^[a-z0-9]{4}-[a-z0-9]{4}$/, 'must be a Socrata dataset id such as 78uv-94ar')
    .optional(),
  SOCRATA_APP_TOKEN: optionalString,
  SOCRATA_PAGE_SIZE: z.coerce.number().int().min(1).max(50_000).default(50_000),
  SOCRATA_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  SOCRATA_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(6),
  // Absent: the profile's sla.defaultHours, else 72.
  SLA_HOURS: z.coerce.number().positive().optional(),
  TZ_CITY: timeZone,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  SCORER_REFRESH_MINUTES: z.coerce.number().min(0).max(1_440).default(5),
  API_KEY: optionalString,
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  RISK_MEDIUM_THRESHOLD: z.coerce.number().min(0).max(1).default(0.4),
  RISK_HIGH_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  MODEL_MAX_AGE_DAYS: z.coerce.number().positive().max(3_650).default(30),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  DIGEST_CHANNEL: optionalString,
  ALERT_CHANNEL: optionalString,
  ALERT_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  CHART_HOST: optionalString,
  // Unset: the city profile's ticket page.
  TICKET_URL_TEMPLATE: z.string().optional(),
  INGEST_CRON: cronExpression('*/15 * * * *'),
  TRAIN_CRON: cronExpression('30 2 * * *'),
  DIGEST_CRON: cronExpression('0 8 * * *'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface AppConfig {
  readonly database: { readonly url?: string; readonly dataDir: string };
  /** The city profile CIVICOPS_CITY picks (cities/<name>.json): column mapping, formats, statuses. */
  readonly city: CityProfile;
  /** What CIVICOPS_CITY (or `--city`) said, as given: a shipped name or a profile path; undefined when unset. */
  readonly requestedCity?: string;
  /** How the warehouse's city registry names this profile (the name or path it was loaded from). */
  readonly cityRef: string;
  readonly socrata: {
    readonly baseUrl: string;
    readonly dataset: string;
    readonly appToken?: string;
    readonly pageSize: number;
    readonly timeoutMs: number;
    readonly maxRetries: number;
  };
  readonly slaHours: number;
  readonly cityTimeZone: string;
  readonly http: {
    readonly port: number;
    readonly apiKey?: string;
    /** A client must send complete headers within this long of connecting or of starting a request. */
    readonly headersTimeoutMs: number;
    /** A client must send the whole request (headers and body) within this long. */
    readonly requestTimeoutMs: number;
    /** An idle keep-alive connection is closed after this long. */
    readonly keepAliveTimeoutMs: number;
    /** Connections beyond this many are closed as they arrive. */
    readonly maxConnections: number;
  };
  /** Minutes between reloads of the promoted model and feature context by a listening server (0 = never). */
  readonly scorerRefreshMinutes: number;
  readonly risk: { readonly mediumThreshold: number; readonly highThreshold: number };
  /** Days of data past the model's training data after which status and /healthz call the model stale. */
  readonly modelMaxAgeDays: number;
  readonly slack: {
    readonly signingSecret?: string;
    readonly botToken?: string;
    readonly apiUrl: string;
    readonly digestChannel?: string;
    readonly alertChannel?: string;
    readonly alertThreshold: number;
    readonly ticketUrlTemplate: string;
  };
  readonly charts: { readonly chartHost?: string };
  readonly schedules: { readonly ingest: string; readonly train: string; readonly digest: string };
  readonly logLevel: Env['LOG_LEVEL'];
}

const profileRefOf = (ref: string) => (ref.endsWith('.json') || ref.includes('/') ? resolve(ref) : ref);

/**
 * Reads and validates the environment once; every problem is reported in one error. `cityRef`
 * (the CLI's --city) stands in for CIVICOPS_CITY.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cityRef?: string): AppConfig {
  const parsed = envSchema.safeParse(cityRef === undefined ? env : { ...env, CIVICOPS_CITY: cityRef });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const city = loadCityProfile(e.CIVICOPS_CITY ?? DEFAULT_CITY);
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (e.RISK_MEDIUM_THRESHOLD >= e.RISK_HIGH_THRESHOLD) {
    throw new ConfigError('Invalid configuration:\n  RISK_MEDIUM_THRESHOLD: must be below RISK_HIGH_THRESHOLD');
  }
  return deepFreeze({
    database: { url: e.DATABASE_URL, dataDir: resolve(e.CIVICOPS_DATA_DIR) },
    city,
    requestedCity: e.CIVICOPS_CITY,
    // A profile path is kept absolute: the warehouse's city registry must find it from any directory.
    cityRef: profileRefOf(e.CIVICOPS_CITY ?? DEFAULT_CITY),
    socrata: {
      baseUrl: (e.SOCRATA_BASE_URL ?? `https://${city.host}`).replace(/\/+$/, ''),
      dataset: e.SOCRATA_DATASET ?? city.dataset,
      appToken: e.SOCRATA_APP_TOKEN,
      pageSize: e.SOCRATA_PAGE_SIZE,
      timeoutMs: e.SOCRATA_TIMEOUT_MS,
      maxRetries: e.SOCRATA_MAX_RETRIES,
    },
    slaHours: e.SLA_HOURS ?? city.sla.defaultHours ?? DEFAULT_SLA_HOURS,
    cityTimeZone: e.TZ_CITY ?? city.timeZone,
    http: {
      port: e.PORT,
      apiKey: e.API_KEY,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    scorerRefreshMinutes: e.SCORER_REFRESH_MINUTES,
    risk: { mediumThreshold: e.RISK_MEDIUM_THRESHOLD, highThreshold: e.RISK_HIGH_THRESHOLD },
    modelMaxAgeDays: e.MODEL_MAX_AGE_DAYS,
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
      digestChannel: e.DIGEST_CHANNEL,
      alertChannel: e.ALERT_CHANNEL,
      alertThreshold: e.ALERT_THRESHOLD,
      ticketUrlTemplate: e.TICKET_URL_TEMPLATE ?? city.ticketUrlTemplate,
    },
    charts: { chartHost: e.CHART_HOST },
    schedules: { ingest: e.INGEST_CRON, train: e.TRAIN_CRON, digest: e.DIGEST_CRON },
    logLevel: e.LOG_LEVEL,
  });
}

/**
 * The same deployment's config for another city of the warehouse (a server answering for every
 * city): that city's profile decides host, dataset, zone, SLA hours and ticket links; the
 * environment's city overrides (SOCRATA_BASE_URL, SOCRATA_DATASET, TZ_CITY, SLA_HOURS,
 * TICKET_URL_TEMPLATE) belong to the configured city and do not carry over.
 */
export function configForCity(config: AppConfig, cityRef: string): AppConfig {
  if (cityRef === config.cityRef) return config;
  const city = loadCityProfile(cityRef);
  return deepFreeze({
    ...config,
    city,
    requestedCity: cityRef,
    cityRef,
    socrata: { ...config.socrata, baseUrl: `https://${city.host}`, dataset: city.dataset },
    slaHours: city.sla.defaultHours ?? DEFAULT_SLA_HOURS,
    cityTimeZone: city.timeZone,
    slack: { ...config.slack, ticketUrlTemplate: city.ticketUrlTemplate },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
