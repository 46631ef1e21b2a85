import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBacklogSeries } from '../src/warehouse/dashboard.repository.js';
import { effectiveCloseSql } from '../src/warehouse/sql-fragments.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, FIXTURE_TIME_ZONE, generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';

describe.each(engines)('the backlog series on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    // Two months around the March DST change, with open, archived, late and flagged tickets.
    await insertFixtureTickets(warehouse.db, generateFixtureTickets({ count: 800, start: cityTime('2024-02-01'), days: 60, seed: 11 }));
  });
  afterAll(async () => warehouse?.dispose());

  /** The definition, one count per instant: created before it and not (effectively) closed by it. */
  async function openAt(at: Date, typeKey?: string, district?: string): Promise<number> {
    const typeFilter = typeKey === undefined ? sql`` : sql`and f.type_key = ${typeKey}`;
    const districtFilter = district === undefined ? sql`` : sql`and lower(trim(f.commission_district)) = ${district}`;
    const result = await sql<{ n: number }>`
      select count(*) as n from fact_ticket f
      where f.created_at < ${at} and (${effectiveCloseSql} is null or ${effectiveCloseSql} >= ${at}) ${typeFilter} ${districtFilter}`.execute(
      warehouse.db,
    );
    return Number(result.rows[0]!.n);
  }

  it.each([
    { label: 'every ticket', typeKey: undefined, district: undefined },
    { label: 'one type', typeKey: 'road_repair', district: undefined },
    { label: 'one district', typeKey: undefined, district: '2' },
  ])('equals a count per day for $label, across DST and a cap inside the window', async ({ typeKey, district }) => {
    const cap = cityTime('2024-03-20 13:30');
    const points = await getBacklogSeries(warehouse.db, {
      firstDay: '2024-02-20',
      lastDay: '2024-03-25',
      timeZone: FIXTURE_TIME_ZONE,
      cap,
      typeKey,
      district,
    });
    expect(points).toHaveLength(35);
    expect(points[0]!.date).toBe('2024-02-20');
    for (const point of points) {
      expect(point.open, `${point.date} at ${point.at.toISOString()}`).toBe(await openAt(point.at, typeKey, district));
    }
    expect(points.at(-1)!.at.getTime()).toBe(cap.getTime());
    // Spring forward: the end of 2024-03-10 is 04:00Z (EDT), the day before ends at 05:00Z (EST).
    expect(points.find((point) => point.date === '2024-03-09')!.at.toISOString()).toBe('2024-03-10T05:00:00.000Z');
    expect(points.find((point) => point.date === '2024-03-10')!.at.toISOString()).toBe('2024-03-11T04:00:00.000Z');
  });

  it('counts every day at the cap when the cap comes before the window', async () => {
    const cap = cityTime('2024-02-25 09:15');
    const points = await getBacklogSeries(warehouse.db, {
      firstDay: '2024-03-01',
      lastDay: '2024-03-05',
      timeZone: FIXTURE_TIME_ZONE,
      cap,
    });
    const open = await openAt(cap);
    expect(open).toBeGreaterThan(0);
    expect(points.map((point) => [point.at.getTime(), point.open])).toEqual(points.map(() => [cap.getTime(), open]));
  });
});
