import { sql, type Kysely, type Transaction } from 'kysely';
import type { SlaClockContext } from '../analytics/sla-clock.js';
import { DEFAULT_SLA_POLICY_KEY } from '../analytics/sla-policy.js';
import { isOpenState } from '../analytics/ticket-lifecycle.js';
import type { WarehouseSchema } from './schema.js';
import { fillStagedBusinessDueDates } from './sla-due.repository.js';
import type { CopyIn } from './staging-copy.js';
import type { TicketRecord } from './ticket-record.js';

type Trx = Transaction<WarehouseSchema>;

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Key of the location dimension: district and police sector, '-' for unknown. */
export function locationKeyOf(district: string | null, sector: string | null): string {
  return `${district ?? '-'}|${sector ?? '-'}`;
}

// COPY's text format: a tab between columns, \N for null, and backslash, tab, newline and carriage
// return escaped with a backslash.
const NULL = '\\N';
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const text = (value: string | null): string =>
  value === null ? NULL : SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
const number = (value: number | null): string => (value === null || !Number.isFinite(value) ? NULL : String(value));
const instant = (value: Date | null): string => (value === null ? NULL : value.toISOString());
const bool = (value: boolean): string => (value ? 't' : 'f');
// JSON text holds no raw tab or newline (JSON escapes them), only backslashes.
const json = (value: string): string => (value.includes('\\') ? value.replaceAll('\\', '\\\\') : value);

/** Columns of ingest_staging that a chunk COPYs, and how a ticket fills each (batch_id is the default). */
const STAGING_COLUMNS: readonly [string, (t: TicketRecord) => string][] = [
  ['ticket_id', (t) => text(t.ticketId)],
  ['type_key', (t) => text(t.typeKey)],
  ['request_type', (t) => text(t.requestType)],
  ['status', (t) => text(t.status)],
  ['status_is_open', (t) => bool(t.statusIsOpen ?? isOpenState(t.status))],
  ['created_at', (t) => instant(t.createdAt)],
  ['created_date', (t) => t.createdDate],
  ['acknowledged_at', (t) => instant(t.acknowledgedAt)],
  ['closed_at', (t) => instant(t.closedAt)],
  ['reopened_at', (t) => instant(t.reopenedAt)],
  ['last_updated_at', (t) => instant(t.lastUpdatedAt)],
  ['minutes_to_close', (t) => number(t.minutesToClose)],
  ['minutes_to_acknowledge', (t) => number(t.minutesToAcknowledge)],
  ['source_minutes_to_close', (t) => number(t.sourceMinutesToClose)],
  ['duration_flag', (t) => text(t.durationFlag)],
  ['is_open', (t) => bool(t.closedAt === null && (t.statusIsOpen ?? isOpenState(t.status)))],
  ['latitude', (t) => number(t.latitude)],
  ['longitude', (t) => number(t.longitude)],
  ['location_key', (t) => text(locationKeyOf(t.commissionDistrict, t.policeSector))],
  ['commission_district', (t) => text(t.commissionDistrict)],
  ['police_sector', (t) => text(t.policeSector)],
  ['location_detail', (t) => text(t.locationDetail)],
  ['reporter_display', (t) => text(t.reporterDisplay)],
  ['assigned_to', (t) => text(t.assignedTo)],
  ['description', (t) => text(t.description)],
  ['description_length', (t) => String(t.description?.length ?? 0)],
  ['source_updated_at', (t) => instant(t.sourceUpdatedAt)],
  ['row_hash', (t) => text(t.rowHash)],
  ['payload', (t) => json(t.payloadJson)],
];
const COPY_STATEMENT = `COPY ingest_staging (${STAGING_COLUMNS.map(([name]) => name).join(', ')})`;
const FORMATTERS = STAGING_COLUMNS.map(([, format]) => format);

