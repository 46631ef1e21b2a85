import { describe, expect, it } from 'vitest';
import { createFederalHolidayCalendar, createHolidayCalendar, NO_HOLIDAYS } from '../src/analytics/holiday-calendar.js';
import {
  createBusinessClock,
  DEFAULT_BUSINESS_HOURS,
  parseTimeOfDay,
  wallClock,
  type BusinessHours,
  type SlaClockContext,
} from '../src/analytics/sla-clock.js';
import { createPolicyClock, createSlaPolicy, createUniformSlaPolicy, isWallClockPolicy, slaClockFor } from '../src/analytics/sla-policy.js';
import { slaDeadline } from '../src/analytics/worklist-ranking.js';
import { cityLocalToInstant, parseCityLocalTimestamp } from '../src/shared/city-time.js';
import { InputError } from '../src/shared/errors.js';

const NY = 'America/New_York';
const HOUR_MS = 3_600_000;
/** An instant from Gainesville's wall clock, e.g. '2024-03-08 16:00'. */
const local = (text: string) => cityLocalToInstant(parseCityLocalTimestamp(text)!, NY);
const iso = (date: Date) => date.toISOString();

const federal: SlaClockContext = { timeZone: NY, holidays: createFederalHolidayCalendar() };
const officeHours = createBusinessClock(DEFAULT_BUSINESS_HOURS, federal);
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7] as const;
/** 01:00–04:00 every day: the hours a DST change falls in. */
const nightShift = createBusinessClock({ startMinute: 60, endMinute: 240, weekdays: EVERY_DAY }, { timeZone: NY, holidays: NO_HOLIDAYS });

