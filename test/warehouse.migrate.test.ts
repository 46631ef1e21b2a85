import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { migrate } from '../src/warehouse/migrate.js';

describe.each(engines)('migrations on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name, { migrate: false });
  });
  afterAll(async () => warehouse?.dispose());

  it('applies every migration once and is a no-op the second time', async () => {
    const first = await migrate(warehouse.db);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.applied[0]).toBe('001_warehouse');
    const second = await migrate(warehouse.db);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(warehouse.db);
    const names = tables.rows.map((row) => row.table_name);
    for (const table of ['fact_ticket', 'raw_ticket', 'ingest_run', 'ingest_quarantine', 'dim_request_type', 'dim_date']) {
      expect(names).toContain(table);
    }
  });

  it('returns numbers, dates as text and timestamps as Date on this engine', async () => {
    const row = await sql<{ big: number; num: number; day: string; at: Date }>`
      select 9007199254740::int8 as big, 1.5::numeric as num, date '2024-03-10' as day,
             timestamptz '2024-03-10T12:00:00Z' as at`.execute(warehouse.db);
    expect(row.rows[0]).toEqual({ big: 9007199254740, num: 1.5, day: '2024-03-10', at: new Date('2024-03-10T12:00:00Z') });
  });
});

describe('the embedded warehouse on disk', () => {
  it('refuses a second process while one has it open, and frees it on close', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const { openPGlite } = await import('../src/warehouse/database.js');
    const dir = join(mkdtempSync(join(tmpdir(), 'civicops-lock-')), 'pglite');
    const open = await openPGlite(dir);
    try {
      // Another process asking for the same folder is refused with a clear reason.
      const other = spawnSync(
        process.execPath,
        ['node_modules/vite-node/vite-node.mjs', 'test/helpers/open-warehouse-child.ts', '--', dir],
        { encoding: 'utf8' },
      );
      expect(other.status).toBe(3);
      expect(other.stderr).toContain(`is in use by process ${process.pid}`);
    } finally {
      await open.close();
    }
    const again = await openPGlite(dir);
    await again.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