/** fact_ticket's columns filled from the staging row of the same name. */
const FACT_COLUMNS = STAGING_COLUMNS.map(([name]) => name).filter((name) => name !== 'status_is_open' && name !== 'payload');
const FACT_COLUMN_LIST = FACT_COLUMNS.join(', ');
/** The same columns read from staging row `s` (the insert joins sla_policy, which has a type_key too). */
const STAGED_COLUMN_LIST = FACT_COLUMNS.map((name) => `s.${name}`).join(', ');

/**
 * A chunk of validated tickets as the text COPY reads: one string, so the ticket objects can be
 * freed while the statements run (they are not copied by the garbage collector meanwhile).
 */
export interface PreparedTicketBatch {
  /** Tickets in the chunk, repeats of a ticket included (they count as unchanged). */
  size: number;
  copyText: string;
}

/**
 * Builds the COPY text of a chunk. Within one chunk the last version of a ticket wins (ON
 * CONFLICT may touch a row only once); the upsert statements take rows in ticket-id order, so
 * concurrent chunks lock rows in one global order and cannot deadlock each other.
 */
export function prepareTicketBatch(batch: readonly TicketRecord[]): PreparedTicketBatch {
  const latest = new Map<string, TicketRecord>();
  for (const ticket of batch) latest.set(ticket.ticketId, ticket);
  const lines: string[] = [];
  for (const ticket of latest.values()) {
    let line = FORMATTERS[0]!(ticket);
    for (let index = 1; index < FORMATTERS.length; index++) line += `\t${FORMATTERS[index]!(ticket)}`;
    lines.push(line);
  }
  return { size: batch.length, copyText: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
}

// This transaction's own staged rows (see batch_id in db/migrations/010_ingest_staging.sql).
const OWN_ROWS = sql`ingest_staging where batch_id = txid_current()`;

/**
 * Upserts a prepared chunk: COPYs it into ingest_staging, then fills the dimensions, raw_ticket and
 * fact_ticket from there in SQL, all in the caller's transaction. A ticket whose data hash is
 * unchanged is left untouched, so re-ingesting the same rows changes nothing; an older copy
 * (an out-of-order page, a snapshot without :updated_at) never replaces a newer one.
 */
export async function upsertTicketBatch(
  trx: Trx,
  copyIn: CopyIn,
  batch: PreparedTicketBatch,
  context: {
    runId: number;
    fetchedAt: Date;
    /** The city's zone and holidays, for types on a business-hours SLA clock; without it their deadlines stay null (filled at start-up). */
    slaClock?: SlaClockContext;
  },
): Promise<UpsertCounts> {
  if (batch.size === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  await copyIn(COPY_STATEMENT, batch.copyText);
  // Each dimension takes the value the old per-chunk maps kept: the first ticket (by id) names a
  // type, the last one an alias and a location.
  await sql`
    insert into dim_request_type (type_key, display_name)
    select distinct on (type_key) type_key, request_type from ${OWN_ROWS} order by type_key, ticket_id
    on conflict (type_key) do nothing`.execute(trx);
  await sql`
    insert into dim_request_type_alias (source_name, type_key)
    select distinct on (request_type) request_type, type_key from ${OWN_ROWS} order by request_type, ticket_id desc
    on conflict (source_name) do nothing`.execute(trx);
  await sql`
    insert into dim_status (status, is_open_state)
    select distinct on (status) status, status_is_open from ${OWN_ROWS} order by status
    on conflict (status) do nothing`.execute(trx);
  await sql`
    insert into dim_date (date_key, year, quarter, month, day_of_month, iso_dow, week_start, is_weekend)
    select d, extract(year from d), extract(quarter from d), extract(month from d), extract(day from d),
           extract(isodow from d), (d - (extract(isodow from d)::int - 1)), extract(isodow from d) >= 6
    from (select distinct created_date as d from ${OWN_ROWS} order by 1) days
    on conflict (date_key) do nothing`.execute(trx);
  await sql`
    insert into dim_location (location_key, commission_district, police_sector)
    select distinct on (location_key) location_key, commission_district, police_sector
    from ${OWN_ROWS} order by location_key, ticket_id desc
    on conflict (location_key) do nothing`.execute(trx);

  const rawResult = await sql<{ inserted: number; updated: number }>`
    with upserted as (
      insert into raw_ticket (ticket_id, payload, payload_hash, source_updated_at, fetched_at, ingest_run_id)
      select ticket_id, payload, row_hash, source_updated_at, ${context.fetchedAt}, ${context.runId}
      from ${OWN_ROWS} order by ticket_id
      on conflict (ticket_id) do update set
        payload = excluded.payload,
        payload_hash = excluded.payload_hash,
        source_updated_at = excluded.source_updated_at,
        fetched_at = excluded.fetched_at,
        ingest_run_id = excluded.ingest_run_id
      where raw_ticket.payload_hash <> excluded.payload_hash
        and (raw_ticket.source_updated_at is null
             or excluded.source_updated_at >= raw_ticket.source_updated_at)
      returning (xmax = 0) as is_insert
    )
    select count(*) filter (where is_insert)::int as inserted, count(*) filter (where not is_insert)::int as updated
    from upserted`.execute(trx);

  // sla_due_at: on a wall clock created_at + the type's hours (own row, else '*'), as every report
  // counted; on a business clock null here, computed in TypeScript just below.
  await sql`
    insert into fact_ticket (${sql.raw(FACT_COLUMN_LIST)}, ingest_run_id, archived_at, sla_due_at)
    select ${sql.raw(STAGED_COLUMN_LIST)}, ${context.runId},
      -- First seen no longer open without a close date: archived now (frozen below).
      case when s.closed_at is null and not s.is_open then coalesce(s.last_updated_at, s.created_at) end,
      case when (case when own.type_key is null then coalesce(star.clock, 'wall') else own.clock end) = 'wall'
        then s.created_at + coalesce(own.sla_hours, star.sla_hours) * interval '1 hour' end
    from ingest_staging s
    left join sla_policy own on own.type_key = s.type_key
    left join sla_policy star on star.type_key = ${DEFAULT_SLA_POLICY_KEY}
    where s.batch_id = txid_current()
    order by s.ticket_id
    on conflict (ticket_id) do update set
      type_key = excluded.type_key, request_type = excluded.request_type, status = excluded.status,
      created_at = excluded.created_at, created_date = excluded.created_date,
      acknowledged_at = excluded.acknowledged_at, closed_at = excluded.closed_at,
      reopened_at = excluded.reopened_at, last_updated_at = excluded.last_updated_at,
      minutes_to_close = excluded.minutes_to_close, minutes_to_acknowledge = excluded.minutes_to_acknowledge,
      source_minutes_to_close = excluded.source_minutes_to_close, duration_flag = excluded.duration_flag,
      is_open = excluded.is_open, latitude = excluded.latitude, longitude = excluded.longitude,
      location_key = excluded.location_key, commission_district = excluded.commission_district,
      police_sector = excluded.police_sector, location_detail = excluded.location_detail,
      reporter_display = excluded.reporter_display, assigned_to = excluded.assigned_to,
      description = excluded.description, description_length = excluded.description_length,
      source_updated_at = excluded.source_updated_at, row_hash = excluded.row_hash,
      ingest_run_id = excluded.ingest_run_id,
      archived_at = coalesce(fact_ticket.archived_at, excluded.archived_at),
      sla_due_at = excluded.sla_due_at
    where fact_ticket.row_hash <> excluded.row_hash
      and (fact_ticket.source_updated_at is null
           or excluded.source_updated_at >= fact_ticket.source_updated_at)`.execute(trx);
  if (context.slaClock) await fillStagedBusinessDueDates(trx, context.slaClock);

  const { inserted, updated } = rawResult.rows[0] ?? { inserted: 0, updated: 0 };
  return { inserted, updated, unchanged: batch.size - inserted - updated };
}

/**
 * Empties ingest_staging. Only rows of committed chunks are there (consumed already, each chunk
 * reads only its own transaction's rows), so this is housekeeping, safe whenever it runs.
 */
export async function clearStaging(db: Trx | Kysely<WarehouseSchema>): Promise<void> {
  await sql`truncate ingest_staging`.execute(db);
}
