import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFederalHolidayCalendar } from '../src/analytics/holiday-calendar.js';
import { DEFAULT_BUSINESS_HOURS } from '../src/analytics/sla-clock.js';
import { slaDeadline } from '../src/analytics/worklist-ranking.js';
import { runCli } from '../src/cli/main.js';
import { buildTrainingSet } from '../src/features/training-set.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { createLogger } from '../src/shared/logger.js';
import { migrate, migrationsDir } from '../src/warehouse/migrate.js';
import { applySlaPolicy, findBusinessClockDueDates, refreshSlaDueDates, type SlaDueContext } from '../src/warehouse/sla-due.repository.js';
import { getSlaReport } from '../src/warehouse/sla-report.repository.js';
import { getWeeklyVolume } from '../src/warehouse/volume.repository.js';
import { findOpenTicketScores } from '../src/warehouse/ticket-score.repository.js';
import { Capture } from './helpers/capture.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { insertFixtureTickets } from './helpers/ticket-fixtures.js';

const NY = 'America/New_York';
const logger = createLogger({ level: 'silent' });
const due: SlaDueContext = { fallbackHours: 72, clockContext: { timeZone: NY, holidays: createFederalHolidayCalendar() } };
const business = { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS } as const;
const realRow: Record<string, unknown> = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'))[100];

/** A Gainesville SODA row; times are city-local wall times as the city publishes them. */
function sodaRow(id: string, requestType: string, created: string, closed: string | null): Record<string, unknown> {
  const { closed: _closed, minutes_to_close: _minutes, days_to_close: _days, ...rest } = realRow;
  return {
    ...rest,
    id,
    request_type: requestType,
    status: closed === null ? 'Open' : 'Closed',
    created: `${created}:00.000`,
    last_updated: created.replace(/^(\d{4})-(\d{2})-(\d{2})T(.*)$/, '$2/$3/$1 $4:00'),
    ...(closed === null ? {} : { closed: closed.replace(/^(\d{4})-(\d{2})-(\d{2})T(.*)$/, '$2/$3/$1 $4:00') }),
  };
}

// Road Repair: 9 h, one working day of 08:00–17:00. Weekend 9–10 Nov 2024, Veterans Day Monday
// 11 Nov, DST ends Sunday 3 Nov (EDT -4 → EST -5).
const ROWS = [
  // Friday 16:00 EST: 1 h Friday, then Tuesday 12 Nov 08:00 + 8 h = 16:00 EST (21:00Z). Closed on the holiday.
  sodaRow('901', 'Road Repair', '2024-11-08T16:00', '2024-11-11T10:00'),
  // Friday 16:00 EDT (20:00Z) before DST ends: Monday 4 Nov 08:00 EST + 8 h = 16:00 EST = 21:00Z. Still open.
  sodaRow('902', 'Road Repair', '2024-11-01T16:00', null),
  // Tuesday 09:00: 8 h Tuesday, 1 h Wednesday → Wednesday 09:00 EST (14:00Z). Closed Tuesday 19:00 (10 h wall).
  sodaRow('903', 'Road Repair', '2024-11-12T09:00', '2024-11-12T19:00'),
  // Another type on the '*' default (wall, 72 h): never moves with Road Repair's policy.
  sodaRow('904', 'Noise Complaint', '2024-11-08T16:00', '2024-11-11T10:00'),
];
/** Ticket ids (the city's are numeric) by the letters used below. */
const LETTER: Record<string, string> = { '901': 'A', '902': 'B', '903': 'C', '904': 'D' };
const BUSINESS_DUE = { A: '2024-11-12T21:00:00.000Z', B: '2024-11-04T21:00:00.000Z', C: '2024-11-13T14:00:00.000Z' };
const WALL_DUE = { A: '2024-11-09T06:00:00.000Z', B: '2024-11-02T05:00:00.000Z', C: '2024-11-12T23:00:00.000Z' };
const D_DUE = '2024-11-11T21:00:00.000Z';
const WINDOW = {
  since: new Date('2024-10-28T04:00:00Z'),
  until: new Date('2024-11-18T05:00:00Z'),
  now: new Date('2024-11-20T17:00:00Z'),
  slaHours: 72,
  timeZone: NY,
};

