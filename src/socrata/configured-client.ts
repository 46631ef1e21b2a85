import type { AppConfig } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { SodaClient, type SodaClientOptions } from './soda-client.js';

/** Identifies the city dataset in ingest_run (the high-water mark is kept per source). */
export function socrataSource(config: AppConfig): string {
  return `${config.socrata.baseUrl}/${config.socrata.dataset}`;
}

/** The SODA client of the configured city dataset; `overrides` shorten retries (the demo's quick try). */
export function createSodaClient(config: AppConfig, logger: Logger, overrides: Partial<SodaClientOptions> = {}): SodaClient {
  return new SodaClient({
    baseUrl: config.socrata.baseUrl,
    dataset: config.socrata.dataset,
    appToken: config.socrata.appToken,
    timeoutMs: config.socrata.timeoutMs,
    maxRetries: config.socrata.maxRetries,
    logger,
    ...overrides,
  });
}
