import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFederalHolidayCalendar } from '../src/analytics/holiday-calendar.js';
import { DEFAULT_BUSINESS_HOURS } from '../src/analytics/sla-clock.js';
import { createPolicyClock, isWallClockPolicy, slaClockFor } from '../src/analytics/sla-policy.js';
import { migrate, migrationsDir } from '../src/warehouse/migrate.js';
import { listSlaPolicyRows, loadSlaPolicy, setSlaClock, setSlaHours, syncDefaultSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { InputError } from '../src/shared/errors.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const NY = 'America/New_York';
const business = { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS } as const;

describe.each(engines)('sla_policy gains a clock (migration 011) on $name', ({ name }) => {
  describe('a warehouse migrated before 011', () => {
    let warehouse: TestWarehouse;
    let before011: string;
    beforeAll(async () => {
      warehouse = await createTestWarehouse(name, { migrate: false });
      before011 = mkdtempSync(join(tmpdir(), 'civicops-migrations-'));
      for (const file of readdirSync(migrationsDir).filter((file) => /^\d+_.*\.sql$/.test(file) && file < '011'))
        copyFileSync(join(migrationsDir, file), join(before011, file));
      await migrate(warehouse.db, before011);
    });
    afterAll(async () => {
      rmSync(before011, { recursive: true, force: true });
      await warehouse?.dispose();
    });

    it('keeps the wall clock for every existing row, so every deadline stays created + hours', async () => {
      await sql`insert into sla_policy (type_key, sla_hours, note) values ('streetlight_lamp', 24, 'before 011')`.execute(warehouse.db);
      const result = await migrate(warehouse.db);
      expect(result.applied).toContain('011_sla_clock');
      const rows = await warehouse.db.selectFrom('sla_policy').selectAll().orderBy('type_key').execute();
      expect(rows.map((row) => [row.type_key, row.sla_hours, row.clock, row.business_day_start, row.business_day_end])).toEqual([
        ['*', 72, 'wall', '08:00:00', '17:00:00'],
        ['streetlight_lamp', 24, 'wall', '08:00:00', '17:00:00'],
      ]);
      const policy = await loadSlaPolicy(warehouse.db, 72);
      expect(isWallClockPolicy(policy)).toBe(true);
      const created = new Date('2024-11-27T15:00:00Z');
      const clock = createPolicyClock(policy, { timeZone: NY, holidays: createFederalHolidayCalendar() });
      expect(clock.dueAt('streetlight_lamp', created).toISOString()).toBe('2024-11-28T15:00:00.000Z');
      expect(clock.dueAt('road_repair', created).toISOString()).toBe('2024-11-30T15:00:00.000Z');
    });
  });

  describe('a fresh warehouse', () => {
    let warehouse: TestWarehouse;
    beforeAll(async () => {
      warehouse = await createTestWarehouse(name);
    });
    afterAll(async () => warehouse?.dispose());

    it('stores a business clock with its hours and reads it back per type', async () => {
      await setSlaHours(warehouse.db, 'road_repair', 72, 'business test', {
        kind: 'business',
        businessHours: { startMinute: 7 * 60 + 30, endMinute: 16 * 60 },
      });
      await setSlaHours(warehouse.db, 'night_crew', 8, null, {
        kind: 'business',
        businessHours: { startMinute: 20 * 60, endMinute: 1440 },
      });
      const rows = await listSlaPolicyRows(warehouse.db);
      expect(rows.find((row) => row.typeKey === 'road_repair')?.clock).toEqual({
        kind: 'business',
        businessHours: { startMinute: 450, endMinute: 960, weekdays: [1, 2, 3, 4, 5] },
      });
      expect(rows.find((row) => row.typeKey === 'night_crew')?.clock).toMatchObject({
        businessHours: { startMinute: 1200, endMinute: 1440 },
      });
      const policy = await loadSlaPolicy(warehouse.db, 72);
      expect(slaClockFor(policy, 'road_repair').kind).toBe('business');
      expect(slaClockFor(policy, 'noise_complaint').kind).toBe('wall');
      // Wednesday 27 Nov 2024 10:00 EST: 6 h that day, 8.5 h a working day after (Thanksgiving off), 6.5 h on Tuesday 10 Dec.
      const clock = createPolicyClock(policy, { timeZone: NY, holidays: createFederalHolidayCalendar() });
      expect(clock.dueAt('road_repair', new Date('2024-11-27T15:00:00Z')).toISOString()).toBe('2024-12-10T19:00:00.000Z');
    });

    it('changing the hours keeps the clock; the clock can be changed alone, and switched back', async () => {
      await setSlaHours(warehouse.db, 'road_repair', 48);
      let policy = await loadSlaPolicy(warehouse.db, 72);
      expect(policy.overrides.get('road_repair')).toBe(48);
      expect(slaClockFor(policy, 'road_repair').kind).toBe('business');
      expect(await setSlaClock(warehouse.db, 'road_repair', { kind: 'wall' })).toBe(true);
      expect(await setSlaClock(warehouse.db, 'no_such_type', business)).toBe(false);
      policy = await loadSlaPolicy(warehouse.db, 72);
      expect(slaClockFor(policy, 'road_repair').kind).toBe('wall');
      // The business hours stay stored while the row is on the wall clock.
      const row = await warehouse.db.selectFrom('sla_policy').selectAll().where('type_key', '=', 'road_repair').executeTakeFirstOrThrow();
      expect([row.business_day_start, row.business_day_end]).toEqual(['07:30:00', '16:00:00']);
    });

    it("the '*' row's business clock applies to every type without its own row and survives SLA_HOURS sync", async () => {
      expect(await setSlaClock(warehouse.db, '*', business)).toBe(true);
      await syncDefaultSlaHours(warehouse.db, 96);
      const policy = await loadSlaPolicy(warehouse.db, 72);
      expect(policy.defaultHours).toBe(96);
      expect(slaClockFor(policy, 'noise_complaint').kind).toBe('business');
      expect(slaClockFor(policy, 'road_repair').kind).toBe('wall');
    });

    it('refuses an unknown clock and a business day that ends before it starts', async () => {
      await expect(
        sql`insert into sla_policy (type_key, sla_hours, clock) values ('lunar', 1, 'lunar')`.execute(warehouse.db),
      ).rejects.toThrow(/check constraint/);
      await expect(
        sql`insert into sla_policy (type_key, sla_hours, clock, business_day_start, business_day_end)
            values ('backwards', 1, 'business', '17:00', '08:00')`.execute(warehouse.db),
      ).rejects.toThrow(/sla_policy_business_day_check/);
      await expect(
        setSlaHours(warehouse.db, 'backwards', 1, null, { kind: 'business', businessHours: { startMinute: 600, endMinute: 540 } }),
      ).rejects.toThrow(InputError);
    });
  });
});