describe('the business clock (08:00–17:00 Monday to Friday, federal holidays off)', () => {
  it('a ticket created on a weekend starts counting at Monday opening', () => {
    // Saturday 10:00 → 4 business hours → Monday 12:00 EST.
    expect(iso(officeHours.dueAt(local('2024-03-02 10:00'), 4))).toBe('2024-03-04T17:00:00.000Z');
    // Friday 16:00 to Monday 09:00 is two business hours: one on Friday, one on Monday.
    expect(officeHours.elapsedHours(local('2024-03-01 16:00'), local('2024-03-04 09:00'))).toBe(2);
    expect(officeHours.elapsedHours(local('2024-03-04 09:00'), local('2024-03-01 16:00'))).toBe(-2);
  });

  it('a ticket created after hours or before opening starts at the next opening', () => {
    expect(iso(officeHours.dueAt(local('2024-06-11 18:30'), 3))).toBe(iso(local('2024-06-12 11:00')));
    expect(iso(officeHours.dueAt(local('2024-06-12 06:00'), 1))).toBe(iso(local('2024-06-12 09:00')));
    // Exactly at closing nothing is left of the day.
    expect(iso(officeHours.dueAt(local('2024-06-12 17:00'), 1))).toBe(iso(local('2024-06-13 09:00')));
    // Inside the day it counts from creation, and a deadline that fills the day ends at closing.
    expect(iso(officeHours.dueAt(local('2024-06-12 13:15'), 2))).toBe(iso(local('2024-06-12 15:15')));
    expect(iso(officeHours.dueAt(local('2024-06-12 08:00'), 9))).toBe(iso(local('2024-06-12 17:00')));
  });

  it('skips a weekend holiday on its observed day (Independence Day 2020 on Friday, Christmas 2022 on Monday)', () => {
    // Thursday 16:00 + 2 h: one hour Thursday, Friday 3 July observed, weekend, Monday 09:00.
    expect(iso(officeHours.dueAt(local('2020-07-02 16:00'), 2))).toBe(iso(local('2020-07-06 09:00')));
    // Friday 23 Dec 16:30 + 1 h: half an hour Friday, Monday 26 Dec observed, Tuesday 08:30.
    expect(iso(officeHours.dueAt(local('2022-12-23 16:30'), 1))).toBe('2022-12-27T13:30:00.000Z');
    // The actual (weekend) dates count as weekends, nothing more.
    expect(officeHours.elapsedHours(local('2020-07-02 00:00'), local('2020-07-07 00:00'))).toBe(18);
  });

  it('a 72 h business SLA spans Thanksgiving: eight working days, Thursday 28 Nov 2024 off', () => {
    // Wednesday 10:00: 7 h that day, then 9 h on each of Fri 29, Mon 2 … Fri 6, Mon 9 (63 h), 2 h on Tuesday.
    const created = local('2024-11-27 10:00');
    expect(iso(officeHours.dueAt(created, 72))).toBe('2024-12-10T15:00:00.000Z');
    expect(officeHours.elapsedHours(created, officeHours.dueAt(created, 72))).toBe(72);
    // A city that also closes the Friday after Thanksgiving is due one working day later.
    const withFriday = createBusinessClock(DEFAULT_BUSINESS_HOURS, {
      timeZone: NY,
      holidays: createHolidayCalendar({ observesFederal: true, holidays: [{ date: '2024-11-29', name: 'Day after Thanksgiving' }] }),
    });
    expect(iso(withFriday.dueAt(created, 72))).toBe(iso(local('2024-12-11 10:00')));
    // On the wall clock the same SLA ends three days later to the minute.
    expect(iso(wallClock.dueAt(created, 72))).toBe(iso(local('2024-11-30 10:00')));
  });

  it('hours left count down in business hours and turn negative once breached', () => {
    const created = local('2024-11-27 10:00');
    expect(officeHours.hoursLeft(created, 72, local('2024-11-27 10:00'))).toBe(72);
    // Nothing counts on Thanksgiving: still 65 hours left at its noon.
    expect(officeHours.hoursLeft(created, 72, local('2024-11-28 12:00'))).toBe(65);
    expect(officeHours.hoursLeft(created, 72, local('2024-12-10 09:00'))).toBe(1);
    expect(officeHours.hoursLeft(created, 72, local('2024-12-10 10:00'))).toBe(0);
    expect(officeHours.hoursLeft(created, 72, local('2024-12-10 12:00'))).toBe(-2);
    expect(officeHours.hoursLeft(created, 72, local('2024-12-11 09:00'))).toBe(-8);
  });

  it('a deadline at closing time is breached all night although no business hour passes', () => {
    const created = local('2024-12-02 08:00');
    expect(iso(officeHours.dueAt(created, 9))).toBe(iso(local('2024-12-02 17:00')));
    expect(officeHours.hoursLeft(created, 9, local('2024-12-02 17:00'))).toBe(0);
    const night = officeHours.hoursLeft(created, 9, local('2024-12-02 20:00'));
    expect(night).toBeLessThan(0);
    expect(night).toBeGreaterThan(-1e-9);
    expect(officeHours.hoursLeft(created, 9, local('2024-12-03 09:00'))).toBe(-1);
  });

  it('keeps local opening times across spring-forward and fall-back weekends', () => {
    // 10 March 2024: Friday 16:00 EST + 2 h is Monday 09:00 EDT (13:00 UTC, not 14:00).
    expect(iso(officeHours.dueAt(local('2024-03-08 16:00'), 2))).toBe('2024-03-11T13:00:00.000Z');
    // 3 November 2024: Friday 16:00 EDT + 2 h is Monday 09:00 EST (14:00 UTC).
    expect(iso(officeHours.dueAt(local('2024-11-01 16:00'), 2))).toBe('2024-11-04T14:00:00.000Z');
    expect(officeHours.elapsedHours(local('2024-03-08 00:00'), local('2024-03-12 00:00'))).toBe(18);
  });

  it('counts real time inside the hour that DST skips or repeats', () => {
    // Spring forward: 01:00–04:00 on 10 March 2024 is two real hours (02:00–03:00 does not exist).
    expect(nightShift.elapsedHours(local('2024-03-10 00:00'), local('2024-03-11 00:00'))).toBe(2);
    expect(iso(nightShift.dueAt(local('2024-03-10 01:30'), 1))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(nightShift.dueAt(local('2024-03-10 01:30'), 2))).toBe(iso(local('2024-03-11 01:30')));
    // Fall back: 01:00 EDT to 04:00 EST on 3 November 2024 is four real hours.
    expect(nightShift.elapsedHours(local('2024-11-03 00:00'), local('2024-11-04 00:00'))).toBe(4);
    expect(iso(nightShift.dueAt(local('2024-11-03 01:00'), 4))).toBe('2024-11-03T09:00:00.000Z');
  });

  it('a round-the-clock business calendar without holidays is the wall clock, DST included', () => {
    const always = createBusinessClock({ startMinute: 0, endMinute: 1440, weekdays: EVERY_DAY }, { timeZone: NY, holidays: NO_HOLIDAYS });
    for (const start of ['2024-03-09 12:00', '2024-11-02 23:30', '2024-03-10 01:59', '2024-11-03 01:30', '2024-07-01 08:00']) {
      for (const hours of [0.5, 24, 72, 240]) {
        const created = local(start);
        expect(iso(always.dueAt(created, hours))).toBe(iso(wallClock.dueAt(created, hours)));
        expect(always.elapsedHours(created, wallClock.dueAt(created, hours))).toBeCloseTo(hours, 9);
      }
    }
  });

  it('refuses business hours that cannot be worked', () => {
    const bad: BusinessHours[] = [
      { startMinute: 17 * 60, endMinute: 8 * 60 },
      { startMinute: 480, endMinute: 480 },
      { startMinute: 480, endMinute: 1500 },
      { startMinute: 480, endMinute: 1020, weekdays: [] },
    ];
    for (const hours of bad) expect(() => createBusinessClock(hours, federal)).toThrow(InputError);
    expect(parseTimeOfDay('08:00:00')).toBe(480);
    expect(parseTimeOfDay('24:00')).toBe(1440);
    expect(() => parseTimeOfDay('8 am')).toThrow(InputError);
    expect(() => parseTimeOfDay('24:30')).toThrow(InputError);
  });
});

