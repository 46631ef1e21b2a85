import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeSurge, poissonUpperTail } from '../src/analytics/surge-rule.js';
import { selectWorstTypes } from '../src/analytics/worst-types.js';
import { loadSlaPolicy, setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { getSlaReport, listTypeReports } from '../src/warehouse/sla-report.repository.js';
import { assessTypeSurges, findSurgingTypes } from '../src/warehouse/surge.repository.js';
import { getBacklogAt, getDailyVolume, getWeeklyVolume } from '../src/warehouse/volume.repository.js';
import { UnknownRequestTypeError } from '../src/shared/errors.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, FIXTURE_TIME_ZONE, type FixtureTicket } from './helpers/ticket-fixtures.js';

const tz = FIXTURE_TIME_ZONE;
const H = 3_600_000;

/*
 * Hand-computable fixture. Window: Mon 2024-03-04 .. Mon 2024-03-18 (city time), previous period
 * 2024-02-19 .. 2024-03-04, judged as of 2024-03-20 12:00. Road Repair SLA 72 h (default),
 * Streetlight/Lamp 24 h (override).
 */
const road = 'Road Repair';
const light = 'Streetlight/Lamp';
const fixture: FixtureTicket[] = [
  // Current period, Road Repair
  { ticketId: 'R1', requestType: road, createdAt: cityTime('2024-03-04 09:00'), closedAt: cityTime('2024-03-05 09:00') }, // 24 h met
  { ticketId: 'R2', requestType: road, createdAt: cityTime('2024-03-05 10:00'), closedAt: cityTime('2024-03-09 10:00') }, // 96 h breached
  { ticketId: 'R3', requestType: road, createdAt: cityTime('2024-03-06 08:00') }, // open, 14 days old: breached
  { ticketId: 'R4', requestType: road, createdAt: cityTime('2024-03-11 09:00'), closedAt: cityTime('2024-03-12 21:00') }, // 36 h met
  {
    ticketId: 'R5',
    requestType: road,
    createdAt: cityTime('2024-03-12 09:00'),
    status: 'Archived',
    isOpen: false,
    lastUpdatedAt: cityTime('2024-03-13 09:00'),
  }, // archived, no close date: unknown
  { ticketId: 'R6', requestType: road, createdAt: cityTime('2024-03-13 09:00'), closedAt: cityTime('2024-03-12 09:00') }, // negative: unknown
  { ticketId: 'R7', requestType: road, createdAt: cityTime('2024-03-17 20:00') }, // open, 64 h old at now: pending
  { ticketId: 'R8', requestType: road, createdAt: cityTime('2024-03-14 09:00'), closedAt: cityTime('2024-03-21 09:00') }, // closes after now: open 6 d, breached
  // Current period, Streetlight (SLA 24 h)
  { ticketId: 'S1', requestType: light, createdAt: cityTime('2024-03-05 09:00'), closedAt: cityTime('2024-03-06 21:00') }, // 36 h breached
  { ticketId: 'S2', requestType: light, createdAt: cityTime('2024-03-07 21:30'), closedAt: cityTime('2024-03-08 07:30') }, // 10 h met; 02:30 UTC next day
  // Previous period, Road Repair
  { ticketId: 'P1', requestType: road, createdAt: cityTime('2024-02-20 09:00'), closedAt: cityTime('2024-02-21 09:00') }, // 24 h met
  { ticketId: 'P2', requestType: road, createdAt: cityTime('2024-02-21 09:00'), closedAt: cityTime('2024-02-22 21:00') }, // 36 h met
  { ticketId: 'P3', requestType: road, createdAt: cityTime('2024-02-26 09:00'), closedAt: cityTime('2024-03-01 09:00') }, // 96 h breached
  // Older ticket: open at the start of the window, closed during it (backlog only)
  { ticketId: 'O1', requestType: road, createdAt: cityTime('2024-01-10 09:00'), closedAt: cityTime('2024-03-06 09:00') },
];

const window = {
  since: cityTime('2024-03-04 00:00'),
  until: cityTime('2024-03-18 00:00'),
  now: cityTime('2024-03-20 12:00'),
  slaHours: 72,
  timeZone: tz,
};

describe.each(engines)('SLA analytics on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, fixture);
    await setSlaHours(warehouse.db, 'streetlight_lamp', 24, 'test override');
  });
  afterAll(async () => warehouse?.dispose());

  it('reads the default SLA from the table and per-type overrides', async () => {
    const policy = await loadSlaPolicy(warehouse.db, 48);
    expect(policy.defaultHours).toBe(72);
    expect(policy.defaultSource).toBe('table');
    expect(policy.overrides.get('streetlight_lamp')).toBe(24);
  });

  it('counts attainment over known outcomes only, judging open and late-closing tickets as of now', async () => {
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'road_repair' });
    expect(report.displayName).toBe('Road Repair');
    expect(report.slaHours).toBe(72);
    expect(report.current.tickets).toBe(8);
    expect(report.current.metSla).toBe(2); // R1, R4
    expect(report.current.breached).toBe(3); // R2, R3 (open), R8 (closes after now)
    expect(report.current.withKnownOutcome).toBe(5);
    expect(report.current.attainment).toBeCloseTo(0.4, 10);
  });

  it('computes P50/P90 hours to close from tickets closed by now with trusted durations', async () => {
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'road_repair' });
    // Closed by now, unflagged: 24, 96, 36 hours.
    expect(report.current.p50HoursToClose).toBeCloseTo(36, 9);
    expect(report.current.p90HoursToClose).toBeCloseTo(36 + 0.8 * 60, 9);
  });

  it('compares against the previous period of equal length', async () => {
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'road_repair' });
    // Equal length in city days (issue #13): the window holds the spring-forward night, and the
    // previous one still starts at midnight, 14 city days earlier (it used to start at 01:00).
    expect(report.previous.since.toISOString()).toBe(cityTime('2024-02-19 00:00').toISOString());
    expect(report.previous.until.toISOString()).toBe(window.since.toISOString());
    expect(report.previous.tickets).toBe(3);
    expect(report.previous.attainment).toBeCloseTo(2 / 3, 10);
    expect(report.trends.attainment.change).toBeCloseTo(0.4 - 2 / 3, 10);
    expect(report.trends.tickets).toMatchObject({ current: 8, previous: 3, change: 5 });
    expect(report.trends.tickets.relativeChange).toBeCloseTo(5 / 3, 10);
    expect(report.trends.p50HoursToClose.previous).toBeCloseTo(36, 9);
  });

  it('counts the backlog at the end of each period, archived tickets leaving it at their archival', async () => {
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'road_repair' });
    // At 2024-03-18: R3, R7 open, R8 closes on the 21st. R5 left at its archival, R6 never counted.
    expect(report.current.backlog).toBe(3);
    // At 2024-03-04: only O1 (closed on the 6th).
    expect(report.previous.backlog).toBe(1);
    expect(report.trends.backlog.change).toBe(2);
    const backlog = await getBacklogAt(warehouse.db, cityTime('2024-03-13 12:00'));
    // R3, R6? no (closed before it was created), R4 closed the 12th, R5 archived the 13th 09:00; O1 closed.
    expect(backlog.byType).toEqual([{ typeKey: 'road_repair', displayName: 'Road Repair', open: 1 }]);
  });

  it('applies the per-type SLA override', async () => {
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'streetlight_lamp' });
    expect(report.slaHours).toBe(24);
    expect(report.current).toMatchObject({ tickets: 2, metSla: 1, breached: 1, attainment: 0.5 });
  });

  it('reports all types together and each type worst first', async () => {
    const all = await getSlaReport(warehouse.db, window);
    expect(all.scopeTypeKey).toBeNull();
    expect(all.current).toMatchObject({ tickets: 10, metSla: 3, breached: 4 });
    const types = await listTypeReports(warehouse.db, window);
    expect(types.map((type) => type.typeKey)).toEqual(['road_repair', 'streetlight_lamp']);
    expect(types[0].current.attainment).toBeCloseTo(0.4, 10);
    expect(selectWorstTypes(types, 5, 3).map((type) => type.typeKey)).toEqual(['road_repair']);
  });

  it('counts weekly volume in city-local Monday weeks with weekly attainment', async () => {
    const weeks = await getWeeklyVolume(warehouse.db, { ...window, typeKey: 'road_repair' });
    expect(weeks).toEqual([
      { weekStart: '2024-03-04', count: 3, attainment: 1 / 3, partial: false },
      { weekStart: '2024-03-11', count: 5, attainment: 1 / 2, partial: false },
    ]);
    const all = await getWeeklyVolume(warehouse.db, window);
    expect(all.map((week) => week.count)).toEqual([5, 5]);
  });

  it('builds a dense daily series with rolling 7-day counts that reach back before the window', async () => {
    const days = await getDailyVolume(warehouse.db, { ...window, typeKey: 'road_repair' });
    expect(days).toHaveLength(14);
    expect(days[0]).toEqual({ date: '2024-03-04', count: 1, rolling7dCount: 1 });
    const byDate = new Map(days.map((day) => [day.date, day]));
    expect(byDate.get('2024-03-06')?.rolling7dCount).toBe(3);
    expect(byDate.get('2024-03-14')).toEqual({ date: '2024-03-14', count: 1, rolling7dCount: 4 });
    expect(byDate.get('2024-03-17')).toEqual({ date: '2024-03-17', count: 1, rolling7dCount: 5 });
    expect(byDate.get('2024-03-09')?.count).toBe(0);
    // The rolling window of the first day includes 2024-02-27..03-03 (nothing there; P3 is on 02-26).
    const wider = await getDailyVolume(warehouse.db, {
      since: cityTime('2024-03-01 00:00'),
      until: cityTime('2024-03-02 00:00'),
      timeZone: tz,
    });
    expect(wider).toEqual([{ date: '2024-03-01', count: 0, rolling7dCount: 1 }]);
  });

  it('puts a ticket created late in the city evening on its city-local day, not its UTC day', async () => {
    const days = await getDailyVolume(warehouse.db, { ...window, typeKey: 'streetlight_lamp' });
    const byDate = new Map(days.map((day) => [day.date, day.count]));
    expect(byDate.get('2024-03-07')).toBe(1);
    expect(byDate.get('2024-03-08')).toBe(0);
  });

  it('rejects an unknown type and an empty window', async () => {
    await expect(getSlaReport(warehouse.db, { ...window, typeKey: 'nope' })).rejects.toBeInstanceOf(UnknownRequestTypeError);
    await expect(getSlaReport(warehouse.db, { ...window, until: window.since })).rejects.toThrow(/window is empty/);
  });

  it('returns empty periods, not errors, for a window without tickets', async () => {
    const report = await getSlaReport(warehouse.db, {
      ...window,
      since: cityTime('2030-01-01'),
      until: cityTime('2030-01-08'),
      now: cityTime('2030-01-08'),
    });
    expect(report.current).toMatchObject({ tickets: 0, withKnownOutcome: 0, attainment: null, p50HoursToClose: null });
    expect(report.trends.attainment.change).toBeNull();
  });

  // Last: it re-ingests R5 (its numbers stay the same, which is the point).
  it('keeps backlog counts when the city later edits an archived ticket (last update bumped)', async () => {
    const r5 = fixture.find((ticket) => ticket.ticketId === 'R5')!;
    await insertFixtureTickets(warehouse.db, [{ ...r5, lastUpdatedAt: cityTime('2024-03-19 09:00') }]);
    const stored = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['last_updated_at', 'archived_at'])
      .where('ticket_id', '=', 'R5')
      .executeTakeFirstOrThrow();
    expect(stored.last_updated_at?.getTime()).toBe(cityTime('2024-03-19 09:00').getTime());
    expect(stored.archived_at?.getTime()).toBe(cityTime('2024-03-13 09:00').getTime());
    const report = await getSlaReport(warehouse.db, { ...window, typeKey: 'road_repair' });
    expect(report.current.backlog).toBe(3); // R5 would be back in it if its last update counted
    expect(report.previous.backlog).toBe(1);
    const backlog = await getBacklogAt(warehouse.db, cityTime('2024-03-13 12:00'));
    expect(backlog.byType).toEqual([{ typeKey: 'road_repair', displayName: 'Road Repair', open: 1 }]);
  });
});

