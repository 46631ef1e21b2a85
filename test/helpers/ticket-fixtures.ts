import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { cityDateKey, cityLocalToInstant, parseCityLocalTimestamp } from '../../src/shared/city-time.js';
import type { WarehouseSchema } from '../../src/warehouse/schema.js';
import { createSeededRandom } from '../../src/shared/seeded-random.js';

export const FIXTURE_TIME_ZONE = 'America/New_York';

/** An instant from city-local wall time 'YYYY-MM-DD HH:MM' (America/New_York unless told). */
export function cityTime(text: string, timeZone = FIXTURE_TIME_ZONE): Date {
  const local = parseCityLocalTimestamp(text.length === 10 ? `${text} 00:00` : text);
  if (!local) throw new Error(`Not a local time: ${text}`);
  return cityLocalToInstant(local, timeZone);
}

/** One ticket as a test describes it; everything but id, type and creation has a default. */
export interface FixtureTicket {
  ticketId: string;
  /** Display name; the type key is derived from it (lower snake case) unless typeKey is given. */
  requestType: string;
  typeKey?: string;
  createdAt: Date;
  closedAt?: Date | null;
  lastUpdatedAt?: Date | null;
  /** Default: 'Closed' when closedAt is set, else 'Open'. */
  status?: string;
  /** Default: no closedAt and an open status. */
  isOpen?: boolean;
  durationFlag?: 'negative_duration' | 'implausible_duration' | null;
  latitude?: number | null;
  longitude?: number | null;
  commissionDistrict?: string | null;
  policeSector?: string | null;
  description?: string | null;
  reporterDisplay?: string | null;
}

/** Type key as ingest derives it ("Trash / Debris (Private)" -> 'trash_debris_private'). */
export function fixtureTypeKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const OPEN_STATUSES = new Set(['Open', 'Submitted', 'Acknowledged', 'In Process', 'Received']);

/**
 * Inserts tickets straight into the star schema (dimensions included), replacing tickets with
 * the same id — tests use that to close a ticket later. Duration flags are derived from the
 * times unless given, the way ingest derives them; so is archived_at (the last update of a ticket
 * first seen not open without a close date, kept when the ticket is replaced later).
 */
export async function insertFixtureTickets(
  db: Kysely<WarehouseSchema>,
  tickets: readonly FixtureTicket[],
  timeZone = FIXTURE_TIME_ZONE,
): Promise<void> {
  if (tickets.length === 0) return;
  const rows = tickets.map((ticket) => {
    const typeKey = ticket.typeKey ?? fixtureTypeKey(ticket.requestType);
    const closedAt = ticket.closedAt ?? null;
    const status = ticket.status ?? (closedAt ? 'Closed' : 'Open');
    const isOpen = ticket.isOpen ?? (closedAt === null && OPEN_STATUSES.has(status));
    const minutesToClose = closedAt ? (closedAt.getTime() - ticket.createdAt.getTime()) / 60_000 : null;
    const durationFlag =
      ticket.durationFlag !== undefined
        ? ticket.durationFlag
        : minutesToClose !== null && minutesToClose < 0
          ? 'negative_duration'
          : minutesToClose !== null && minutesToClose > 5 * 365 * 24 * 60
            ? 'implausible_duration'
            : null;
    // Ingest stores descriptions trimmed, blank as null.
    const description = ticket.description?.trim() || null;
    return {
      ticket,
      typeKey,
      closedAt,
      status,
      isOpen,
      minutesToClose,
      durationFlag,
      description,
      createdDate: cityDateKey(ticket.createdAt, timeZone),
      locationKey: `${ticket.commissionDistrict ?? '-'}|${ticket.policeSector ?? '-'}`,
    };
  });

  const types = new Map(rows.map((row) => [row.typeKey, row.ticket.requestType]));
  await sql`
    insert into dim_request_type (type_key, display_name)
    select key, name from jsonb_to_recordset(${JSON.stringify([...types].map(([key, name]) => ({ key, name })))}::jsonb) as x(key text, name text)
    on conflict (type_key) do nothing`.execute(db);
  const statuses = new Map(rows.map((row) => [row.status, OPEN_STATUSES.has(row.status)]));
  await sql`
    insert into dim_status (status, is_open_state)
    select status, open from jsonb_to_recordset(${JSON.stringify([...statuses].map(([status, open]) => ({ status, open })))}::jsonb) as x(status text, open boolean)
    on conflict (status) do nothing`.execute(db);
  const dates = [...new Set(rows.map((row) => row.createdDate))];
  await sql`
    insert into dim_date (date_key, year, quarter, month, day_of_month, iso_dow, week_start, is_weekend)
    select d, extract(year from d), extract(quarter from d), extract(month from d), extract(day from d),
      extract(isodow from d), date_trunc('week', d)::date, extract(isodow from d) >= 6
    from unnest(${`{${dates.join(',')}}`}::date[]) as d
    on conflict (date_key) do nothing`.execute(db);
  const locations = new Map(rows.map((row) => [row.locationKey, [row.ticket.commissionDistrict ?? null, row.ticket.policeSector ?? null]]));
  await sql`
    insert into dim_location (location_key, commission_district, police_sector)
    select key, district, sector from jsonb_to_recordset(${JSON.stringify(
      [...locations].map(([key, [district, sector]]) => ({ key, district, sector })),
    )}::jsonb) as x(key text, district text, sector text)
    on conflict (location_key) do nothing`.execute(db);

  // Chunks keep each statement under the bind-parameter limit.
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    await db
      .insertInto('fact_ticket')
      .values(
        chunk.map((row) => ({
          ticket_id: row.ticket.ticketId,
          type_key: row.typeKey,
          request_type: row.ticket.requestType,
          status: row.status,
          created_at: row.ticket.createdAt,
          created_date: row.createdDate,
          acknowledged_at: null,
          closed_at: row.closedAt,
          reopened_at: null,
          last_updated_at: row.ticket.lastUpdatedAt ?? row.closedAt ?? row.ticket.createdAt,
          // As ingest: archived when first seen not open without a close date, then frozen (below).
          archived_at: row.closedAt === null && !row.isOpen ? (row.ticket.lastUpdatedAt ?? row.ticket.createdAt) : null,
          minutes_to_close: row.minutesToClose,
          minutes_to_acknowledge: null,
          source_minutes_to_close: row.minutesToClose,
          duration_flag: row.durationFlag,
          is_open: row.isOpen,
          latitude: row.ticket.latitude ?? null,
          longitude: row.ticket.longitude ?? null,
          location_key: row.locationKey,
          commission_district: row.ticket.commissionDistrict ?? null,
          police_sector: row.ticket.policeSector ?? null,
          location_detail: null,
          reporter_display: row.ticket.reporterDisplay ?? null,
          assigned_to: null,
          description: row.description,
          description_length: row.description?.length ?? 0,
          source_updated_at: null,
          row_hash: createHash('sha1').update(JSON.stringify(row.ticket)).digest('hex'),
          ingest_run_id: null,
        })),
      )
      .onConflict((oc) =>
        oc.column('ticket_id').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          closed_at: eb.ref('excluded.closed_at'),
          last_updated_at: eb.ref('excluded.last_updated_at'),
          archived_at: sql<Date | null>`coalesce(fact_ticket.archived_at, excluded.archived_at)`,
          minutes_to_close: eb.ref('excluded.minutes_to_close'),
          duration_flag: eb.ref('excluded.duration_flag'),
          is_open: eb.ref('excluded.is_open'),
          row_hash: eb.ref('excluded.row_hash'),
        })),
      )
      .execute();
  }
}

