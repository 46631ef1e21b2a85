import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backlogInstant } from '../src/analytics/report-window.js';
import { loadConfig } from '../src/config/config.js';
import { buildFilters } from '../src/dashboard/build-filters.js';
import { createScorer } from '../src/model/score-ticket.js';
import { createLogger } from '../src/shared/logger.js';
import { setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { getSlaPeriods, getSlaReport, type SlaPeriodBounds } from '../src/warehouse/sla-report.repository.js';
import { readWarehouseVersion } from '../src/warehouse/warehouse-version.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, FIXTURE_TIME_ZONE, generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';

const timeZone = FIXTURE_TIME_ZONE;
const slaHours = 72;
const DAY_MS = 86_400_000;
const start = cityTime('2024-03-01');
// Three 10-day periods, newest first as the summary asks; the last one ends after the clocks below.
const periods: SlaPeriodBounds[] = [20, 10, 0].map((offset) => {
  const since = new Date(start.getTime() + offset * DAY_MS);
  return { since, until: new Date(since.getTime() + 10 * DAY_MS), backlogAt: since };
});

/** The periods as the summary reads them at `now`, each backlog counted where the report counts it. */
function periodsAt(now: Date): SlaPeriodBounds[] {
  return periods.map((period) => ({ ...period, backlogAt: backlogInstant({ ...period, now }) }));
}

describe.each(engines)('figures kept between dashboard requests ($name)', ({ name }) => {
  let warehouse: TestWarehouse;

  /** Each period exactly as `civicops report` counts it (getSlaReport's current period). */
  async function reportedAt(now: Date) {
    return Promise.all(periods.map(async (period) => (await getSlaReport(warehouse.db, { ...period, now, slaHours, timeZone })).current));
  }

  async function expectSummaryMatchesReportAt(now: Date) {
    const kept = await getSlaPeriods(warehouse.db, { periods: periodsAt(now), now, slaHours, timeZone });
    expect(kept).toEqual(await reportedAt(now));
    return kept;
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    // Tickets over the 30 days, many closing (or falling due) after the first clock below.
    await insertFixtureTickets(warehouse.db, generateFixtureTickets({ count: 900, start, days: 30, seed: 12 }));
    // Falls due at 10:00:30 on March 25; every fixture close is on a whole minute.
    await insertFixtureTickets(warehouse.db, [
      { ticketId: 'DUE-1', requestType: 'Noise Complaint', createdAt: cityTime('2024-03-22 10:00:30') },
    ]);
  }, 120_000);
  afterAll(async () => warehouse?.dispose());

  it('every write to the facts, the SLA policy or the request types moves the warehouse version; reads do not', async () => {
    const before = await readWarehouseVersion(warehouse.db);
    await sql`select count(*) from fact_ticket`.execute(warehouse.db);
    expect(await readWarehouseVersion(warehouse.db)).toBe(before);
    await sql`update fact_ticket set description = description where ticket_id = 'T000001'`.execute(warehouse.db);
    const afterFacts = await readWarehouseVersion(warehouse.db);
    expect(afterFacts).toBeGreaterThan(before);
    await setSlaHours(warehouse.db, 'graffiti', 100);
    const afterPolicy = await readWarehouseVersion(warehouse.db);
    expect(afterPolicy).toBeGreaterThan(afterFacts);
    await sql`update dim_request_type set display_name = display_name where type_key = 'graffiti'`.execute(warehouse.db);
    expect(await readWarehouseVersion(warehouse.db)).toBeGreaterThan(afterPolicy);
  });

  it('the periods agree with the report while the clock passes closes and deadlines, also back in time', async () => {
    const first = cityTime('2024-03-24 09:00');
    const atFirst = await expectSummaryMatchesReportAt(first);
    // Two days later: tickets closed meanwhile and open ones past their deadline change the figures.
    const later = await expectSummaryMatchesReportAt(new Date(first.getTime() + 2 * DAY_MS));
    expect(later.map((period) => [period.metSla, period.breached, period.p90HoursToClose])).not.toEqual(
      atFirst.map((period) => [period.metSla, period.breached, period.p90HoursToClose]),
    );
    await expectSummaryMatchesReportAt(new Date(first.getTime() + 2 * DAY_MS + 60_000));
    // A clock before the one the kept part was computed at.
    await expectSummaryMatchesReportAt(new Date(first.getTime() + DAY_MS));
    await expectSummaryMatchesReportAt(first);
  });

  it('an open ticket falling due between two requests with no close between them counts as breached in the second', async () => {
    const before = await expectSummaryMatchesReportAt(cityTime('2024-03-25 10:00:10'));
    const after = await expectSummaryMatchesReportAt(cityTime('2024-03-25 10:00:50'));
    expect(after[0]!.breached).toBe(before[0]!.breached + 1);
  });

  it('a re-ingested ticket and a changed SLA policy show in the next request', async () => {
    const now = cityTime('2024-03-27 12:00');
    const before = await expectSummaryMatchesReportAt(now);
    const open = await sql<{ ticket_id: string; type_key: string; request_type: string; created_at: Date }>`
      select ticket_id, type_key, request_type, created_at from fact_ticket
      where is_open and created_at >= ${periods[0]!.since} order by ticket_id limit 3`.execute(warehouse.db);
    expect(open.rows.length).toBe(3);
    await insertFixtureTickets(
      warehouse.db,
      open.rows.map((row) => ({
        ticketId: row.ticket_id,
        requestType: row.request_type,
        typeKey: row.type_key,
        createdAt: new Date(row.created_at),
        closedAt: new Date(new Date(row.created_at).getTime() + 3_600_000),
      })),
    );
    const afterClose = await expectSummaryMatchesReportAt(now);
    expect(afterClose[0]!.metSla).toBeGreaterThan(before[0]!.metSla);
    await setSlaHours(warehouse.db, '*', 24);
    const afterPolicy = await expectSummaryMatchesReportAt(now);
    expect(afterPolicy[0]!.breached).toBeGreaterThan(afterClose[0]!.breached);
  });

  it('the filter menus count tickets written after a first request', async () => {
    const logger = createLogger({ level: 'silent' });
    const config = loadConfig({});
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours, timeZone, risk: config.risk });
    const deps = { db: warehouse.db, config: { ...config, cityTimeZone: timeZone }, scorer, now: () => cityTime('2024-03-31 12:00') };
    const query = { since: '2024-03-01', until: '2024-03-30' };
    const totalOf = (filters: Awaited<ReturnType<typeof buildFilters>>) =>
      filters.request_types.reduce((sum, option) => sum + option.window_tickets, 0);
    const first = await buildFilters(deps, query);
    expect(await buildFilters(deps, query)).toEqual(first);
    await insertFixtureTickets(warehouse.db, [
      { ticketId: 'NEW-1', requestType: 'Pothole Repair', createdAt: cityTime('2024-03-15 10:00'), commissionDistrict: '9' },
    ]);
    const after = await buildFilters(deps, query);
    expect(totalOf(after)).toBe(totalOf(first) + 1);
    expect(after.request_types.find((option) => option.value === 'pothole_repair')?.window_tickets).toBe(1);
    expect(after.districts.find((option) => option.value === '9')?.total_tickets).toBe(1);
  });
});
