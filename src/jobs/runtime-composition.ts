import type { AppConfig } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import type { JobFunctions } from './job-catalog.js';
import type { JobOutcome } from './job-runner.js';

/** What `civicops start` needs from the HTTP API (createApiServer in src/api). */
export interface AppServer {
  listen(port: number): Promise<unknown>;
  close(): Promise<void>;
  /**
   * Told of every job attempt of this process's scheduler as it ends, so the server can react
   * (refresh its scorer after an ingest). Must not throw.
   */
  onJobOutcome?(outcome: JobOutcome): void;
}

export interface RuntimeContext {
  config: AppConfig;
  logger: Logger;
  warehouse: Warehouse;
}

/**
 * The parts of the app built by other domains, plugged in at the composition root. Every one is
 * optional so that `civicops jobs|status|start` work (and say what is missing) in any build.
 */
export interface RuntimeComposition {
  /** train, digest and alerts for an open warehouse (ingest is built in). */
  buildJobs?(context: RuntimeContext): Partial<Omit<JobFunctions, 'ingest'>> | Promise<Partial<Omit<JobFunctions, 'ingest'>>>;
  /** The HTTP server (API, /healthz, Slack endpoint), not yet listening. */
  createServer?(context: RuntimeContext): AppServer | Promise<AppServer>;
  /** Version of the promoted model, null when none is trained; for `civicops status`. */
  findModelVersion?(context: RuntimeContext): Promise<string | null>;
}