describe.each(engines)('stored SLA deadlines (migration 017) on $name', ({ name }) => {
  describe('a warehouse migrated before 017', () => {
    let warehouse: TestWarehouse;
    let before017: string;
    beforeAll(async () => {
      warehouse = await createTestWarehouse(name, { migrate: false });
      before017 = mkdtempSync(join(tmpdir(), 'civicops-migrations-'));
      for (const file of readdirSync(migrationsDir).filter((file) => /^\d+_.*\.sql$/.test(file) && file < '017'))
        copyFileSync(join(migrationsDir, file), join(before017, file));
      await migrate(warehouse.db, before017);
    });
    afterAll(async () => {
      rmSync(before017, { recursive: true, force: true });
      await warehouse?.dispose();
    });

    it('is brought forward without re-ingesting or rewriting rows: old deadlines read as created + the type’s wall-clock hours', async () => {
      const created = new Date('2024-11-08T21:00:00Z');
      const closed = new Date('2024-11-10T03:00:00Z'); // 30 h later
      await insertFixtureTickets(warehouse.db, [
        { ticketId: 'r1', requestType: 'Road Repair', createdAt: created, closedAt: closed },
        { ticketId: 'n1', requestType: 'Noise Complaint', createdAt: created, closedAt: closed },
      ]);
      await sql`insert into sla_policy (type_key, sla_hours) values ('road_repair', 24)`.execute(warehouse.db);
      const result = await migrate(warehouse.db);
      expect(result.applied).toContain('017_sla_due_at');
      const rows = await warehouse.db.selectFrom('fact_ticket').select(['ticket_id', 'sla_due_at']).orderBy('ticket_id').execute();
      // Left null by the migration (no full-table rewrite); the reports fall back to created + hours.
      expect(rows.map((row) => [row.ticket_id, row.sla_due_at])).toEqual([
        ['n1', null],
        ['r1', null],
      ]);
      const road = await getSlaReport(warehouse.db, { ...WINDOW, typeKey: 'road_repair' });
      const noise = await getSlaReport(warehouse.db, { ...WINDOW, typeKey: 'noise_complaint' });
      expect([road.current.metSla, road.current.breached, noise.current.metSla, noise.current.breached]).toEqual([0, 1, 1, 0]);
    });
  });

  describe('a business-hours clock', () => {
    let warehouse: TestWarehouse;
    const dueOf = async () => {
      const rows = await warehouse.db.selectFrom('fact_ticket').select(['ticket_id', 'sla_due_at']).orderBy('ticket_id').execute();
      return Object.fromEntries(rows.map((row) => [LETTER[row.ticket_id] ?? row.ticket_id, row.sla_due_at?.toISOString() ?? null]));
    };
    const outcomes = async () => {
      const report = await getSlaReport(warehouse.db, { ...WINDOW, typeKey: 'road_repair' });
      const weeks = await getWeeklyVolume(warehouse.db, { ...WINDOW, typeKey: 'road_repair' });
      return { met: report.current.metSla, breached: report.current.breached, weeks: weeks.map((week) => week.attainment) };
    };
    const labels = async () => {
      const set = await buildTrainingSet(warehouse.db, { slaHours: 72, timeZone: NY, slaClock: due.clockContext, asOf: WINDOW.now });
      return Object.fromEntries(set.ticketIds.map((id, index) => [LETTER[id] ?? id, set.labelKnown[index] ? set.labels[index] : null]));
    };

    beforeAll(async () => {
      warehouse = await createTestWarehouse(name);
      // The policy exists before the tickets: the ingest computes their business deadlines.
      await applySlaPolicy(warehouse.db, due, { typeKey: 'road_repair', hours: 9, clock: business });
      await ingestRows({ db: warehouse.db, logger, timeZone: NY }, ROWS, { source: 'file:test' });
    });
    afterAll(async () => warehouse?.dispose());

    it('ingest stores deadlines that skip nights, the weekend and a federal holiday, across the DST change', async () => {
      expect(await dueOf()).toEqual({ ...BUSINESS_DUE, D: D_DUE });
    });

    it('attainment, weekly attainment and the label count by the business deadline', async () => {
      // A and C close by their business deadlines; B is open past its own.
      expect(await outcomes()).toEqual({ met: 2, breached: 1, weeks: [0, 1, 1] });
      expect(await labels()).toMatchObject({ A: 0, B: 1, C: 0, D: 0 });
    });

    it('the worklist’s due is the stored deadline: before it on Monday afternoon after DST, not at the wall-clock one', async () => {
      const asOf = new Date('2024-11-04T18:00:00Z');
      const open = await findOpenTicketScores(warehouse.db, { asOf, fallbackSlaHours: 72, modelVersion: 'none' });
      const b = open.find((ticket) => ticket.ticketId === '902')!;
      const stored = await findBusinessClockDueDates(warehouse.db, open, 72);
      const dueAt = slaDeadline(b.createdAt, { hours: b.slaHours, dueAt: stored.get('902') });
      expect(dueAt.toISOString()).toBe(BUSINESS_DUE.B);
      expect((dueAt.getTime() - asOf.getTime()) / 3_600_000).toBe(3);
    });

    it('changing the policy moves its own deadlines and figures only, and switching back restores them', async () => {
      await applySlaPolicy(warehouse.db, due, { typeKey: 'road_repair', hours: 9, clock: { kind: 'wall' } });
      expect(await dueOf()).toEqual({ ...WALL_DUE, D: D_DUE });
      expect(await outcomes()).toEqual({ met: 0, breached: 3, weeks: [0, 0, 0] });
      expect(await labels()).toMatchObject({ A: 1, B: 1, C: 1, D: 0 });
      await applySlaPolicy(warehouse.db, due, { typeKey: 'road_repair', hours: 9, clock: business });
      expect(await dueOf()).toEqual({ ...BUSINESS_DUE, D: D_DUE });
    });

    it('a deadline lost (written by hand) is filled again from the policy', async () => {
      await sql`update fact_ticket set sla_due_at = null where ticket_id in ('901', '904')`.execute(warehouse.db);
      expect(await refreshSlaDueDates(warehouse.db, due, { onlyMissing: true })).toBe(2);
      expect(await dueOf()).toEqual({ ...BUSINESS_DUE, D: D_DUE });
    });

    it('civicops sla-policy sets and lists a policy, recomputing the deadlines; bad input is one line', async () => {
      const run = async (argv: string[]) => {
        const stdout = new Capture();
        const stderr = new Capture();
        const code = await runCli(argv, {
          env: { LOG_LEVEL: 'silent', TZ_CITY: NY },
          stdout,
          stderr,
          logger,
          openWarehouse: async () => ({ ...warehouse, close: async () => {} }),
        });
        return { code, stdout: stdout.text, stderr: stderr.text };
      };
      const set = await run(['sla-policy', 'set', 'Road Repair', '--hours', '9', '--clock', 'wall']);
      expect(set).toMatchObject({ code: 0, stderr: '' });
      expect(set.stdout).toMatch(/SLA of road_repair: 9 h on the wall clock; 3 ticket deadline\(s\) moved\./);
      expect((await dueOf()).A).toBe(WALL_DUE.A);
      const list = await run(['sla-policy', 'list', '--json']);
      expect(JSON.parse(list.stdout.trim()).policies).toEqual(
        expect.arrayContaining([expect.objectContaining({ type_key: 'road_repair', sla_hours: 9, clock: 'wall' })]),
      );
      await run(['sla-policy', 'set', 'road_repair', '--hours', '9', '--clock', 'business']);
      expect((await dueOf()).A).toBe(BUSINESS_DUE.A);
      for (const argv of [
        ['sla-policy', 'set', 'road_repair', '--hours', '9', '--clock', 'lunar'],
        ['sla-policy', 'set', 'road_repair', '--hours', 'soon'],
        ['sla-policy', 'set', 'road_repair'],
        ['sla-policy', 'frobnicate'],
      ]) {
        const failed = await run(argv);
        expect(failed.code, argv.join(' ')).not.toBe(0);
        expect(failed.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      }
      const help = await run(['sla-policy', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--clock');
    });
  });
});