describe.each(engines)('surge detection on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  const now = cityTime('2024-06-03 08:00');
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const tickets: FixtureTicket[] = [];
    let id = 0;
    const add = (type: string, count: number, fromDaysAgo: number, toDaysAgo: number) => {
      for (let i = 0; i < count; i++) {
        const daysAgo = fromDaysAgo - ((fromDaysAgo - toDaysAgo) * (i + 0.5)) / count;
        tickets.push({ ticketId: `G${id++}`, requestType: type, createdAt: new Date(now.getTime() - daysAgo * 24 * H) });
      }
    };
    add('Graffiti', 8, 63, 7); // 1 a week for 8 weeks...
    add('Graffiti', 12, 7, 0); // ...then 12 in one week: surge
    add('Noise Complaint', 80, 63, 7); // 10 a week...
    add('Noise Complaint', 13, 7, 0); // ...13 this week: ordinary
    add('Mosquito Control', 6, 7, 0); // new but below the minimum count
    await insertFixtureTickets(warehouse.db, tickets);
  });
  afterAll(async () => warehouse?.dispose());

  it('flags a type far above its 8-week weekly rate and nothing else', async () => {
    const surging = await findSurgingTypes(warehouse.db, { now });
    expect(surging.map((type) => type.typeKey)).toEqual(['graffiti']);
    expect(surging[0]).toMatchObject({ displayName: 'Graffiti', last7Days: 12, weeklyMean: 1, ratio: 12 });
    expect(surging[0].pValue).toBeLessThan(1e-6);
    const all = await assessTypeSurges(warehouse.db, { now });
    const noise = all.find((type) => type.typeKey === 'noise_complaint');
    expect(noise).toMatchObject({ last7Days: 13, weeklyMean: 10, surging: false });
    expect(all.find((type) => type.typeKey === 'mosquito_control')?.surging).toBe(false);
  });
});

describe('surge rule and Poisson tail', () => {
  it('matches known Poisson tail values', () => {
    expect(poissonUpperTail(0, 3)).toBe(1);
    expect(poissonUpperTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    // P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2)
    expect(poissonUpperTail(3, 1)).toBeCloseTo(1 - Math.exp(-1) * 2.5, 12);
    expect(poissonUpperTail(400, 100)).toBeGreaterThan(0);
    expect(poissonUpperTail(400, 100)).toBeLessThan(1e-60);
  });

  it('needs the minimum count, the ratio and the p-value together', () => {
    const base = { typeKey: 'x', displayName: 'X' };
    expect(judgeSurge({ ...base, last7Days: 9, weeklyMean: 0 }).surging).toBe(false);
    expect(judgeSurge({ ...base, last7Days: 10, weeklyMean: 0 }).surging).toBe(true);
    expect(judgeSurge({ ...base, last7Days: 30, weeklyMean: 16 }).surging).toBe(false); // ratio < 2
    expect(judgeSurge({ ...base, last7Days: 40, weeklyMean: 16 }).surging).toBe(true);
  });
});
