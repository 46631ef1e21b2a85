import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, type Transaction } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { WarehouseSchema } from './schema.js';

/** Runs `COPY <table> (<columns>)` from `data` (COPY text format) inside the current transaction; the engine adds the FROM. */
export type CopyIn = (copyStatement: string, data: string) => Promise<void>;

/**
 * A transaction that can also COPY rows in: Kysely has no COPY, so each engine supplies its own
 * (pg-copy-streams on PostgreSQL, `COPY … FROM '/dev/blob'` on PGlite), on the very connection that
 * runs the transaction's other statements.
 */
export type CopyTransactionRunner = <T>(work: (trx: Transaction<WarehouseSchema>, copyIn: CopyIn) => Promise<T>) => Promise<T>;

// Keyed by the Kysely handle the warehouse hands out: callers keep passing only `db`.
const runners = new WeakMap<Kysely<WarehouseSchema>, CopyTransactionRunner>();

/** Called by the warehouse openers (database.ts) for the handle they return. */
export function registerCopyTransactions(db: Kysely<WarehouseSchema>, runner: CopyTransactionRunner): void {
  runners.set(db, runner);
}

/** Runs `work` in one transaction in which rows can be COPYed (see CopyTransactionRunner). */
export function transactionWithCopy<T>(
  db: Kysely<WarehouseSchema>,
  work: (trx: Transaction<WarehouseSchema>, copyIn: CopyIn) => Promise<T>,
): Promise<T> {
  const runner = runners.get(db);
  if (!runner) throw new Error('This Kysely handle was not opened by openPostgres/openPGlite: it cannot COPY');
  return runner(work);
}

/**
 * PostgreSQL: one pooled client, wrapped as a one-connection pool for a Kysely of its own, so the
 * COPY (through pg-copy-streams, which needs the raw client) and the SQL share the transaction.
 */
export function postgresCopyTransactions(pool: pg.Pool): CopyTransactionRunner {
  return async (work) => {
    const client = await pool.connect();
    const onePool: PostgresPool = {
      connect: async () => ({ query: client.query.bind(client) as never, release: () => undefined }),
      end: async () => undefined,
    };
    const single = new Kysely<WarehouseSchema>({ dialect: new PostgresDialect({ pool: onePool }) });
    const copyIn: CopyIn = (statement, data) => pipeline(Readable.from([data]), client.query(copyFrom(`${statement} FROM STDIN`)));
    let failure: Error | undefined;
    try {
      return await single.transaction().execute((trx) => work(trx, copyIn));
    } catch (error) {
      // A COPY cut mid-stream can leave the connection unusable: it is closed, not pooled again.
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      await single.destroy();
      client.release(failure);
    }
  };
}

/**
 * PGlite: one connection, which Kysely's driver hands to one transaction at a time; while `work`
 * runs, the transaction owns it, so the blob COPY issued directly on PGlite runs inside it.
 */
export function pgliteCopyTransactions(db: Kysely<WarehouseSchema>, pglite: PGlite): CopyTransactionRunner {
  const copyIn: CopyIn = async (statement, data) => {
    await pglite.query(`${statement} FROM '/dev/blob'`, [], { blob: new Blob([data]) });
  };
  return (work) => db.transaction().execute((trx) => work(trx, copyIn));
}
