import { sql, type Kysely } from 'kysely';

// Locks are per database, jobs per city: another city's schema prefixes the key (the first
// city's, in public, keeps the bare key that replicas from before the city registry take).
const cityLockKey = (key: string) =>
  sql`hashtext(case when current_schema() = 'public' then ${key} else current_schema() || ':' || ${key} end)`;

/**
 * Session-level PostgreSQL advisory locks, keyed by text (hashed with `hashtext`) within the
 * connection's city. Both calls must run on the same connection: the caller holds one
 * (`db.connection().execute`) for the lock's life.
 */
export async function tryAdvisoryLock<DB>(connection: Kysely<DB>, key: string): Promise<boolean> {
  const taken = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${cityLockKey(key)}) as locked`.execute(connection);
  return taken.rows[0]?.locked === true;
}

export async function releaseAdvisoryLock<DB>(connection: Kysely<DB>, key: string): Promise<void> {
  await sql`select pg_advisory_unlock(${cityLockKey(key)})`.execute(connection);
}

/** True when the warehouse answers a trivial query (the /healthz probe). */
export async function pingWarehouse<DB>(db: Kysely<DB>): Promise<boolean> {
  return sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
}
