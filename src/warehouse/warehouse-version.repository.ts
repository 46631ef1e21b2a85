/**
 * The warehouse's version (migration 015: one committed warehouse_change row per statement that wrote
 * the facts, the SLA policy or the request types) and a cache of figures computed from one version,
 * so a dashboard request after the first reads a few index entries instead of every ticket.
 */
import { sql, type Kysely } from 'kysely';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** Entries one warehouse handle keeps for its current version (oldest dropped first). */
const MAX_ENTRIES = 256;

/**
 * The number of committed warehouse_change rows: it grows with every commit that wrote a watched
 * table. Read it before the figures it keys: a write committed in between then lands under the
 * older version, which no later request asks for.
 */
export async function readWarehouseVersion(db: Db): Promise<number> {
  const result = await sql<{ changes: number }>`select count(*) as changes from warehouse_change`.execute(db);
  return Number(result.rows[0]?.changes ?? 0);
}

/** Figures of one warehouse version; values are shared between requests, so callers never mutate them. */
export interface VersionedCache {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

interface HandleCache {
  version: number;
  entries: Map<string, unknown>;
}

// Per Kysely handle (a warehouse), not per module: tests open several warehouses in one process.
const handles = new WeakMap<Db, HandleCache>();

const passThrough: VersionedCache = { get: () => undefined, set: () => undefined };

/**
 * The cache of `db` for `version`. A newer version empties it; a request that read an older
 * version (a write committed while it started) neither reads nor fills it.
 */
export function versionedCacheOf(db: Db, version: number): VersionedCache {
  let handle = handles.get(db);
  if (!handle || handle.version < version) {
    handle = { version, entries: new Map() };
    handles.set(db, handle);
  }
  if (handle.version !== version) return passThrough;
  const { entries } = handle;
  return {
    get<T>(key: string): T | undefined {
      if (!entries.has(key)) return undefined;
      const value = entries.get(key);
      // Most recently used last, so the oldest is dropped first.
      entries.delete(key);
      entries.set(key, value);
      return value as T;
    },
    set(key: string, value: unknown) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    },
  };
}
