// warehouse/: the reads of the Open311 GeoReport v2 API (src/open311): request types with their
// spellings, and tickets by creation window or by id, each with its SLA deadline and stored score.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { textArrayLiteral } from './pg-array-literal.js';
import type { WarehouseSchema } from './schema.js';
import { effectiveCloseSql, effectiveSlaHoursSql } from './sql-fragments.js';

type Db = Kysely<WarehouseSchema>;

/** A request type and every spelling of it the feed used. */
export interface Open311ServiceRow {
  typeKey: string;
  displayName: string;
  aliases: string[];
}

/** A ticket with what a GeoReport service request shows. */
export interface Open311TicketRow {
  ticketId: string;
  typeKey: string;
  serviceName: string;
  cityStatus: string;
  /** Not closed, nor archived without a close date (the warehouse's effective-close rule). */
  open: boolean;
  description: string | null;
  assignedTo: string | null;
  createdAt: Date;
  updatedAt: Date | null;
  /** The stored SLA deadline (migration 017); a row without one: created_at + the type's effective hours. */
  dueAt: Date | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  /** The stored probability of `modelVersion` for the ticket as it is now; null without one. */
  breachProbability: number | null;
}

/** What every ticket read needs besides its filter. */
export interface Open311ReadOptions {
  /** The served model's version (its stored scores); null before the first training. */
  modelVersion: string | null;
  /** Configured SLA_HOURS: the SLA only when sla_policy has no '*' row. */
  fallbackSlaHours: number;
}

export interface Open311RequestFilter extends Open311ReadOptions {
  /** requested_datetime (created_at) bounds, both included. */
  from: Date;
  to: Date;
  /** Empty or absent: both. */
  statuses?: readonly ('open' | 'closed')[];
  /** Type keys; empty or absent: every type. */
  serviceCodes?: readonly string[];
  limit: number;
  offset: number;
}

/** Every request type by display name, with the feed's other spellings. */
export async function listOpen311Services(db: Db): Promise<Open311ServiceRow[]> {
  const [types, aliases] = await Promise.all([
    db.selectFrom('dim_request_type').select(['type_key', 'display_name']).orderBy('display_name').orderBy('type_key').execute(),
    db.selectFrom('dim_request_type_alias').select(['source_name', 'type_key']).orderBy('source_name').execute(),
  ]);
  const byType = new Map<string, string[]>();
  for (const alias of aliases) byType.set(alias.type_key, [...(byType.get(alias.type_key) ?? []), alias.source_name]);
  return types.map((type) => ({ typeKey: type.type_key, displayName: type.display_name, aliases: byType.get(type.type_key) ?? [] }));
}

interface TicketSqlRow {
  ticket_id: string;
  type_key: string;
  display_name: string;
  status: string;
  open: boolean;
  description: string | null;
  assigned_to: string | null;
  created_at: Date;
  last_updated_at: Date | null;
  due_at: Date | null;
  location_detail: string | null;
  latitude: number | null;
  longitude: number | null;
  probability: number | null;
}

/** The select of the ticket reads: tickets `f` restricted by `where`, with type, deadline and score. */
function ticketsSql(options: Open311ReadOptions, where: RawBuilder<unknown>, tail: RawBuilder<unknown>): RawBuilder<TicketSqlRow> {
  const score =
    options.modelVersion === null
      ? sql`null::float8`
      : sql`(select s.probability from ticket_score s
          where s.model_version = ${options.modelVersion} and s.ticket_id = f.ticket_id
            and s.created_at = f.created_at and s.type_key = f.type_key)`;
  return sql<TicketSqlRow>`
    select f.ticket_id, f.type_key, t.display_name, f.status, (${effectiveCloseSql} is null) as open,
      f.description, f.assigned_to, f.created_at, f.last_updated_at,
      coalesce(f.sla_due_at, f.created_at + ${effectiveSlaHoursSql(sql`f.type_key`, options.fallbackSlaHours)} * interval '1 hour') as due_at,
      f.location_detail, f.latitude, f.longitude, ${score} as probability
    from fact_ticket f
    join dim_request_type t on t.type_key = f.type_key
    where ${where}
    ${tail}`;
}

function toTicketRow(row: TicketSqlRow): Open311TicketRow {
  const at = (value: Date | null) => (value === null ? null : new Date(value));
  const number = (value: number | null) => (value === null ? null : Number(value));
  return {
    ticketId: row.ticket_id,
    typeKey: row.type_key,
    serviceName: row.display_name,
    cityStatus: row.status,
    open: row.open,
    description: row.description,
    assignedTo: row.assigned_to,
    createdAt: new Date(row.created_at),
    updatedAt: at(row.last_updated_at),
    dueAt: at(row.due_at),
    address: row.location_detail,
    latitude: number(row.latitude),
    longitude: number(row.longitude),
    breachProbability: number(row.probability),
  };
}

/**
 * One page of the tickets created in [from, to] (both included), newest first (ties by id), of
 * the given statuses and types. Reads `limit` rows from `offset`.
 */
export async function findOpen311Requests(db: Db, filter: Open311RequestFilter): Promise<Open311TicketRow[]> {
  const statuses = new Set(filter.statuses ?? []);
  const statusFilter =
    statuses.size === 1
      ? statuses.has('open')
        ? sql`and ${effectiveCloseSql} is null`
        : sql`and ${effectiveCloseSql} is not null`
      : sql``;
  const typeFilter =
    filter.serviceCodes && filter.serviceCodes.length > 0
      ? sql`and f.type_key = any(${textArrayLiteral(filter.serviceCodes)}::text[])`
      : sql``;
  const where = sql`f.created_at >= ${filter.from}::timestamptz and f.created_at <= ${filter.to}::timestamptz ${statusFilter} ${typeFilter}`;
  const tail = sql`order by f.created_at desc, f.ticket_id collate "C" limit ${filter.limit} offset ${filter.offset}`;
  const result = await ticketsSql(filter, where, tail).execute(db);
  return result.rows.map(toTicketRow);
}

/** The tickets with these ids, in the order given (ids the warehouse does not hold are left out). */
export async function findOpen311RequestsById(
  db: Db,
  ticketIds: readonly string[],
  options: Open311ReadOptions,
): Promise<Open311TicketRow[]> {
  if (ticketIds.length === 0) return [];
  const result = await ticketsSql(options, sql`f.ticket_id = any(${textArrayLiteral(ticketIds)}::text[])`, sql``).execute(db);
  const byId = new Map(result.rows.map((row) => [row.ticket_id, toTicketRow(row)]));
  return ticketIds.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}
