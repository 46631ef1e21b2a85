import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { DUE_SOON_HOURS, placeOnWorklist } from '../src/analytics/worklist-ranking.js';
import { createFederalHolidayCalendar } from '../src/analytics/holiday-calendar.js';
import { DEFAULT_BUSINESS_HOURS } from '../src/analytics/sla-clock.js';
import { applySlaPolicy, findBusinessClockDueDates } from '../src/warehouse/sla-due.repository.js';
import {
  countOpenTicketsByRisk,
  findOpenTicketScores,
  findUnscoredOpenTickets,
  saveTicketScores,
} from '../src/warehouse/ticket-score.repository.js';
import { findLatestEventAt, findOpenTicketsAt } from '../src/warehouse/worklist.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets } from './helpers/ticket-fixtures.js';

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

    it('counts at-risk tickets in SQL exactly as the worklist classifies them, on a wall and a business clock', async () => {
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
            const counted = await countOpenTicketsByRisk(warehouse.db, {
              asOf: at,
              ...filter,
              fallbackSlaHours: 72,
              modelVersion: 'v-count',
              ...rules,
            });
            expect(counted, `${at.toISOString()} ${JSON.stringify(filter)}`).toEqual({ unscored: 0, atRisk: expected });
          }
        }
      };
      const everyOpen = await findOpenTicketScores(warehouse.db, {
        asOf: cityTime('2031-01-01 00:00'),
        fallbackSlaHours: 72,
        modelVersion: 'v-count',
      });
      const unscoredBefore = await countOpenTicketsByRisk(warehouse.db, { asOf, fallbackSlaHours: 72, modelVersion: 'v-count', ...rules });
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
