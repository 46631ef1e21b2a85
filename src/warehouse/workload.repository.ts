import { sql, type Kysely } from 'kysely';
import { cityDateKey, cityLocalToInstant } from '../shared/city-time.js';
import { effectiveCloseSql, typeFilterSql } from './sql-fragments.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** Tickets created on one city day (days without tickets have no row). */
export interface CreatedDayCount {
  date: string;
  count: number;
}

/** Tickets of one type created on one city day. */
export interface TypeCreatedDayCount extends CreatedDayCount {
  typeKey: string;
  displayName: string;
}

/** Where the warehouse's tickets begin and end, in instants and city days (all null when empty). */
export interface CreatedRange {
  tickets: number;
  firstCreatedAt: Date | null;
  lastCreatedAt: Date | null;
  firstDay: string | null;
  lastDay: string | null;
}

/** City days from `from` to `through`, both included ('YYYY-MM-DD'). */
export interface CityDayRange {
  from: string;
  through: string;
  timeZone: string;
  typeKey?: string;
}

/** The instant a city day starts. */
export function cityDayStart(dateKey: string, timeZone: string): Date {
  const [year, month, day] = dateKey.split('-').map(Number);
  return cityLocalToInstant({ year: year!, month: month!, day: day!, hour: 0, minute: 0, second: 0 }, timeZone);
}

function instantBounds(range: CityDayRange): { since: Date; until: Date } {
  const [year, month, day] = range.through.split('-').map(Number);
  const until = cityLocalToInstant({ year: year!, month: month!, day: day! + 1, hour: 0, minute: 0, second: 0 }, range.timeZone);
  return { since: cityDayStart(range.from, range.timeZone), until };
}

/** First and last ticket creation, and their city days. */
export async function getCreatedRange(db: Db, timeZone: string, typeKey?: string): Promise<CreatedRange> {
  const result = await sql<{ tickets: number; first: Date | null; last: Date | null }>`
    select count(*) as tickets, min(f.created_at) as first, max(f.created_at) as last
    from fact_ticket f where true ${typeFilterSql(typeKey)}`.execute(db);
  const row = result.rows[0];
  const first = row?.first ?? null;
  const last = row?.last ?? null;
  return {
    tickets: Number(row?.tickets ?? 0),
    firstCreatedAt: first,
    lastCreatedAt: last,
    firstDay: first ? cityDateKey(first, timeZone) : null,
    lastDay: last ? cityDateKey(last, timeZone) : null,
  };
}

/** Tickets created per city day in the range (overall, or one type), days with tickets only. */
export async function getDailyCreatedCounts(db: Db, range: CityDayRange): Promise<CreatedDayCount[]> {
  const { since, until } = instantBounds(range);
  const result = await sql<{ day: string; count: number }>`
    select (f.created_at at time zone ${range.timeZone}::text)::date::text as day, count(*) as count
    from fact_ticket f
    where f.created_at >= ${since}::timestamptz and f.created_at < ${until}::timestamptz ${typeFilterSql(range.typeKey)}
    group by 1 order by 1`.execute(db);
  return result.rows.map((row) => ({ date: row.day, count: Number(row.count) }));
}

/** Tickets created per type and city day in the range, days with tickets only. */
export async function getDailyCreatedCountsByType(db: Db, range: Omit<CityDayRange, 'typeKey'>): Promise<TypeCreatedDayCount[]> {
  const { since, until } = instantBounds(range);
  const result = await sql<{ type_key: string; display_name: string; day: string; count: number }>`
    select f.type_key, t.display_name, (f.created_at at time zone ${range.timeZone}::text)::date::text as day, count(*) as count
    from fact_ticket f join dim_request_type t on t.type_key = f.type_key
    where f.created_at >= ${since}::timestamptz and f.created_at < ${until}::timestamptz
    group by 1, 2, 3 order by 1, 3`.execute(db);
  return result.rows.map((row) => ({ typeKey: row.type_key, displayName: row.display_name, date: row.day, count: Number(row.count) }));
}

/**
 * Tickets open at an instant (created before it, not yet closed at it; a ticket closed without a
 * close date leaves the backlog when it was archived), overall or for one type.
 */
export async function countOpenAt(db: Db, at: Date, typeKey?: string): Promise<number> {
  const result = await sql<{ open: number }>`
    select count(*) as open from fact_ticket f
    where f.created_at < ${at}::timestamptz
      and (${effectiveCloseSql} is null or ${effectiveCloseSql} >= ${at}::timestamptz) ${typeFilterSql(typeKey)}`.execute(db);
  return Number(result.rows[0]?.open ?? 0);
}

/** Tickets that left the backlog in the city days of the range (same close rule as countOpenAt). */
export async function countClosuresBetween(db: Db, range: CityDayRange): Promise<number> {
  const { since, until } = instantBounds(range);
  const result = await sql<{ closed: number }>`
    select count(*) as closed from fact_ticket f
    where f.created_at < ${until}::timestamptz
      and ${effectiveCloseSql} >= ${since}::timestamptz and ${effectiveCloseSql} < ${until}::timestamptz ${typeFilterSql(range.typeKey)}`.execute(
    db,
  );
  return Number(result.rows[0]?.closed ?? 0);
}