/** A deterministic pseudo-random generator (mulberry32) so generated fixtures are the same every run. */
export function seededRandom(seed: number): () => number {
  return createSeededRandom(seed);
}

/**
 * A realistic mix of tickets for point-in-time tests: several types with different speeds,
 * ties at the same instant, open, late, archived-without-close and flagged tickets, named and
 * anonymous reporters.
 */
export function generateFixtureTickets(options: {
  count: number;
  start: Date;
  days: number;
  seed?: number;
  idPrefix?: string;
}): FixtureTicket[] {
  const random = seededRandom(options.seed ?? 7);
  const types = [
    { name: 'Road Repair', meanHours: 90 },
    { name: 'Streetlight/Lamp', meanHours: 40 },
    { name: 'Noise Complaint', meanHours: 10 },
    { name: 'Graffiti', meanHours: 150 },
  ];
  const reporters = ['andy k', 'Jose', 'An anonymous SeeClickFix user', 'Guest', null, 'soodohnim'];
  const spanMs = options.days * 86_400_000;
  const tickets: FixtureTicket[] = [];
  let previous = options.start.getTime();
  for (let i = 0; i < options.count; i++) {
    // Every 10th ticket shares the previous creation instant (bulk imports do this).
    const createdMs = i % 10 === 9 ? previous : options.start.getTime() + Math.floor((random() * spanMs) / 60_000) * 60_000;
    previous = createdMs;
    const type = types[Math.floor(random() * types.length)];
    const roll = random();
    const durationMs = Math.round(-Math.log(1 - random()) * type.meanHours * 60) * 60_000;
    let closedAt: Date | null = new Date(createdMs + durationMs);
    let status: string | undefined;
    let isOpen: boolean | undefined;
    let lastUpdatedAt: Date | null = null;
    if (roll < 0.08) {
      closedAt = null; // still open
    } else if (roll < 0.14) {
      closedAt = null; // archived without a close date
      status = 'Archived';
      isOpen = false;
      lastUpdatedAt = new Date(createdMs + 20 * 86_400_000);
    } else if (roll < 0.16) {
      closedAt = new Date(createdMs - 3_600_000); // negative duration
    }
    tickets.push({
      ticketId: `${options.idPrefix ?? 'T'}${String(i).padStart(6, '0')}`,
      requestType: type.name,
      createdAt: new Date(createdMs),
      closedAt,
      status,
      isOpen,
      lastUpdatedAt,
      latitude: 29.6 + random() * 0.1,
      longitude: -82.4 + random() * 0.1,
      commissionDistrict: String(1 + Math.floor(random() * 4)),
      policeSector: random() < 0.8 ? String(1 + Math.floor(random() * 8)) : null,
      description: random() < 0.6 ? 'x'.repeat(1 + Math.floor(random() * 80)) : null,
      reporterDisplay: reporters[Math.floor(random() * reporters.length)],
    });
  }
  return tickets;
}
