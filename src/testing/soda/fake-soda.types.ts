/** The public shape of the fake SODA resource: options, request log and handle. */
import type { FakeSodaFault } from './soda-faults.js';
import type { FakeSodaViewSpec } from './soda-views.js';

export interface FakeSodaOptions {
  /**
   * Data rows as SODA serves them (string values, GeoJSON `location`). Rows without nulls or system
   * fields are kept by reference, not copied: treat them as frozen and change data via upsertRows.
   */
  rows: Record<string, unknown>[];
  /** Dataset id in the resource path (default `78uv-94ar`). */
  dataset?: string;
  /** The column holding the business id that upsertRows/deleteRows match on (default `id`). */
  idField?: string;
  /**
   * What `GET /api/views/{dataset}.json` describes: the view's name and its columns (name,
   * `dataTypeName`, description). Without it the columns are guessed from the stored rows.
   */
  view?: FakeSodaViewSpec;
  /** When set, requests must carry this token (`X-App-Token` header or `$$app_token`). */
  requiredAppToken?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** `:updated_at` (and `:created_at`) of the initial rows; default the start instant. */
  updatedAt?: Date;
  /** After this many requests the server "goes away": every later connection is reset. */
  failAfterRequests?: number;
}

/** One request the fake received, in arrival order. */
export interface FakeSodaRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  receivedAt: Date;
  /** HTTP status written; undefined while pending, for hung or reset requests. */
  status?: number;
  /** Number of rows in a served page. */
  rowCount?: number;
  /** The fault kind applied to this request, if any. */
  fault?: FakeSodaFault['kind'];
}

export interface FakeSoda {
  /**
   * `http://127.0.0.1:PORT` (no trailing slash); the resource is `${baseUrl}/resource/${dataset}.json`
   * and its metadata `${baseUrl}/api/views/${dataset}.json`.
   */
  readonly baseUrl: string;
  readonly dataset: string;
  /** Every request received, oldest first (live array). */
  readonly requests: readonly FakeSodaRequest[];
  /** Errors the fake itself hit while answering (answered as 500); tests can assert it stays empty. */
  readonly unexpectedErrors: readonly Error[];
  /** Number of stored rows. */
  readonly rowCount: number;
  /** Replaces all rows. Input keys `:id`/`:created_at`/`:updated_at`/`:version` override the generated ones. */
  setRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  /**
   * Merges rows by `id` as a Socrata upsert does: given fields change, `null` clears a field, omitted
   * fields stay. Existing rows keep their `:id`; `:updated_at` becomes `updatedAt` (default: now, but
   * always after the newest stored instant so incremental sync never ties).
   */
  upsertRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  /** Deletes the rows with these `id`s (as Socrata does, they simply vanish from results). */
  deleteRows(ids: string[]): void;
  deleteAll(): void;
  /** Queues a fault for the next matching request(s). */
  fault(spec: FakeSodaFault): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Queued faults not yet consumed. */
  pendingFaults(): FakeSodaFault[];
  clearRequests(): void;
  /** Stops listening and destroys open (including hung) connections. Idempotent. */
  close(): Promise<void>;
}
