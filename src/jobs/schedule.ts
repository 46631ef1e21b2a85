import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate } from 'node-cron';
import { z } from 'zod';
import type { AppConfig } from '../config/config.js';
import { ConfigError } from '../shared/errors.js';
import { jobNames, type JobName } from './job-catalog.js';

/** jobs/schedules.json, found from both src/jobs (tests) and dist/jobs (installed CLI). */
export const schedulesPath = fileURLToPath(new URL('../../jobs/schedules.json', import.meta.url));

const jobName = z.enum(jobNames);
const scheduleFile = z.object({
  jobs: z.array(
    z.object({
      job: jobName,
      cronEnv: z.enum(['INGEST_CRON', 'TRAIN_CRON', 'DIGEST_CRON']).nullable(),
      defaultCron: z.string().nullable(),
      then: z.array(jobName).default([]),
      description: z.string(),
    }),
  ),
});

/** When one job runs: on its cron in the city's time zone, and/or after another job. */
export interface JobSchedule {
  readonly job: JobName;
  /** Cron expression (5 fields, or 6 with seconds), or null for a job that only runs after another. */
  readonly cron: string | null;
  /** Env variable that overrides the cron, e.g. INGEST_CRON. */
  readonly cronEnv: string | null;
  readonly timeZone: string;
  /** Jobs started after a successful run of this one. */
  readonly then: readonly JobName[];
  readonly description: string;
}

const configCron: Record<'INGEST_CRON' | 'TRAIN_CRON' | 'DIGEST_CRON', keyof AppConfig['schedules']> = {
  INGEST_CRON: 'ingest',
  TRAIN_CRON: 'train',
  DIGEST_CRON: 'digest',
};

/**
 * The schedules of jobs/schedules.json with this deployment's cron values: the config (its env
 * variables) wins over the file's defaults, and times are in `config.cityTimeZone`.
 */
export function loadSchedules(config: Pick<AppConfig, 'schedules' | 'cityTimeZone'>, path: string = schedulesPath): JobSchedule[] {
  let parsed: z.infer<typeof scheduleFile>;
  try {
    parsed = scheduleFile.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new ConfigError(`Cannot read the job schedules in ${path}: ${(error as Error).message}`);
  }
  return parsed.jobs.map((entry) => {
    const cron = entry.cronEnv ? config.schedules[configCron[entry.cronEnv]] : entry.defaultCron;
    if (cron !== null && !validate(cron)) {
      throw new ConfigError(`Invalid configuration:\n  ${entry.cronEnv ?? entry.job}: "${cron}" is not a valid cron expression`);
    }
    return {
      job: entry.job,
      cron,
      cronEnv: entry.cronEnv,
      timeZone: config.cityTimeZone,
      then: entry.then,
      description: entry.description,
    };
  });
}
