import { zoneOffsetMinutes } from '../shared/city-time.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** City-local hour, ISO weekday and month, with the zone offset cached per 15-minute slot. */
export class CityCalendar {
  private readonly offsets = new Map<number, number>();
  private readonly months = new Map<number, number>();
  constructor(private readonly timeZone: string) {}

  partsOf(epochMs: number): { hour: number; isoWeekday: number; month: number } {
    const slot = Math.floor(epochMs / 900_000);
    let offsetMinutes = this.offsets.get(slot);
    if (offsetMinutes === undefined) {
      offsetMinutes = zoneOffsetMinutes(slot * 900_000, this.timeZone);
      this.offsets.set(slot, offsetMinutes);
    }
    const local = epochMs + offsetMinutes * 60_000;
    const day = Math.floor(local / DAY_MS);
    const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
    const isoWeekday = ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday (4)
    let month = this.months.get(day);
    if (month === undefined) {
      month = new Date(day * DAY_MS).getUTCMonth() + 1;
      this.months.set(day, month);
    }
    return { hour, isoWeekday, month };
  }
}
