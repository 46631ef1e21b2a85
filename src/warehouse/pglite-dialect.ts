import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/**
 * The one session of a PGlite instance, shared by every Kysely handle on it (one per city schema):
 * handed out to one Kysely connection at a time, and remembering the search_path last set on it.
 */
export class PGliteSession {
  queue: Promise<void> = Promise.resolve();
  searchPath: string | undefined;
  constructor(readonly pglite: PGlite) {}
}

/**
 * Kysely dialect for embedded PGlite. PGlite is one connection, so the driver hands it out
 * to one Kysely connection at a time; a transaction therefore never interleaves with other queries.
 * With a schema, the session's search_path is set to it whenever this handle takes the session, so
 * several cities' handles share one PGlite and each sees only its own tables.
 */
export class PGliteDialect implements Dialect {
  private readonly session: PGliteSession;
  constructor(
    pglite: PGlite | PGliteSession,
    private readonly schema?: string,
  ) {
    this.session = pglite instanceof PGliteSession ? pglite : new PGliteSession(pglite);
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.session, this.schema);
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private release: (() => void) | undefined;

  constructor(
    private readonly session: PGliteSession,
    private readonly schema: string | undefined,
  ) {
    this.connection = new PGliteConnection(session.pglite);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.session.queue;
    let release!: () => void;
    this.session.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    if (this.schema !== undefined && this.session.searchPath !== this.schema) {
      try {
        // Outside any transaction, so the setting stays with the session until another handle changes it.
        await this.session.pglite.exec(`set search_path to ${quoteIdentifier(this.schema)}`);
      } catch (error) {
        this.release = undefined;
        release();
        throw error;
      }
      this.session.searchPath = this.schema;
    }
    return this.connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
  async destroy(): Promise<void> {}
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}
  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (compiledQuery.parameters.length === 0) {
      // Without parameters use the simple protocol, as node-postgres does, so that a
      // multi-statement script (a migration) runs; the last statement's result is returned.
      const results = await this.pglite.exec(compiledQuery.sql);
      const last = results[results.length - 1];
      return {
        rows: (last?.rows ?? []) as R[],
        numAffectedRows: last?.affectedRows === undefined ? undefined : BigInt(last.affectedRows),
      };
    }
    const result = await this.pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }
  // biome-ignore lint/correctness/useYield: Kysely's DatabaseConnection requires the generator; PGlite cannot stream.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not support streaming queries');
  }
}

/** A PostgreSQL identifier in double quotes (schema names are generated, but quoting costs nothing). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
