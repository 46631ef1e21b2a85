import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHolidayCalendar, federalHolidays } from '../src/analytics/holiday-calendar.js';
import { cityHolidaysPath, loadCityHolidays, loadCityHolidaysOrFederal } from '../src/config/holidays.js';
import { ConfigError, InputError } from '../src/shared/errors.js';

const datesOf = (year: number) => federalHolidays(year).map((holiday) => holiday.date);

describe('US federal holidays by rule', () => {
  // opm.gov/policy-data-oversight/pay-leave/federal-holidays, the 2023 and 2024 lists.
  it('match the OPM list for 2023 (New Year’s Day observed Monday 2 January, Veterans Day Friday 10 November)', () => {
    expect(datesOf(2023)).toEqual([
      '2023-01-02',
      '2023-01-16',
      '2023-02-20',
      '2023-05-29',
      '2023-06-19',
      '2023-07-04',
      '2023-09-04',
      '2023-10-09',
      '2023-11-10',
      '2023-11-23',
      '2023-12-25',
    ]);
    const observed = federalHolidays(2023).filter((holiday) => holiday.actualDate);
    expect(observed.map((holiday) => [holiday.federalId, holiday.actualDate])).toEqual([
      ['new_years_day', '2023-01-01'],
      ['veterans_day', '2023-11-11'],
    ]);
  });

  it('match the OPM list for 2024', () => {
    expect(datesOf(2024)).toEqual([
      '2024-01-01',
      '2024-01-15',
      '2024-02-19',
      '2024-05-27',
      '2024-06-19',
      '2024-07-04',
      '2024-09-02',
      '2024-10-14',
      '2024-11-11',
      '2024-11-28',
      '2024-12-25',
    ]);
    expect(federalHolidays(2024).map((holiday) => holiday.name)).toContain('Juneteenth National Independence Day');
  });

  it('list a Saturday New Year’s Day on 31 December of the year before, and Juneteenth from 2021 only', () => {
    expect(datesOf(2021)).toContain('2021-12-31');
    expect(datesOf(2021)).toContain('2021-06-18');
    expect(datesOf(2021)).toContain('2021-07-05');
    expect(datesOf(2022)[0]).toBe('2022-01-17');
    expect(datesOf(2022)).toContain('2022-12-26');
    expect(datesOf(2020).some((date) => date.startsWith('2020-06'))).toBe(false);
    expect(datesOf(2020)).toHaveLength(10);
  });
});

describe('a city holiday calendar', () => {
  it('adds the city’s own days and drops the federal ones it works on', () => {
    const calendar = createHolidayCalendar({
      observesFederal: true,
      exceptFederal: ['columbus_day'],
      holidays: [{ date: '2024-11-29', name: 'Day after Thanksgiving' }],
    });
    expect(calendar.isHoliday('2024-11-28')).toBe(true);
    expect(calendar.holidayOn('2024-11-29')?.name).toBe('Day after Thanksgiving');
    expect(calendar.isHoliday('2024-10-14')).toBe(false);
    expect(calendar.isHoliday('2024-11-27')).toBe(false);
    expect(calendar.holidaysIn(2024)).toHaveLength(11);
    expect(createHolidayCalendar({ observesFederal: false }).isHoliday('2024-12-25')).toBe(false);
  });

  it('refuses an unknown federal holiday id and an impossible date', () => {
    expect(() => createHolidayCalendar({ observesFederal: true, exceptFederal: ['flag_day'] })).toThrow(InputError);
    expect(() => createHolidayCalendar({ observesFederal: true, holidays: [{ date: '2024-02-30', name: 'x' }] })).toThrow(InputError);
  });

  it('Gainesville’s bundled list closes on the federal holidays and the day after Christmas', () => {
    const gainesville = loadCityHolidays();
    expect(gainesville.city).toBe('Gainesville, FL');
    expect(gainesville.note).toMatch(/No complete published list/);
    const calendar = createHolidayCalendar(gainesville);
    expect(calendar.isHoliday('2023-12-25')).toBe(true);
    expect(calendar.isHoliday('2023-12-26')).toBe(true);
    expect(calendar.isHoliday('2025-12-26')).toBe(true);
    expect(calendar.isHoliday('2023-07-04')).toBe(true);
    expect(calendar.isHoliday('2023-07-05')).toBe(false);
    for (const holiday of gainesville.holidays) expect(holiday.source).toBeTruthy();
    expect(loadCityHolidaysOrFederal('gainesville')).toBe(gainesville);
  });

  it('a city without a holiday file closes on the federal holidays only', () => {
    const rules = loadCityHolidaysOrFederal('no-such-city');
    expect(rules.note).toMatch(/federal holidays only/);
    const calendar = createHolidayCalendar(rules);
    expect(calendar.isHoliday('2024-11-28')).toBe(true);
    expect(calendar.isHoliday('2023-12-26')).toBe(false);
  });

  it('a broken holiday file fails loudly, naming itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicops-holidays-'));
    try {
      const duplicated = join(dir, 'twice.json');
      writeFileSync(
        duplicated,
        JSON.stringify({
          city: 'X',
          observesFederal: true,
          holidays: [
            { date: '2024-01-02', name: 'a' },
            { date: '2024-01-02', name: 'b' },
          ],
        }),
      );
      expect(() => loadCityHolidays(duplicated)).toThrow(/twice\.json.*lists a date twice/);
      const wrongShape = join(dir, 'shape.json');
      writeFileSync(wrongShape, JSON.stringify({ city: 'X', observesFederal: 'yes' }));
      expect(() => loadCityHolidays(wrongShape)).toThrow(ConfigError);
      expect(() => loadCityHolidays(join(dir, 'missing.json'))).toThrow(/Cannot read the holiday list/);
      expect(() => cityHolidaysPath('../etc')).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
