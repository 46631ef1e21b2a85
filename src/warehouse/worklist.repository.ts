import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import { effectiveCloseSql, effectiveSlaHoursSql } from './sql-fragments.js';

type Db = Kysely<WarehouseSchema>;

/** An open ticket as the worklist shows it, with the SLA of its type. */
export interface OpenTicket {
  ticketId: string;
  typeKey: string;
  /** Display name of the canonical request type. */
  requestType: string;
  /** The city's status text now (e.g. "In Process"). */
  status: string;
  createdAt: Date;
  /** The city's location text (street address or place), when it has one. */
  address: string | null;
  /** Commission district as the city writes it, e.g. "District 2". */
  district: string | null;
  /** Effective SLA of its type: own sla_policy row, else '*', else the configured SLA_HOURS. */
  slaHours: number;
}

export interface OpenTicketFilter {
  /** Open at this instant: created at or before it and not closed (nor archived) by it. */
  asOf: Date;
  /** Canonical type key (resolve a person's text first). */
  typeKey?: string;
  /** Commission district, compared ignoring case and surrounding spaces. */
  district?: string;
  /** Configured SLA_HOURS: the SLA only when sla_policy has no '*' row. */
  fallbackSlaHours: number;
}

interface OpenTicketRow {
  ticket_id: string;
  type_key: string;
  display_name: string;
  status: string;
  created_at: Date;
  location_detail: string | null;
  commission_district: string | null;
  sla_hours: number;
}

/**
 * Tickets open at `asOf` (created ≤ asOf, and their close — closed_at, or archived_at for a
 * ticket archived without a close date — null or after asOf), oldest first, optionally of one type
 * and one district. A ticket closed after asOf counts as open then (replays of past instants).
 */
export async function findOpenTicketsAt(db: Db, filter: OpenTicketFilter): Promise<OpenTicket[]> {
  const typeFilter = filter.typeKey === undefined ? sql`` : sql`and f.type_key = ${filter.typeKey}`;
  const districtFilter =
    filter.district === undefined ? sql`` : sql`and lower(trim(f.commission_district)) = ${filter.district.trim().toLowerCase()}`;
  const result = await sql<OpenTicketRow>`
    select f.ticket_id, f.type_key, t.display_name, f.status, f.created_at, f.location_detail, f.commission_district,
      ${effectiveSlaHoursSql(sql`f.type_key`, filter.fallbackSlaHours)} as sla_hours
    from fact_ticket f join dim_request_type t on t.type_key = f.type_key
    where f.created_at <= ${filter.asOf}::timestamptz
      and (${effectiveCloseSql} is null or ${effectiveCloseSql} > ${filter.asOf}::timestamptz)
      ${typeFilter} ${districtFilter}
    order by f.created_at, f.ticket_id collate "C"`.execute(db);
  return result.rows.map((row) => ({
    ticketId: row.ticket_id,
    typeKey: row.type_key,
    requestType: row.display_name,
    status: row.status,
    createdAt: new Date(row.created_at),
    address: row.location_detail,
    district: row.commission_district,
    slaHours: Number(row.sla_hours),
  }));
}

/**
 * The tickets open at `filter.asOf` (findOpenTicketsAt's rule) as a subquery of
 * (ticket_id, created_at, type_key), for the worklist's per-request reads. Written as two disjoint
 * branches, each an index range: never closed (the close instant is null exactly then;
 * migration 016's index holds the id) and leaving the backlog after asOf (013's close-instant
 * index). One `close is null or close > asOf` condition made PostgreSQL read every heap page.
 */
export function openTicketsAtSql(filter: Omit<OpenTicketFilter, 'fallbackSlaHours'>): RawBuilder<unknown> {
  const typeFilter = filter.typeKey === undefined ? sql`` : sql`and f.type_key = ${filter.typeKey}`;
  const districtFilter =
    filter.district === undefined ? sql`` : sql`and lower(trim(f.commission_district)) = ${filter.district.trim().toLowerCase()}`;
  return sql`(
    select f.ticket_id, f.created_at, f.type_key from fact_ticket f
    where f.is_open and f.closed_at is null and f.created_at <= ${filter.asOf}::timestamptz ${typeFilter} ${districtFilter}
    union all
    select f.ticket_id, f.created_at, f.type_key from fact_ticket f
    where ${effectiveCloseSql} > ${filter.asOf}::timestamptz and f.created_at <= ${filter.asOf}::timestamptz ${typeFilter} ${districtFilter}
  )`;
}

/**
 * The warehouse's last event: the latest creation, close (of a trusted duration) or archival.
 * Null when it holds no tickets. A view whose data stops before today answers as of this instant.
 */
export async function findLatestEventAt(db: Db): Promise<Date | null> {
  const result = await sql<{ latest: Date | null }>`
    select greatest(
      (select max(created_at) from fact_ticket),
      (select max(closed_at) from fact_ticket where duration_flag is null),
      (select max(archived_at) from fact_ticket)
    ) as latest`.execute(db);
  const latest = result.rows[0]?.latest;
  return latest === null || latest === undefined ? null : new Date(latest);
}
