import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import {
  countAtRiskOpenTickets,
  DUE_SOON_HOURS,
  placeOnWorklist,
  rankWorklist,
  type WorklistStatusFilter,
} from '../src/analytics/worklist-ranking.js';
import { createFederalHolidayCalendar } from '../src/analytics/holiday-calendar.js';
import { DEFAULT_BUSINESS_HOURS } from '../src/analytics/sla-clock.js';
import { applySlaPolicy, findBusinessClockDueDates } from '../src/warehouse/sla-due.repository.js';
import {
  findOpenRiskInputs,
  findOpenTicketScores,
  findUnscoredOpenTickets,
  findWorklistPage,
  saveTicketScores,
} from '../src/warehouse/ticket-score.repository.js';
import { findLatestEventAt, findOpenTicketsAt } from '../src/warehouse/worklist.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, fixtureTypeKey, insertFixtureTickets, seededRandom } from './helpers/ticket-fixtures.js';

describe.each(engines)('open tickets for the worklist ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  const asOf = cityTime('2023-07-09 12:00');

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterAll(async () => warehouse?.dispose());

  it('an empty warehouse has no last event', async () => {
    expect(await findLatestEventAt(warehouse.db)).toBeNull();
  });

  describe('with tickets', () => {
    beforeAll(async () => {
      await insertFixtureTickets(warehouse.db, [
        { ticketId: 'OPEN-ROAD', requestType: 'Road Repair', createdAt: cityTime('2023-07-01 09:00'), commissionDistrict: 'District 2' },
        {
          ticketId: 'OPEN-LIGHT',
          requestType: 'Streetlight/Lamp',
          createdAt: cityTime('2023-07-08 10:00'),
          commissionDistrict: 'District 1',
        },
        // Closed after asOf: open then.
        {
          ticketId: 'CLOSED-LATER',
          requestType: 'Road Repair',
          createdAt: cityTime('2023-07-05 09:00'),
          closedAt: cityTime('2023-07-10 09:00'),
          commissionDistrict: 'District 2',
        },
        // Closed before asOf: not on the list.
        { ticketId: 'CLOSED', requestType: 'Road Repair', createdAt: cityTime('2023-07-02 09:00'), closedAt: cityTime('2023-07-03 09:00') },
        // Archived without a close date before asOf (archived_at = its last update): gone.
        {
          ticketId: 'ARCHIVED',
          requestType: 'Road Repair',
          createdAt: cityTime('2023-06-01 09:00'),
          status: 'Archived',
          lastUpdatedAt: cityTime('2023-06-20 09:00'),
        },
        // Archived after asOf: still open at asOf.
        {
          ticketId: 'ARCHIVED-LATER',
          requestType: 'Streetlight/Lamp',
          createdAt: cityTime('2023-06-01 09:00'),
          status: 'Archived',
          lastUpdatedAt: cityTime('2023-07-11 09:00'),
        },
        // Created after asOf: not yet.
        { ticketId: 'FUTURE', requestType: 'Road Repair', createdAt: cityTime('2023-07-09 12:01') },
        // Created exactly at asOf: open.
        { ticketId: 'AT-AS-OF', requestType: 'Road Repair', createdAt: asOf, commissionDistrict: 'District 2' },
        // A flagged (absurd) close date is not the warehouse's last event; like the backlog, the
        // ticket counts as open until that date.
        {
          ticketId: 'FLAGGED',
          requestType: 'Road Repair',
          createdAt: cityTime('2014-01-01 09:00'),
          closedAt: cityTime('2030-01-01 09:00'),
          durationFlag: 'implausible_duration',
        },
      ]);
      await warehouse.db
        .updateTable('fact_ticket')
        .set({ location_detail: '123 NW 1st Ave' })
        .where('ticket_id', '=', 'OPEN-ROAD')
        .execute();
      await setSlaHours(warehouse.db, 'streetlight_lamp', 24);
    });

    it('lists tickets created by the instant and not closed or archived by it, oldest first, with their type and SLA', async () => {
      const open = await findOpenTicketsAt(warehouse.db, { asOf, fallbackSlaHours: 72 });
      expect(open.map((ticket) => ticket.ticketId)).toEqual([
        'FLAGGED',
        'ARCHIVED-LATER',
        'OPEN-ROAD',
        'CLOSED-LATER',
        'OPEN-LIGHT',
        'AT-AS-OF',
      ]);
      expect(open[2]).toEqual({
        ticketId: 'OPEN-ROAD',
        typeKey: 'road_repair',
        requestType: 'Road Repair',
        status: 'Open',
        createdAt: cityTime('2023-07-01 09:00'),
        address: '123 NW 1st Ave',
        district: 'District 2',
        slaHours: 72,
      });
      expect(open.find((ticket) => ticket.ticketId === 'OPEN-LIGHT')).toMatchObject({
        requestType: 'Streetlight/Lamp',
        slaHours: 24,
        address: null,
      });
      expect(open[2].createdAt).toBeInstanceOf(Date);
    });

    it('filters by type key and by district (case and spaces ignored)', async () => {
      const roads = await findOpenTicketsAt(warehouse.db, { asOf, typeKey: 'road_repair', fallbackSlaHours: 72 });
      expect(roads.map((ticket) => ticket.ticketId)).toEqual(['FLAGGED', 'OPEN-ROAD', 'CLOSED-LATER', 'AT-AS-OF']);
      const district = await findOpenTicketsAt(warehouse.db, { asOf, district: ' district 1 ', fallbackSlaHours: 72 });
      expect(district.map((ticket) => ticket.ticketId)).toEqual(['OPEN-LIGHT']);
      const both = await findOpenTicketsAt(warehouse.db, {
        asOf,
        typeKey: 'streetlight_lamp',
        district: 'District 2',
        fallbackSlaHours: 72,
      });
      expect(both).toEqual([]);
    });

    it('uses the configured SLA only when sla_policy has no default row', async () => {
      await warehouse.db.deleteFrom('sla_policy').where('type_key', '=', '*').execute();
      try {
        const open = await findOpenTicketsAt(warehouse.db, { asOf, typeKey: 'road_repair', fallbackSlaHours: 48 });
        expect(open.every((ticket) => ticket.slaHours === 48)).toBe(true);
      } finally {
        await setSlaHours(warehouse.db, '*', 72);
      }
    });

    it('the scored and unscored open-ticket reads list exactly the tickets findOpenTicketsAt lists, at every instant and filter', async () => {
      const instants = [
        cityTime('2023-06-15 00:00'),
        cityTime('2023-07-02 12:00'),
        asOf,
        cityTime('2023-07-10 09:00'),
        cityTime('2023-07-10 09:00:00.001'),
        cityTime('2023-07-12 00:00'),
        cityTime('2031-01-01 00:00'),
      ];
      const filters = [
        {},
        { typeKey: 'road_repair' },
        { district: ' district 2 ' },
        { typeKey: 'streetlight_lamp', district: 'District 1' },
      ];
      let seen = 0;
      for (const at of instants) {
        for (const filter of filters) {
          const reference = (await findOpenTicketsAt(warehouse.db, { asOf: at, ...filter, fallbackSlaHours: 72 })).map(
            (ticket) => ticket.ticketId,
          );
          const scored = await findOpenTicketScores(warehouse.db, { asOf: at, ...filter, fallbackSlaHours: 72, modelVersion: 'none' });
          expect(scored.map((ticket) => ticket.ticketId).sort()).toEqual([...reference].sort());
          expect(scored.every((ticket) => ticket.probability === null)).toBe(true);
          seen += reference.length;
        }
        const unscored = await findUnscoredOpenTickets(warehouse.db, { asOf: at, modelVersion: 'none' });
        const reference = await findOpenTicketsAt(warehouse.db, { asOf: at, fallbackSlaHours: 72 });
        expect(unscored.map((ticket) => ticket.ticketId)).toEqual(reference.map((ticket) => ticket.ticketId));
      }
      // The instants cover the interesting cases, not only empty lists.
      expect(seen).toBeGreaterThan(20);
    });

    it('counts at-risk tickets from the read inputs exactly as the worklist classifies them, on a wall and a business clock', async () => {
      const instants = [cityTime('2023-07-02 12:00'), asOf, cityTime('2023-07-10 09:00'), cityTime('2023-07-12 00:00')];
      const filters = [{}, { typeKey: 'road_repair' }, { district: 'District 2' }];
      const rules = { mediumThreshold: 0.5, dueSoonHours: DUE_SOON_HOURS };
      // Scores either side of the threshold, by ticket id, for every ticket open at some instant.
      const probabilityOf = (ticketId: string) => (ticketId.length % 2 === 0 ? 0.7 : 0.2);
      const countBoth = async () => {
        for (const at of instants) {
          for (const filter of filters) {
            const open = await findOpenTicketScores(warehouse.db, { asOf: at, ...filter, fallbackSlaHours: 72, modelVersion: 'v-count' });
            const businessDue = await findBusinessClockDueDates(warehouse.db, open, 72);
            const expected = open.filter(
              (ticket) =>
                placeOnWorklist(
                  {
                    ticketId: ticket.ticketId,
                    createdAt: ticket.createdAt,
                    probability: ticket.probability ?? 0,
                    sla: { hours: ticket.slaHours, dueAt: businessDue.get(ticket.ticketId) },
                  },
                  at,
                  rules,
                ).slaStatus !== 'on_track',
            ).length;
            // Read from this instant, and from the earliest one: counted at any later instant, the same.
            for (const from of [at, instants[0]!]) {
              const inputs = await findOpenRiskInputs(warehouse.db, { from, ...filter, fallbackSlaHours: 72, modelVersion: 'v-count' });
              const counted = countAtRiskOpenTickets(inputs, at, rules);
              expect(counted, `${at.toISOString()} from ${from.toISOString()} ${JSON.stringify(filter)}`).toEqual({
                unscored: 0,
                atRisk: expected,
              });
            }
          }
        }
      };
      const everyOpen = await findOpenTicketScores(warehouse.db, {
        asOf: cityTime('2031-01-01 00:00'),
        fallbackSlaHours: 72,
        modelVersion: 'v-count',
      });
      const unscoredBefore = countAtRiskOpenTickets(
        await findOpenRiskInputs(warehouse.db, { from: asOf, fallbackSlaHours: 72, modelVersion: 'v-count' }),
        asOf,
        rules,
      );
      expect(unscoredBefore.unscored).toBeGreaterThan(0);
      const rows = await warehouse.db.selectFrom('fact_ticket').select(['ticket_id', 'created_at', 'type_key']).execute();
      await saveTicketScores(
        warehouse.db,
        'v-count',
        rows.map((row) => ({
          ticketId: row.ticket_id,
          createdAt: new Date(row.created_at),
          typeKey: row.type_key,
          probability: probabilityOf(row.ticket_id),
          riskLevel: 'Low' as const,
          topFactors: [],
        })),
      );
      expect(everyOpen.length).toBeGreaterThan(3);
      await countBoth();
      // Road Repair on business hours (08:00-17:00, weekdays): its stored deadlines move, and the SQL count follows them.
      await applySlaPolicy(
        warehouse.db,
        { fallbackHours: 72, clockContext: { timeZone: 'America/New_York', holidays: createFederalHolidayCalendar() } },
        { typeKey: 'road_repair', hours: 20, clock: { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS } },
      );
      await countBoth();
      await applySlaPolicy(
        warehouse.db,
        { fallbackHours: 72, clockContext: { timeZone: 'America/New_York', holidays: createFederalHolidayCalendar() } },
        { typeKey: 'road_repair', hours: 72, clock: { kind: 'wall' } },
      );
    });

    it('finds the last event: the latest creation, trusted close or archival', async () => {
      expect(await findLatestEventAt(warehouse.db)).toEqual(cityTime('2023-07-11 09:00'));
    });
  });
});

