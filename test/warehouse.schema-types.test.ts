import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warehouseColumns } from '../src/warehouse/schema-columns.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';

type Description = Readonly<Record<string, readonly string[]>>;

/** Every table and column present on one side only, as lines a person can read. */
function diffDescriptions(declared: Description, migrated: Description): string[] {
  const problems: string[] = [];
  const tables = [...new Set([...Object.keys(declared), ...Object.keys(migrated)])].sort();
  for (const table of tables) {
    const inTypes = declared[table];
    const inDatabase = migrated[table];
    if (!inTypes) problems.push(`table ${table} is in the database but not in WarehouseSchema`);
    else if (!inDatabase) problems.push(`table ${table} is in WarehouseSchema but not in the database`);
    else {
      for (const column of inDatabase)
        if (!inTypes.includes(column)) problems.push(`column ${table}.${column} is in the database but not in WarehouseSchema`);
      for (const column of inTypes)
        if (!inDatabase.includes(column)) problems.push(`column ${table}.${column} is in WarehouseSchema but not in the database`);
    }
  }
  return problems;
}

describe.each(engines)('WarehouseSchema matches the migrated database ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let migrated: Record<string, string[]>;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' order by table_name, ordinal_position`.execute(warehouse.db);
    migrated = {};
    for (const row of rows) {
      migrated[row.table_name] ??= [];
      migrated[row.table_name].push(row.column_name);
    }
  });
  afterAll(async () => warehouse?.dispose());

  it('every table and column of the migrations is declared, and nothing else', () => {
    expect(Object.keys(migrated).length).toBeGreaterThan(0);
    expect(diffDescriptions(warehouseColumns, migrated)).toEqual([]);
  });

  it('a description that drifted from the database is reported, table by table and column by column', () => {
    const { job_run: _dropped, ...withoutJobRun } = warehouseColumns;
    const drifted: Description = {
      ...withoutJobRun,
      fact_ticket: warehouseColumns.fact_ticket.filter((column) => column !== 'archived_at'),
      digest_post: [...warehouseColumns.digest_post, 'message_ts'],
      ghost_table: ['id'],
    };
    expect(diffDescriptions(drifted, migrated)).toEqual([
      'column digest_post.message_ts is in WarehouseSchema but not in the database',
      'column fact_ticket.archived_at is in the database but not in WarehouseSchema',
      'table ghost_table is in WarehouseSchema but not in the database',
      'table job_run is in the database but not in WarehouseSchema',
    ]);
  });
});
