import { describe, expect, it } from 'vitest';
import { cityDateKey, cityLocalToInstant, parseCityLocalTimestamp, toCityParts } from '../src/shared/city-time.js';

const NY = 'America/New_York';
const instant = (text: string) => cityLocalToInstant(parseCityLocalTimestamp(text)!, NY).toISOString();

describe('city local time', () => {
  it('reads ISO local and US formats, with or without seconds', () => {
    expect(instant('2014-09-17T16:21:00.000')).toBe('2014-09-17T20:21:00.000Z');
    expect(instant('09/25/2018 10:11:00')).toBe('2018-09-25T14:11:00.000Z');
    expect(instant('01/05/2022 09:07')).toBe('2022-01-05T14:07:00.000Z');
  });

  it('uses EST in winter and EDT in summer', () => {
    expect(instant('2023-01-15T12:00:00.000')).toBe('2023-01-15T17:00:00.000Z');
    expect(instant('2023-07-15T12:00:00.000')).toBe('2023-07-15T16:00:00.000Z');
  });

  it('measures a duration across the spring-forward night as real elapsed time', () => {
    // 2023-03-12 02:00 EST jumped to 03:00 EDT: 01:30 → 03:30 wall clock is one real hour.
    const start = cityLocalToInstant(parseCityLocalTimestamp('03/12/2023 01:30:00')!, NY).getTime();
    const end = cityLocalToInstant(parseCityLocalTimestamp('03/12/2023 03:30:00')!, NY).getTime();
    expect((end - start) / 60_000).toBe(60);
  });

  it('measures a duration across the fall-back night as real elapsed time', () => {
    // 2023-11-05 02:00 EDT fell back to 01:00 EST: 00:30 → 03:30 wall clock is four real hours.
    const start = cityLocalToInstant(parseCityLocalTimestamp('11/05/2023 00:30:00')!, NY).getTime();
    const end = cityLocalToInstant(parseCityLocalTimestamp('11/05/2023 03:30:00')!, NY).getTime();
    expect((end - start) / 60_000).toBe(240);
    // The repeated 01:30 is read as the first (daylight) one.
    expect(instant('11/05/2023 01:30:00')).toBe('2023-11-05T05:30:00.000Z');
  });

  it('reads a wall time inside the skipped hour one hour later', () => {
    expect(instant('03/12/2023 02:30:00')).toBe('2023-03-12T07:30:00.000Z');
  });

  it('rejects text in neither format and impossible dates', () => {
    expect(parseCityLocalTimestamp('yesterday')).toBeNull();
    expect(parseCityLocalTimestamp('02/30/2022 10:00:00')).toBeNull();
    expect(parseCityLocalTimestamp('2022-13-01T00:00:00.000')).toBeNull();
    expect(parseCityLocalTimestamp('12/01/2022 25:00')).toBeNull();
  });

  it('gives the city calendar day and weekday of an instant', () => {
    const lateEvening = new Date('2023-07-16T03:30:00Z'); // 23:30 EDT on Saturday the 15th
    expect(cityDateKey(lateEvening, NY)).toBe('2023-07-15');
    expect(toCityParts(lateEvening, NY)).toMatchObject({ hour: 23, isoWeekday: 6 });
  });
});
