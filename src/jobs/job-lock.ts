import { releaseAdvisoryLock, tryAdvisoryLock } from '../warehouse/advisory-lock.repository.js';
import type { Warehouse } from '../warehouse/database.js';

/** The advisory-lock key of a job: the same on every replica, so one runs it at a time. */
export function jobLockKey(job: string): string {
  return `civicops:${job}`;
}

export type LockedResult<T> = { acquired: true; value: T } | { acquired: false };

// Jobs running in this process, per warehouse handle. The first gate on both engines; on PGlite the
// only one needed (see withJobLock).
const runningHere = new WeakMap<object, Set<string>>();

/**
 * Runs `fn` only if no one else is running the job `job`; otherwise returns `{ acquired: false }`
 * at once (never waits for the other run).
 *
 * PostgreSQL: a session-level `pg_try_advisory_lock(hashtext('civicops:' || job))` taken on one
 * dedicated pooled connection that is held for the whole job and unlocked in `finally`; the job's
 * own queries use other pooled connections (so the pool needs at least 2). If the replica dies, its
 * session ends and PostgreSQL frees the lock, so a crash never leaves a job locked.
 *
 * PGlite: no SQL lock. PGlite is a single session shared by this whole process, and session
 * advisory locks are re-entrant within a session, so `pg_try_advisory_lock` would say yes to a
 * second run here; and our PGlite driver hands its one connection to one Kysely caller at a time,
 * so holding a connection for the job would block the job's own queries (deadlock). A PGlite data
 * directory can only be opened by one process, so an in-process mutex is the complete answer.
 */
export async function withJobLock<T>(
  warehouse: Pick<Warehouse, 'db' | 'kind'>,
  job: string,
  fn: () => Promise<T>,
): Promise<LockedResult<T>> {
  let running = runningHere.get(warehouse.db);
  if (!running) {
    running = new Set();
    runningHere.set(warehouse.db, running);
  }
  if (running.has(job)) return { acquired: false };
  running.add(job);
  try {
    if (warehouse.kind === 'pglite') return { acquired: true, value: await fn() };
    return await warehouse.db.connection().execute(async (connection): Promise<LockedResult<T>> => {
      const key = jobLockKey(job);
      if (!(await tryAdvisoryLock(connection, key))) return { acquired: false };
      try {
        return { acquired: true, value: await fn() };
      } finally {
        await releaseAdvisoryLock(connection, key);
      }
    });
  } finally {
    running.delete(job);
  }
}