describe.each(engines)('the worklist page in SQL ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  const asOf = cityTime('2023-07-10 12:00');
  const types = ['Road Repair', 'Streetlight/Lamp', 'Noise Complaint'];
  const districts = ['District 1', 'District 2'];
  // Many equal probabilities and creation instants, so the deadline and then the id decide ties.
  const random = seededRandom(7);
  const tickets = Array.from({ length: 400 }, (_, index) => ({
    ticketId: `T-${String(Math.floor(random() * 1_000)).padStart(4, '0')}-${index}`,
    requestType: types[index % types.length]!,
    createdAt: new Date(asOf.getTime() - Math.floor(random() * 40) * 6 * 3_600_000),
    commissionDistrict: districts[Math.floor(random() * 2)]!,
    probability: Math.round(random() * 10) / 10,
  }));
  const rules = { mediumThreshold: 0.4, dueSoonHours: DUE_SOON_HOURS };

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, tickets);
    await setSlaHours(warehouse.db, 'streetlight_lamp', 24);
    await setSlaHours(warehouse.db, 'noise_complaint', 120);
  });
  afterAll(async () => warehouse?.dispose());

  /** rankWorklist over the same open tickets, read the way the JavaScript ranking reads them. */
  async function rankedInJavaScript(at: Date, filter: { typeKey?: string; district?: string }, status: WorklistStatusFilter) {
    const open = await findOpenTicketScores(warehouse.db, { asOf: at, ...filter, fallbackSlaHours: 72, modelVersion: 'v-page' });
    const businessDue = await findBusinessClockDueDates(warehouse.db, open, 72);
    return rankWorklist(
      open.map((ticket) => ({
        ticketId: ticket.ticketId,
        createdAt: ticket.createdAt,
        sla: { hours: ticket.slaHours, dueAt: businessDue.get(ticket.ticketId) },
        probability: ticket.probability!,
      })),
      { asOf: at, status, rules },
    );
  }

  it('counts the unscored tickets and leaves them off the page', async () => {
    const page = await findWorklistPage(warehouse.db, {
      asOf,
      fallbackSlaHours: 72,
      modelVersion: 'v-page',
      ...rules,
      status: 'all',
      limit: 10,
    });
    expect(page).toEqual({ unscored: 400, total: 0, tickets: [] });
  });

  it('ranks exactly as rankWorklist for every status, filter and limit, on a wall and a business clock', async () => {
    await saveTicketScores(
      warehouse.db,
      'v-page',
      tickets.map((ticket) => ({
        ticketId: ticket.ticketId,
        createdAt: ticket.createdAt,
        typeKey: fixtureTypeKey(ticket.requestType),
        probability: ticket.probability,
        riskLevel: 'Low' as const,
        topFactors: [],
      })),
    );
    const compare = async () => {
      let compared = 0;
      for (const at of [asOf, cityTime('2023-07-12 08:30')]) {
        for (const filter of [{}, { typeKey: 'road_repair' }, { district: 'district 2' }]) {
          for (const status of ['all', 'breached', 'at_risk'] as const) {
            const reference = await rankedInJavaScript(at, filter, status);
            for (const limit of [1, 25, 1_000]) {
              const page = await findWorklistPage(warehouse.db, {
                asOf: at,
                ...filter,
                fallbackSlaHours: 72,
                modelVersion: 'v-page',
                ...rules,
                status,
                limit,
              });
              const label = `${at.toISOString()} ${JSON.stringify(filter)} ${status} ${limit}`;
              expect(page.unscored, label).toBe(0);
              expect(page.total, label).toBe(reference.length);
              expect(page.tickets, label).toEqual(
                reference.slice(0, limit).map((entry) => ({
                  ticketId: entry.ticketId,
                  createdAt: entry.createdAt,
                  dueAt: entry.dueAt,
                  slaHours: entry.sla.hours,
                  hoursLeft: entry.hoursLeft,
                  slaStatus: entry.slaStatus,
                  probability: entry.probability,
                })),
              );
              compared += page.tickets.length;
            }
          }
        }
      }
      return compared;
    };
    expect(await compare()).toBeGreaterThan(1_000);
    // Road Repair on business hours (08:00-17:00, weekdays): its stored deadlines decide its place.
    await applySlaPolicy(
      warehouse.db,
      { fallbackHours: 72, clockContext: { timeZone: 'America/New_York', holidays: createFederalHolidayCalendar() } },
      { typeKey: 'road_repair', hours: 20, clock: { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS } },
    );
    expect(await compare()).toBeGreaterThan(1_000);
  });
});