describe('the wall clock is today’s created + hours', () => {
  it('gives exactly the worklist’s deadline and hours left', () => {
    for (const start of ['2024-03-08 09:00', '2024-11-01 09:00', '2023-06-15 14:27', '2024-12-24 23:59']) {
      const created = local(start);
      for (const hours of [1, 24, 48, 72, 168.5]) {
        expect(wallClock.dueAt(created, hours).getTime()).toBe(created.getTime() + hours * HOUR_MS);
        expect(wallClock.dueAt(created, hours).getTime()).toBe(slaDeadline(created, { hours }).getTime());
        expect(wallClock.hoursLeft(created, hours, new Date(created.getTime() + (hours + 3) * HOUR_MS))).toBeCloseTo(-3, 9);
      }
    }
    // 72 h from Friday 09:00 before the spring change is Monday 10:00 on the city's clock.
    expect(iso(wallClock.dueAt(local('2024-03-08 09:00'), 72))).toBe(iso(local('2024-03-11 10:00')));
  });
});

describe('the SLA policy carries a clock per type', () => {
  const business = { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS } as const;

  it('a policy read without clocks behaves exactly as before: every type on the wall clock', () => {
    const policy = createSlaPolicy(
      [
        { typeKey: '*', slaHours: 72 },
        { typeKey: 'streetlight_lamp', slaHours: 24 },
      ],
      48,
    );
    expect(policy.defaultHours).toBe(72);
    expect(policy.overrides.get('streetlight_lamp')).toBe(24);
    expect(isWallClockPolicy(policy)).toBe(true);
    expect(isWallClockPolicy(createUniformSlaPolicy(72))).toBe(true);
    const clock = createPolicyClock(policy, federal);
    const created = local('2024-11-27 10:00');
    expect(clock.dueAt('streetlight_lamp', created).getTime()).toBe(created.getTime() + 24 * HOUR_MS);
    expect(clock.dueAt('road_repair', created).getTime()).toBe(created.getTime() + 72 * HOUR_MS);
    expect(createPolicyClock(createUniformSlaPolicy(72), federal).dueAt('any', created).getTime()).toBe(created.getTime() + 72 * HOUR_MS);
  });

  it("a type's own row sets its clock; other types take the '*' row's", () => {
    const policy = createSlaPolicy(
      [
        { typeKey: '*', slaHours: 72, clock: business },
        { typeKey: 'noise_complaint', slaHours: 24, clock: { kind: 'wall' } },
        { typeKey: 'road_repair', slaHours: 9 },
      ],
      72,
    );
    expect(slaClockFor(policy, 'noise_complaint').kind).toBe('wall');
    expect(slaClockFor(policy, 'road_repair').kind).toBe('wall');
    expect(slaClockFor(policy, 'streetlight_lamp').kind).toBe('business');
    expect(isWallClockPolicy(policy)).toBe(false);
    const clock = createPolicyClock(policy, federal);
    const created = local('2024-11-27 10:00');
    expect(iso(clock.dueAt('streetlight_lamp', created))).toBe('2024-12-10T15:00:00.000Z');
    expect(iso(clock.dueAt('noise_complaint', created))).toBe(iso(local('2024-11-28 10:00')));
    expect(clock.hoursLeft('streetlight_lamp', created, local('2024-12-10 12:00'))).toBe(-2);
    expect(clock.elapsedHours('streetlight_lamp', created, local('2024-11-29 10:00'))).toBe(9);
    expect(clock.clockOf('streetlight_lamp')).toBe(clock.clockOf('pothole'));
  });

  it('without a * row the configured hours run on the wall clock', () => {
    const policy = createSlaPolicy([{ typeKey: 'road_repair', slaHours: 9, clock: business }], 72);
    expect(policy.defaultSource).toBe('config');
    expect(slaClockFor(policy, 'noise_complaint').kind).toBe('wall');
    expect(slaClockFor(policy, 'road_repair').kind).toBe('business');
  });
});
