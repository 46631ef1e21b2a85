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
