import { sql, type Kysely } from 'kysely';

/**
 * Which cities a warehouse holds and where: one PostgreSQL schema per city, listed in
 * `public.civicops_city`. The first city keeps `public` (where every warehouse before the registry
 * kept its tables, so those are brought forward without a copy); each later one gets `city_<name>`.
 * Every query of a city runs with its schema as the whole search_path, so no query can read or
 * write another city's rows.
 */
export interface RegisteredCity {
  /** The profile's `name` (`gainesville`). */
  city: string;
  /** What CIVICOPS_CITY said when the city was registered: a shipped name or a profile path. */
  profileRef: string;
  schemaName: string;
  registeredAt: Date;
}

export const FIRST_CITY_SCHEMA = 'public';

// The migration lock's key: registering a city creates its schema and then migrates it.
const REGISTRY_LOCK_KEY = 3110001;

/** `city_` and the name in lower case with anything but letters, digits and `_` as `_`. */
export function citySchemaName(city: string): string {
  return `city_${city.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

export async function ensureCityRegistry<DB>(db: Kysely<DB>): Promise<void> {
  const exists = await sql<{ found: boolean }>`select to_regclass('public.civicops_city') is not null as found`.execute(db);
  if (exists.rows[0]?.found) return;
  // Under the lock: two replicas' `create table if not exists` at once can still collide in PostgreSQL's catalog.
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${REGISTRY_LOCK_KEY})`.execute(trx);
    await sql`create table if not exists public.civicops_city (
        city text primary key,
        profile_ref text not null,
        schema_name text not null unique,
        registered_at timestamptz not null default now()
      )`.execute(trx);
  });
}

export async function listWarehouseCities<DB>(db: Kysely<DB>): Promise<RegisteredCity[]> {
  const result = await sql<RegisteredCity>`
    select city, profile_ref as "profileRef", schema_name as "schemaName", registered_at as "registeredAt"
    from public.civicops_city order by registered_at, city`.execute(db);
  return result.rows;
}

/** The SODA sources (`https://host/dataset`) of the ingest runs kept in `public`, if it has that table. */
async function sourcesInPublic<DB>(db: Kysely<DB>): Promise<string[]> {
  const exists = await sql<{ found: boolean }>`select to_regclass('public.ingest_run') is not null as found`.execute(db);
  if (!exists.rows[0]?.found) return [];
  const rows = await sql<{ source: string }>`select distinct source from public.ingest_run where source not like 'file:%'`.execute(db);
  return rows.rows.map((row) => row.source);
}

export interface CityToRegister {
  city: string;
  profileRef: string;
  /**
   * The shipped cities and their SODA sources: a warehouse from before the registry is
   * registered to the city whose dataset it was ingested from, whichever city asks first.
   */
  knownSources: readonly { city: string; profileRef: string; source: string }[];
}

/**
 * The city's entry, registering it (and creating its schema) when it is new. Runs under the
 * migration lock, so replicas starting together register a city once.
 */
export async function registerCity<DB>(db: Kysely<DB>, wanted: CityToRegister): Promise<RegisteredCity> {
  await ensureCityRegistry(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${REGISTRY_LOCK_KEY})`.execute(trx);
    const registered = await listWarehouseCities(trx);
    const found = registered.find((entry) => entry.city === wanted.city);
    if (found) return found;
    if (registered.length === 0) {
      // `public` may already hold a city's tickets from before the registry: name it after its dataset.
      const sources = await sourcesInPublic(trx);
      const owner = wanted.knownSources.find((known) => sources.includes(known.source));
      if (owner && owner.city !== wanted.city) {
        await insertCity(trx, { city: owner.city, profileRef: owner.profileRef, schemaName: FIRST_CITY_SCHEMA });
      } else {
        return insertCity(trx, { city: wanted.city, profileRef: wanted.profileRef, schemaName: FIRST_CITY_SCHEMA });
      }
    }
    const schemaName = citySchemaName(wanted.city);
    await sql`create schema if not exists ${sql.id(schemaName)}`.execute(trx);
    return insertCity(trx, { city: wanted.city, profileRef: wanted.profileRef, schemaName });
  });
}

async function insertCity<DB>(db: Kysely<DB>, entry: Omit<RegisteredCity, 'registeredAt'>): Promise<RegisteredCity> {
  const result = await sql<RegisteredCity>`
    insert into public.civicops_city (city, profile_ref, schema_name)
    values (${entry.city}, ${entry.profileRef}, ${entry.schemaName})
    returning city, profile_ref as "profileRef", schema_name as "schemaName", registered_at as "registeredAt"`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error(`registering ${entry.city} returned no row`);
  return row;
}
