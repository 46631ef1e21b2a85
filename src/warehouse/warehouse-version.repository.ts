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
  // One statement, so the base and the rows left are read from the same snapshot.
  const result = await sql<{ changes: number }>`
    select (select folded from warehouse_change_base) + (select count(*) from warehouse_change) as changes`.execute(db);
  return Number(result.rows[0]?.changes ?? 0);
}

/** Rows kept when folding: a count over this few stays a fraction of a millisecond. */
export const WAREHOUSE_CHANGES_KEPT = 1_000;

/**
 * Folds all but the newest WAREHOUSE_CHANGES_KEPT committed change rows into warehouse_change_base,
 * in one transaction, so the version stays the same number and counting it stays cheap. A change
 * still uncommitted meanwhile is not seen, so not folded: it counts when it commits, as before.
 * Returns the rows folded. Run after each ingest (the jobs' ingest).
 */
export async function compactWarehouseChanges(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // The base row's lock: two compactions never fold the same rows twice.
    await sql`select folded from warehouse_change_base for update`.execute(trx);
    const result = await sql<{ folded: number }>`
      with folded as (
        delete from warehouse_change
        where change_id <= (select change_id from warehouse_change order by change_id desc offset ${WAREHOUSE_CHANGES_KEPT} limit 1)
        returning 1
      )
      select count(*) as folded from folded`.execute(trx);
    const folded = Number(result.rows[0]?.folded ?? 0);
    if (folded > 0) await sql`update warehouse_change_base set folded = folded + ${folded}`.execute(trx);
    return folded;
  });
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
