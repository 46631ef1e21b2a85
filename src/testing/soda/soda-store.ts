/**
 * The rows one fake SODA resource serves: stored by business `id`, each with its system fields
 * (`:id`, `:version`, `:created_at`, `:updated_at`) and pre-serialised JSON, plus a cache of
 * filtered + ordered views that every mutation drops.
 */
import { InputError } from '../../shared/errors.js';
import { makeSystemId, makeVersion } from './soda-ids.js';
import { compileComparator, orderText, type ParsedQuery } from './soql.js';
import { parseSoqlInstant } from './soql-where.js';
import { isSystemField, type StoredRow, type SystemField } from './stored-row.js';

/** Rows, versions and cached views of one dataset. */
export interface SodaStore {
  readonly size: number;
  /** The newest `:updated_at` stored, in ms (0 when empty); served as Last-Modified. */
  readonly newestUpdatedAtMs: number;
  setRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  upsertRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  deleteRows(ids: string[]): void;
  /** Rows matching the query's filter in its order, cached per (filter, order). */
  selectView(query: ParsedQuery): StoredRow[];
  /** The data fields of every stored row (what `/api/views/{id}.json` describes). */
  dataRows(): Record<string, unknown>[];
}

/** Creates an empty store whose system ids derive from `dataset`; rows are keyed by `idField`. */
export function createSodaStore(dataset: string, idField = 'id'): SodaStore {
  const rowKey = (row: Record<string, unknown>): string | undefined => {
    const id = row[idField];
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  };
  let rows = new Map<string, StoredRow>();
  let anonymousRows = 0;
  let newestUpdatedAtMs = 0;
  // Filtered + ordered views, valid until the next mutation.
  let views = new Map<string, StoredRow[]>();

  const invalidate = (): void => {
    views = new Map();
  };

  const storeRow = (input: Record<string, unknown>, key: string, instantMs: number, previous?: StoredRow): void => {
    const row = buildStoredRow(dataset, input, key, instantMs, previous);
    rows.set(key, row);
    if (row.updatedAtMs > newestUpdatedAtMs) newestUpdatedAtMs = row.updatedAtMs;
  };

  return {
    get size() {
      return rows.size;
    },
    get newestUpdatedAtMs() {
      return newestUpdatedAtMs;
    },
    setRows(input, options = {}) {
      rows = new Map();
      newestUpdatedAtMs = 0;
      const instantMs = (options.updatedAt ?? new Date()).getTime();
      input.forEach((row, index) => {
        storeRow(row, rowKey(row) ?? `#${index}`, instantMs);
      });
      anonymousRows = input.length;
      invalidate();
    },
    upsertRows(input, options = {}) {
      const instantMs = options.updatedAt?.getTime() ?? Math.max(Date.now(), newestUpdatedAtMs + 1);
      for (const row of input) {
        const key = rowKey(row) ?? `#${anonymousRows++}`;
        storeRow(row, key, instantMs, rows.get(key));
      }
      invalidate();
    },
    deleteRows(ids) {
      for (const id of ids) rows.delete(id);
      invalidate();
    },
    dataRows() {
      return [...rows.values()].map((row) => row.data);
    },
    selectView(query) {
      const cached = views.get(query.viewKey);
      if (cached) return cached;
      const orderKey = `order|${orderText(query.order)}`;
      let ordered = views.get(orderKey);
      if (!ordered) {
        ordered = [...rows.values()];
        if (query.order.length > 0) ordered.sort(compileComparator(query.order));
        views.set(orderKey, ordered);
      }
      const predicate = query.predicate;
      const view = predicate ? ordered.filter((row) => predicate(row)) : ordered;
      // Bound the cache: ingest pages one query at a time, so a handful of views is plenty.
      if (views.size > 16) views = new Map([[orderKey, ordered]]);
      views.set(query.viewKey, view);
      return view;
    },
  };
}

/** Merges `input` over `previous` (Socrata upsert semantics) and serialises the result once. */
function buildStoredRow(
  dataset: string,
  input: Record<string, unknown>,
  key: string,
  instantMs: number,
  previous: StoredRow | undefined,
): StoredRow {
  const { data, systemOverrides } = mergeData(input, previous);
  const updatedAtMs = parseOverrideInstant(systemOverrides[':updated_at'], ':updated_at') ?? instantMs;
  const createdAtMs = parseOverrideInstant(systemOverrides[':created_at'], ':created_at') ?? previous?.createdAtMs ?? updatedAtMs;
  const systemId = typeof systemOverrides[':id'] === 'string' ? systemOverrides[':id'] : (previous?.systemId ?? makeSystemId(dataset, key));
  const version = typeof systemOverrides[':version'] === 'string' ? systemOverrides[':version'] : makeVersion(systemId, updatedAtMs);
  const systemJson =
    `":id":${JSON.stringify(systemId)},":version":${JSON.stringify(version)},` +
    `":created_at":"${new Date(createdAtMs).toISOString()}",":updated_at":"${new Date(updatedAtMs).toISOString()}"`;
  const dataJson = JSON.stringify(data).slice(1, -1);
  const allJsonBytes = Buffer.from(dataJson ? `{${systemJson},${dataJson}}` : `{${systemJson}}`);
  return { key, systemId, version, createdAtMs, updatedAtMs, data, dataJson, systemJson, allJsonBytes };
}

/** Data fields after the upsert (`null` clears a field) and the system fields the input overrides. */
function mergeData(
  input: Record<string, unknown>,
  previous: StoredRow | undefined,
): { data: Record<string, unknown>; systemOverrides: Partial<Record<SystemField, unknown>> } {
  // Fast path for bulk loads (100k rows in the benchmark): keep the caller's object as is.
  if (!previous && isPlainDataRow(input)) return { data: input, systemOverrides: {} };
  const data: Record<string, unknown> = previous ? { ...previous.data } : {};
  let systemOverrides: Partial<Record<SystemField, unknown>> = {};
  for (const [field, value] of Object.entries(input)) {
    if (isSystemField(field)) {
      systemOverrides = { ...systemOverrides, [field]: value };
    } else if (value === null || value === undefined) {
      delete data[field];
    } else {
      data[field] = value;
    }
  }
  return { data, systemOverrides };
}

/** True when a row has neither system fields nor null values, so it can be stored without copying. */
function isPlainDataRow(row: Record<string, unknown>): boolean {
  for (const field in row) {
    const value = row[field];
    if (value === null || value === undefined) return false;
    if (field.charCodeAt(0) === 58 /* ':' */ && isSystemField(field)) return false;
  }
  return true;
}

function parseOverrideInstant(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? parseSoqlInstant(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InputError(`Row ${field} is not an instant: ${String(value)}`, [{ path: field, message: String(value) }]);
  return ms;
}
