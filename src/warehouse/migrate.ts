import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';

/** db/migrations, found from both src/warehouse (tests) and dist/warehouse (installed CLI). */
export const migrationsDir = fileURLToPath(new URL('../../db/migrations/', import.meta.url));

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK_KEY = 3110001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies pending SQL migrations in file-name order, each in its own transaction under an
 * advisory lock, so replicas starting together apply each migration exactly once.
 */
export async function migrate<DB>(db: Kysely<DB>, dir: string = migrationsDir): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((name) => /^\d+_.*\.sql$/.test(name)).sort();
  await sql`create table if not exists schema_migrations (
      version text primary key,
      applied_at timestamptz not null default now()
    )`.execute(db);
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    const script = await readFile(`${dir}/${file}`, 'utf8');
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
      const done = await sql<{ version: string }>`select version from schema_migrations where version = ${version}`.execute(trx);
      if (done.rows.length > 0) {
        result.alreadyApplied.push(version);
        return;
      }
      await sql.raw(script).execute(trx);
      await sql`insert into schema_migrations (version) values (${version})`.execute(trx);
      result.applied.push(version);
    });
  }
  return result;
}
