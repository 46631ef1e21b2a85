import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createLogger } from '../src/shared/logger.js';
import { getSlaReport } from '../src/warehouse/sla-report.repository.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime } from './helpers/ticket-fixtures.js';

const file = new URL('../db/example_queries.sql', import.meta.url);

/** The statements of the analysts' file (comments dropped, split at semicolons ending a line). */
async function readStatements(): Promise<string[]> {
  const text = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return text
    .split(/;\s*\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

describe.each(engines)('db/example_queries.sql on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const rows = await readSodaSnapshot(bundledSnapshotPath);
    await ingestRows({ db: warehouse.db, logger: createLogger({ level: 'silent' }), timeZone: 'America/New_York' }, rows, {
      source: 'file:test',
    });
  });
  afterAll(async () => warehouse?.dispose());

  it('runs every query', async () => {
    const statements = await readStatements();
    expect(statements).toHaveLength(6);
    for (const statement of statements) {
      const result = await sql.raw(statement).execute(warehouse.db);
      expect(result.rows.length).toBeGreaterThan(0);
    }
  });

  it('gives the same counts and percentiles as the application for the busiest type', async () => {
    const [, attainment] = await readStatements();
    const result = await sql
      .raw<{ display_name: string; period: string; tickets: number; met: number; breached: number; p50_hours: number | null }>(attainment)
      .execute(warehouse.db);
    const current = result.rows.filter((r) => r.period === 'current').sort((a, b) => b.tickets - a.tickets);
    expect(current.length).toBeGreaterThan(0);
    const row = current[0];
    const type = await warehouse.db
      .selectFrom('dim_request_type')
      .select('type_key')
      .where('display_name', '=', row.display_name)
      .executeTakeFirstOrThrow();
    const report = await getSlaReport(warehouse.db, {
      typeKey: type.type_key,
      since: cityTime('2023-04-01'),
      until: cityTime('2023-07-01'),
      now: cityTime('2023-07-10'),
      slaHours: 72,
      timeZone: 'America/New_York',
    });
    expect(row.tickets).toBeGreaterThan(3);
    expect(row).toMatchObject({ tickets: report.current.tickets, met: report.current.metSla, breached: report.current.breached });
    expect(row.p50_hours).not.toBeNull();
    expect(row.p50_hours!).toBeCloseTo(report.current.p50HoursToClose!, 1);
  });
});
