import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPGlite, openPostgres, type Warehouse } from '../../src/warehouse/database.js';
import { migrate } from '../../src/warehouse/migrate.js';

/** The engines every warehouse test runs on: PGlite always, real PostgreSQL when TEST_DATABASE_URL is set. */
export const engines: { name: 'pglite' | 'postgres' }[] = process.env.TEST_DATABASE_URL
  ? [{ name: 'pglite' }, { name: 'postgres' }]
  : [{ name: 'pglite' }];

export interface TestWarehouse extends Warehouse {
  /** Connection string of the per-test PostgreSQL database (undefined on PGlite). */
  readonly url?: string;
  /** Closes the connection and drops the per-test database. */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated, empty warehouse. On PostgreSQL each call creates its own database so
 * test files never see each other's rows; on PGlite it is a new in-memory instance.
 */
export async function createTestWarehouse(engine: 'pglite' | 'postgres', options: { migrate?: boolean } = {}): Promise<TestWarehouse> {
  let warehouse: Warehouse;
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (engine === 'postgres') {
    const adminUrl = process.env.TEST_DATABASE_URL;
    if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
    const name = `civicops_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const target = new URL(adminUrl);
    target.pathname = `/${name}`;
    url = target.toString();
    warehouse = await openPostgres(url, { max: 5 });
    drop = async () => {
      const again = new pg.Client({ connectionString: adminUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    };
  } else {
    warehouse = await openPGlite();
  }
  if (options.migrate !== false) await migrate(warehouse.db);
  return {
    ...warehouse,
    url,
    async dispose() {
      await warehouse.close();
      await drop?.();
    },
  };
}
