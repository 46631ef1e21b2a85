import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from './pglite-dialect.js';
import type { WarehouseSchema } from './schema.js';

export type DatabaseKind = 'postgres' | 'pglite';

/** One warehouse connection: the typed Kysely handle plus what Kysely cannot do (multi-statement scripts). */
export interface Warehouse {
  readonly db: Kysely<WarehouseSchema>;
  readonly kind: DatabaseKind;
  /** Human description without credentials, for logs and `civicops status`. */
  readonly describe: string;
  close(): Promise<void>;
}

// Both engines return the same JS types: int8 and numeric as numbers, date as 'YYYY-MM-DD' text,
// timestamptz as Date. pg defaults to strings for int8/numeric and local-midnight Dates for date.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const parseNumber = (value: string) => Number(value);
const keepText = (value: string) => value;

export async function openPostgres(
  connectionString: string,
  options: { max?: number; onIdleClientError?: (error: Error) => void } = {},
): Promise<Warehouse> {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8 || oid === NUMERIC) return parseNumber;
        if (oid === DATE) return keepText;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle pooled connection can be cut by the server (restart, failover, admin shutdown). pg emits
  // that on the pool; without a listener it would crash the process. The next query reconnects.
  pool.on('error', options.onIdleClientError ?? ((error) => process.stderr.write(`warehouse: idle PostgreSQL connection lost: ${error.message}\n`)));
  const db = new Kysely<WarehouseSchema>({ dialect: new PostgresDialect({ pool }) });
  const url = new URL(connectionString);
  return {
    db,
    kind: 'postgres',
    describe: `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`,
    async close() {
      await db.destroy();
    },
  };
}

/** Embedded PostgreSQL (PGlite): in memory when dataDir is undefined, else persisted in that folder. */
export async function openPGlite(dataDir?: string): Promise<Warehouse> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite: PGlite = await PGlite.create({
    dataDir,
    parsers: { [INT8]: parseNumber, [NUMERIC]: parseNumber, [DATE]: keepText },
  });
  const db = new Kysely<WarehouseSchema>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    describe: dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite (in memory)',
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}

/** Opens the warehouse named by config: DATABASE_URL if set, else embedded PGlite under the data dir. */
export async function openWarehouse(database: { url?: string; dataDir: string }): Promise<Warehouse> {
  if (database.url) return openPostgres(database.url);
  return openPGlite(`${database.dataDir}/pglite`);
}
