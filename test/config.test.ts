import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ConfigError } from '../src/shared/errors.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration from the environment', () => {
  it('has the documented defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.socrata).toMatchObject({ baseUrl: 'https://data.cityofgainesville.org', dataset: '78uv-94ar', pageSize: 50_000 });
    expect(config.slaHours).toBe(72);
    expect(config.cityTimeZone).toBe('America/New_York');
    expect(Object.isFrozen(config.socrata)).toBe(true);
  });

  it('names every bad variable at once', () => {
    const message = problemsOf({ SLA_HOURS: '-3', TZ_CITY: 'Mars/Olympus', INGEST_CRON: 'often', SOCRATA_DATASET: 'nope' });
    for (const name of ['SLA_HOURS', 'TZ_CITY', 'INGEST_CRON', 'SOCRATA_DATASET']) expect(message).toContain(name);
  });

  it('refuses an unreadable DATABASE_URL without repeating it (it holds the password)', () => {
    const message = problemsOf({ DATABASE_URL: 'postgresql://admin:TopSecret@db.invalid:99999/x' });
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('TopSecret');
  });

  it('refuses risk thresholds in the wrong order', () => {
    expect(problemsOf({ RISK_MEDIUM_THRESHOLD: '0.8', RISK_HIGH_THRESHOLD: '0.5' })).toContain('RISK_MEDIUM_THRESHOLD');
  });
});
