import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestWorkload, forecastWorkload, workloadBacktestSchema, workloadForecastSchema } from '../src/forecast/forecast-workload.js';
import {
  countClosuresBetween,
  countOpenAt,
  getCreatedRange,
  getDailyCreatedCounts,
  getDailyCreatedCountsByType,
} from '../src/warehouse/workload.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, FIXTURE_TIME_ZONE as timeZone, insertFixtureTickets } from './helpers/ticket-fixtures.js';

describe.each(engines)('workload repository and forecast ($name)', ({ name }) => {
  let warehouse: TestWarehouse;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, [
      // 23:30 on the spring-forward day is 03:30 UTC the next day: still the city's 2023-03-12.
      { ticketId: 'R1', requestType: 'Road Repair', createdAt: cityTime('2023-03-12 23:30'), closedAt: cityTime('2023-03-13 10:00') },
      { ticketId: 'R2', requestType: 'Road Repair', createdAt: cityTime('2023-03-13 00:15'), closedAt: cityTime('2023-03-20 10:00') },
      { ticketId: 'R3', requestType: 'Road Repair', createdAt: cityTime('2023-03-13 12:00') },
      { ticketId: 'S1', requestType: 'Streetlight/Lamp', createdAt: cityTime('2023-03-13 09:00'), closedAt: cityTime('2023-03-14 09:00') },
      // Fall back: 23:59 city time on 2023-11-05 is 04:59 UTC on the 6th.
      { ticketId: 'S2', requestType: 'Streetlight/Lamp', createdAt: cityTime('2023-11-05 23:59') },
    ]);
  });
  afterAll(async () => warehouse?.dispose());

  it('counts tickets per city day across both DST changes, overall and per type', async () => {
    const db = warehouse.db;
    expect(await getDailyCreatedCounts(db, { from: '2023-03-01', through: '2023-11-30', timeZone })).toEqual([
      { date: '2023-03-12', count: 1 },
      { date: '2023-03-13', count: 3 },
      { date: '2023-11-05', count: 1 },
    ]);
    expect(await getDailyCreatedCounts(db, { from: '2023-03-13', through: '2023-03-13', timeZone, typeKey: 'road_repair' })).toEqual([
      { date: '2023-03-13', count: 2 },
    ]);
    expect(await getDailyCreatedCountsByType(db, { from: '2023-03-12', through: '2023-03-13', timeZone })).toEqual([
      { typeKey: 'road_repair', displayName: 'Road Repair', date: '2023-03-12', count: 1 },
      { typeKey: 'road_repair', displayName: 'Road Repair', date: '2023-03-13', count: 2 },
      { typeKey: 'streetlight_lamp', displayName: 'Streetlight/Lamp', date: '2023-03-13', count: 1 },
    ]);
    const range = await getCreatedRange(db, timeZone);
    expect(range).toMatchObject({ tickets: 5, firstDay: '2023-03-12', lastDay: '2023-11-05' });
  });

  it('counts the open backlog at an instant and the closures of a range of city days', async () => {
    const db = warehouse.db;
    expect(await countOpenAt(db, cityTime('2023-03-14 00:00'))).toBe(3); // R2, R3, S1
    expect(await countOpenAt(db, cityTime('2023-03-14 00:00'), 'road_repair')).toBe(2);
    expect(await countOpenAt(db, cityTime('2023-12-01 00:00'))).toBe(2); // R3, S2
    expect(await countClosuresBetween(db, { from: '2023-03-13', through: '2023-03-14', timeZone })).toBe(2); // R1, S1
    expect(await countClosuresBetween(db, { from: '2023-03-01', through: '2023-03-31', timeZone, typeKey: 'road_repair' })).toBe(2);
  });

  it("forecasts from the warehouse's last event and says the data is stale", async () => {
    const result = await forecastWorkload(warehouse.db, { timeZone, now: new Date('2024-01-15T12:00:00Z') });
    expect(workloadForecastSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({ as_of: '2023-11-05', data_through: '2023-11-05', stale: true, horizon_days: 7 });
    expect(result.notice).toContain('The data ends 2023-11-05');
    expect(result.horizon.map((day) => day.date)).toEqual([
      '2023-11-06',
      '2023-11-07',
      '2023-11-08',
      '2023-11-09',
      '2023-11-10',
      '2023-11-11',
      '2023-11-12',
    ]);
    expect(result.horizon[0]!.weekday).toBe('Monday');
    expect(result.backlog.open).toBe(2);
    expect(result.closures_needed_per_day).toBeCloseTo(result.expected_total / 7, 1);
    expect(result.by_type.map((type) => type.type_key)).toEqual(['streetlight_lamp', 'road_repair']);
    const fresh = await forecastWorkload(warehouse.db, {
      timeZone,
      now: new Date('2023-11-06T15:00:00Z'),
      typeKey: 'road_repair',
      asOf: '2023-03-13',
    });
    expect(fresh).toMatchObject({
      as_of: '2023-03-13',
      stale: false,
      request_type: { type_key: 'road_repair' },
      by_type: [],
      backlog: { open: 2 },
    });
    expect(fresh.horizon[0]).toMatchObject({ date: '2023-03-14' });
    await expect(forecastWorkload(warehouse.db, { timeZone, asOf: '2023-02-30' })).rejects.toThrow(/as-of must be a date/);
  });

  it('backtests every 7 days over the history, 7 points an origin', async () => {
    const result = await backtestWorkload(warehouse.db, { timeZone, now: new Date('2024-01-15T12:00:00Z') });
    expect(workloadBacktestSchema.parse(result)).toEqual(result);
    expect(result.origins).toBeGreaterThan(0);
    expect(result.points).toBe(result.origins * 7);
  });

  // Last: it changes the tickets.
  it('reuses a forecast while the data is unchanged, and computes it again once tickets arrive or a write changes old ones', async () => {
    const db = warehouse.db;
    const options = { timeZone, now: new Date('2024-01-15T12:00:00Z') };
    const first = await forecastWorkload(db, options);
    const kept = structuredClone(first);
    // What a caller does with its copy does not reach the next caller.
    first.by_type[0]!.horizon[0]!.expected = -1;
    first.horizon.length = 0;
    expect(await forecastWorkload(db, options)).toEqual(kept);

    // A new ticket, after the last one: the origin and the backlog move.
    await insertFixtureTickets(db, [{ ticketId: 'S3', requestType: 'Streetlight/Lamp', createdAt: cityTime('2023-11-06 08:00') }]);
    const arrived = await forecastWorkload(db, options);
    expect(arrived.as_of).toBe('2023-11-06');
    expect(arrived.backlog.open).toBe(kept.backlog.open + 1);

    // A write that reopens an old ticket moves no last event, but it moves the warehouse's version.
    await db.updateTable('fact_ticket').set({ closed_at: null, is_open: true }).where('ticket_id', '=', 'R1').execute();
    expect((await forecastWorkload(db, options)).backlog.open).toBe(arrived.backlog.open + 1);
  });
});

describe('forecast of an empty warehouse', () => {
  it('answers zeros and says the warehouse is empty', async () => {
    const warehouse = await createTestWarehouse('pglite');
    try {
      const result = await forecastWorkload(warehouse.db, { timeZone, now: new Date('2024-01-15T12:00:00Z') });
      expect(result).toMatchObject({
        as_of: '2024-01-14',
        data_through: null,
        stale: true,
        expected_total: 0,
        by_type: [],
        backlog: { open: 0 },
      });
      expect(result.model.method).toBe('no-history');
      expect(result.notice).toContain('empty');
      expect((await backtestWorkload(warehouse.db, { timeZone })).origins).toBe(0);
    } finally {
      await warehouse.dispose();
    }
  });
});
