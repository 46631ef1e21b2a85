import { describe, expect, it } from 'vitest';
import { cityDateKey, cityLocalToInstant, parseCityLocalTimestamp, toCityParts, type LocalDateTime } from '../src/shared/city-time.js';

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

// The two formats as regular expressions: the reference the hand-written parser must agree with.
const ISO_REFERENCE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const US_REFERENCE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AP]M))?$/i;

function referenceParse(text: string): LocalDateTime | null {
  const trimmed = text.trim();
  const iso = ISO_REFERENCE.exec(trimmed);
  let local: LocalDateTime;
  if (iso) {
    const [year, month, day, hour, minute] = iso.slice(1, 6).map(Number) as [number, number, number, number, number];
    local = {
      year,
      month,
      day,
      hour,
      minute,
      second: Number(iso[6] ?? 0),
      millisecond: iso[7] ? Number(iso[7].padEnd(3, '0').slice(0, 3)) : 0,
    };
  } else {
    const us = US_REFERENCE.exec(trimmed);
    if (!us) return null;
    let hour = Number(us[4]);
    const meridiem = us[7]?.toUpperCase();
    if (meridiem === 'PM' && hour < 12) hour += 12;
    if (meridiem === 'AM' && hour === 12) hour = 0;
    local = { year: Number(us[3]), month: Number(us[1]), day: Number(us[2]), hour, minute: Number(us[5]), second: Number(us[6] ?? 0) };
  }
  const { year, month, day, hour, minute, second } = local;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return local;
}

describe('parseCityLocalTimestamp agrees with the regular-expression reference', () => {
  const samples = [
    '2014-09-17T16:21:00.000',
    '2014-09-17 16:21:00',
    '2014-09-17T16:21',
    '2014-09-17T16:21:05.5',
    '2014-09-17T16:21:05.123456',
    '2014-09-17T16:21:05.1234567',
    '2014-09-17T16:21:05.',
    '2014-09-17T16:21:5',
    '2014-09-17t16:21:00',
    '2014-9-17T16:21:00',
    '2024-02-29T00:00:00.000',
    '2023-02-29T00:00:00.000',
    '2000-02-29T12:00',
    '1900-02-29T12:00',
    ' 2014-09-17T16:21:00.000 ',
    '09/25/2018 10:11:00',
    '9/5/2018 1:02:03',
    '09/25/2018 10:11',
    '09/25/2018 10:11 PM',
    '09/25/2018 10:11PM',
    '09/25/2018 12:11 am',
    '09/25/2018 12:11:59 pm',
    '09/25/2018 10:11  PM',
    '09/25/2018 10:11 P',
    '09/25/2018 10:1',
    '09/25/2018 10:111',
    '09/25/2018 10:11:5',
    '09/25/20188 10:11',
    '009/25/2018 10:11',
    '09/25/2018  10:11',
    '09/25/2018T10:11',
    '13/01/2022 10:00',
    '02/30/2022 10:00:00',
    '12/01/2022 25:00',
    '12/01/2022 23:60',
    '12/01/2022 23:59:60',
    '00/10/2022 10:00',
    '10/00/2022 10:00',
    '',
    ' ',
    'yesterday',
    '2022-13-01T00:00:00.000',
    '2022-12-32T00:00',
    '12/31/2022 13:00 PM',
    '12/31/2022 0:00 AM',
    '1/1/2022 1:00',
    '1/1/2022 1:00:00 AM',
  ];
  it.each(samples)('%j', (text) => {
    expect(parseCityLocalTimestamp(text)).toEqual(referenceParse(text));
  });

  it('agrees on 20,000 random strings built from the formats’ pieces', () => {
    let seed = 17;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ['0', '1', '2', '9', '12', '31', '59', '60', '2023', '/', '-', ':', '.', ' ', 'T', 'AM', 'pm', '000', '5'];
    for (let index = 0; index < 20_000; index++) {
      let text = '';
      const count = 3 + next(12);
      for (let piece = 0; piece < count; piece++) text += pieces[next(pieces.length)];
      expect(parseCityLocalTimestamp(text), text).toEqual(referenceParse(text));
    }
  });

  it('agrees on 20,000 random timestamps in both formats, in range and out of it', () => {
    let seed = 29;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pad = (value: number, width: number) => String(value).padStart(width, '0');
    let accepted = 0;
    for (let index = 0; index < 20_000; index++) {
      const [year, month, day, hour, minute, second] = [1999 + next(30), next(14), next(33), next(26), next(62), next(62)];
      const text =
        next(2) === 0
          ? `${year}-${pad(month, 2)}-${pad(day, 2)}${next(2) ? 'T' : ' '}${pad(hour, 2)}:${pad(minute, 2)}${next(3) ? `:${pad(second, 2)}${next(2) ? `.${pad(next(1000), 1 + next(6))}` : ''}` : ''}`
          : `${next(2) ? pad(month, 2) : month}/${next(2) ? pad(day, 2) : day}/${year} ${next(2) ? pad(hour, 2) : hour}:${pad(minute, 2)}${next(2) ? `:${pad(second, 2)}` : ''}${['', ' AM', ' PM', 'am', ' pm'][next(5)]}`;
      const expected = referenceParse(text);
      if (expected) accepted += 1;
      expect(parseCityLocalTimestamp(text), text).toEqual(expected);
    }
    // Both outcomes are exercised.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(15_000);
  });
});
