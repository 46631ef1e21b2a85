import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, WarehouseOpenError } from '../shared/errors.js';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { migrate } from './migrate.js';
import { PGliteDialect, PGliteSession, quoteIdentifier } from './pglite-dialect.js';
import type { WarehouseSchema } from './schema.js';
import { pgliteCopyTransactions, postgresCopyTransactions, registerCopyTransactions } from './staging-copy.js';

export type DatabaseKind = 'postgres' | 'pglite';

/** One warehouse connection: the typed Kysely handle plus what Kysely cannot do (multi-statement scripts). */
export interface Warehouse {
  readonly db: Kysely<WarehouseSchema>;
  readonly kind: DatabaseKind;
  /** Human description without credentials, for logs and `civicops status`. */
  readonly describe: string;
  /** The PostgreSQL schema this handle reads and writes (its whole search_path): one per city. */
  readonly schema: string;
  /**
   * A handle on another schema of the same database (another city): its own pool on PostgreSQL,
   * the same session on PGlite. Closed on its own; the database stays open until every handle is.
   */
  openSchema(schema: string): Promise<Warehouse>;
  close(): Promise<void>;
}

// Both engines return the same JS types: int8 and numeric as numbers, date as 'YYYY-MM-DD' text,
// timestamptz as Date. pg defaults to strings for int8/numeric and local-midnight Dates for date.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const parseNumber = (value: string) => Number(value);
const keepText = (value: string) => value;

export interface PostgresOptions {
  max?: number;
  onIdleClientError?: (error: Error) => void;
  /** The schema every connection's search_path is set to (default public). */
  schema?: string;
}

export async function openPostgres(connectionString: string, options: PostgresOptions = {}): Promise<Warehouse> {
  const schema = options.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    // The dashboard's report queries scan the facts once; their cost estimates trip PostgreSQL's JIT,
    // whose compile time (seconds) exceeds the query's own run time. The search_path holds one
    // schema, the city's: a table missing there is an error, never another city's table.
    options: `-c jit=off -c search_path=${quoteIdentifier(schema)}`,
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
  pool.on(
    'error',
    options.onIdleClientError ?? ((error) => process.stderr.write(`warehouse: idle PostgreSQL connection lost: ${error.message}\n`)),
  );
  const db = new Kysely<WarehouseSchema>({ dialect: new PostgresDialect({ pool }) });
  registerCopyTransactions(db, postgresCopyTransactions(pool));
  const url = new URL(connectionString);
  return {
    db,
    kind: 'postgres',
    describe: `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}${schema === 'public' ? '' : ` (schema ${schema})`}`,
    schema,
    openSchema: (other) => openPostgres(connectionString, { ...options, schema: other }),
    async close() {
      await db.destroy();
    },
  };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one database session: two processes opening the same folder silently lose each
 * other's commits. A lock file with the owner's pid refuses the second process (a stale lock
 * of a process that is gone is taken over).
 */
function lockDataDir(dataDir: string): () => void {
  // Beside the folder, not in it: the folder is PostgreSQL's data directory.
  const lockPath = `${dataDir.replace(/[\\/]+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => {
        if (existsSync(lockPath) && readFileSync(lockPath, 'utf8') === String(process.pid)) rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockPath, 'utf8'));
      if (owner === process.pid) return () => undefined; // opened again by this process
      if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) {
        throw new ConfigError(
          `The embedded warehouse at ${dataDir} is in use by process ${owner}: PGlite serves one process at a time. ` +
            'Stop that process first, or set DATABASE_URL to a PostgreSQL server to run several processes.',
        );
      }
      rmSync(lockPath, { force: true }); // left by a process that is gone
    }
  }
  throw new ConfigError(`Could not lock the embedded warehouse at ${dataDir}.`);
}

const PGLITE_PARSERS = { [INT8]: parseNumber, [NUMERIC]: parseNumber, [DATE]: keepText };

const creatingSuffix = '.creating-';

/**
 * Removes `<dir>.creating-<pid>` folders left by a process that was killed while it created the
 * store (the caller holds the lock, so no live process is creating one now).
 */
function removeStaleCreations(dataDir: string): void {
  const prefix = `${basename(dataDir)}${creatingSuffix}`;
  for (const name of readdirSync(dirname(dataDir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) continue;
    rmSync(join(dirname(dataDir), name), { recursive: true, force: true });
  }
}

/**
 * Creates a new store beside its place, migrates it, closes it and only then renames it into
 * place: PGlite's first start (initdb) takes seconds, and a process killed meanwhile used to leave
 * a half-made folder that PGlite can never open again. A folder at `dataDir` is therefore always a
 * complete store; a kill during creation leaves only a `.creating-<pid>` sibling, removed next time.
 */
async function createStore(dataDir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const staging = `${dataDir}${creatingSuffix}${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const pglite = await PGlite.create({ dataDir: staging, parsers: PGLITE_PARSERS });
  const db = new Kysely<WarehouseSchema>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrate(db);
  } finally {
    await db.destroy();
    await pglite.close();
  }
  rmSync(dataDir, { recursive: true, force: true }); // at most an empty folder (checked by the caller)
  renameSync(staging, dataDir);
}

const isEmptyOrMissing = (dir: string) => !existsSync(dir) || readdirSync(dir).length === 0;

/** Embedded PostgreSQL (PGlite): in memory when dataDir is undefined, else persisted in that folder. */
export async function openPGlite(dataDir?: string): Promise<Warehouse> {
  const { PGlite } = await import('@electric-sql/pglite');
  let unlock: () => void = () => {};
  const path = dataDir?.replace(/[\\/]+$/, '');
  let pglite: PGlite;
  try {
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      unlock = lockDataDir(path);
      removeStaleCreations(path);
      if (isEmptyOrMissing(path)) await createStore(path);
    }
    try {
      pglite = await PGlite.create({ dataDir: path, parsers: PGLITE_PARSERS });
    } catch (error) {
      // PGlite reports a damaged data folder as a bare WebAssembly `Aborted()`.
      throw path ? new WarehouseOpenError(path, { cause: error }) : error;
    }
  } catch (error) {
    unlock();
    throw error;
  }
  const session = new PGliteSession(pglite);
  let openHandles = 0;
  const closeDatabase = async () => {
    try {
      await pglite.close();
    } finally {
      unlock();
    }
  };
  const describe = path ? `embedded PGlite at ${path}` : 'embedded PGlite (in memory)';
  const handleOn = (schema: string): Warehouse => {
    const db = new Kysely<WarehouseSchema>({ dialect: new PGliteDialect(session, schema) });
    registerCopyTransactions(db, pgliteCopyTransactions(db, pglite));
    openHandles += 1;
    let closed = false;
    return {
      db,
      kind: 'pglite',
      describe: schema === 'public' ? describe : `${describe} (schema ${schema})`,
      schema,
      openSchema: async (other) => handleOn(other),
      async close() {
        if (closed) return;
        closed = true;
        try {
          await db.destroy();
        } finally {
          openHandles -= 1;
          if (openHandles === 0) await closeDatabase();
        }
      },
    };
  };
  return handleOn('public');
}

/** Opens the warehouse named by config: DATABASE_URL if set, else embedded PGlite under the data dir. */
export async function openWarehouse(database: { url?: string; dataDir: string }): Promise<Warehouse> {
  if (database.url) return openPostgres(database.url);
  return openPGlite(`${database.dataDir}/pglite`);
}
