import type { Kysely } from 'kysely';
import type { CityProfile } from '../config/city-profile.js';
import type { Logger } from '../shared/logger.js';
import type { IngestRun } from '../warehouse/ingest-run.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';

export interface IngestProgress {
  runId: number;
  pages: number;
  offset: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  duplicates: number;
  rowsPerSecond: number;
}

/** What `civicops ingest --json` prints; field names are part of the CLI contract. */
export interface IngestSummary {
  run_id: number;
  source: string;
  mode: IngestRun['mode'];
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /**
   * Rows that repeated a ticket id of the same page with other content: the copy with the newer
   * `:updated_at` was loaded, the other one kept in the quarantine with the reason. Recorded in
   * ingest_run.duplicates at each page commit, like the other counts.
   */
  duplicates: number;
  high_water_mark: string | null;
  resumed_from_run: number | null;
  /** Quarantined rows that pass validation now and were loaded at the start of the run. */
  recovered_from_quarantine: number;
  duration_ms: number;
  rows_per_second: number;
}

export interface IngestDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  timeZone: string;
  /** The city's column mapping, formats and status words (config.city); default Gainesville. */
  profile?: CityProfile;
  /** Called after each committed page; the run waits for it (tests use it to change the source mid-run). */
  onProgress?: (progress: IngestProgress) => void | Promise<void>;
  /** Stops between pages: the committed pages stay, the run is left resumable. */
  signal?: AbortSignal;
}
