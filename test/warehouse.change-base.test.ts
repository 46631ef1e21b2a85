import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { compactWarehouseChanges, readWarehouseVersion, WAREHOUSE_CHANGES_KEPT } from '../src/warehouse/warehouse-version.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

describe.each(engines)('folding old warehouse changes (migration 020) on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterAll(async () => warehouse?.dispose());

  it('keeps the version the same number, keeps counting writes after it, and leaves the newest rows', async () => {
    // Many committed writes, as a few weeks of ingests leave.
    await sql`insert into warehouse_change (table_name) select 'fact_ticket' from generate_series(1, ${WAREHOUSE_CHANGES_KEPT + 250})`.execute(
      warehouse.db,
    );
    const before = await readWarehouseVersion(warehouse.db);
    expect(await compactWarehouseChanges(warehouse.db)).toBeGreaterThanOrEqual(250);
    expect(await readWarehouseVersion(warehouse.db)).toBe(before);
    const left = await sql<{ rows: number }>`select count(*) as rows from warehouse_change`.execute(warehouse.db);
    expect(Number(left.rows[0]!.rows)).toBe(WAREHOUSE_CHANGES_KEPT);
    // Nothing more to fold; a write after folding moves the version on.
    expect(await compactWarehouseChanges(warehouse.db)).toBe(0);
    await setSlaHours(warehouse.db, 'road_repair', 48);
    expect(await readWarehouseVersion(warehouse.db)).toBeGreaterThan(before);
  });
});
