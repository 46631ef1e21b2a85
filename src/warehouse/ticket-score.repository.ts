import { sql, type Kysely } from 'kysely';
import { DEFAULT_SLA_POLICY_KEY, HOUR_MS } from '../analytics/sla-policy.js';
import type { OpenRiskInputs } from '../analytics/worklist-ranking.js';
import type { WarehouseSchema } from './schema.js';
import { effectiveCloseSql, effectiveSlaHoursSql } from './sql-fragments.js';
import { openTicketsAtSql, type OpenTicketFilter } from './worklist.repository.js';

type Db = Kysely<WarehouseSchema>;

export type StoredRiskLevel = 'Low' | 'Medium' | 'High';

/** An open ticket with what the ranking needs, and its stored score (null when not scored yet). */
export interface OpenTicketScore {
  ticketId: string;
  createdAt: Date;
  typeKey: string;
  /** Effective SLA of its type: own sla_policy row, else '*', else the configured SLA_HOURS. */
  slaHours: number;
  /** Null when this model version has not scored the ticket as it is now (new, or its created_at or type changed). */
  probability: number | null;
}

/** One ticket's score by one model version, as the scorer gave it. */
export interface TicketScoreRow {
  ticketId: string;
  createdAt: Date;
  typeKey: string;
  probability: number;
  riskLevel: StoredRiskLevel;
  topFactors: string[];
}

/** An open ticket as the worklist shows it, with its stored score. */
export interface ScoredTicketDetail {
  ticketId: string;
  requestType: string;
  address: string | null;
  district: string | null;
  /** Null when `modelVersion` has no stored score for it. */
  score: { riskLevel: StoredRiskLevel; topFactors: string[] } | null;
}

/** Rows per insert: 6 parameters each stays far below PostgreSQL's 65,535 bind parameters. */
const INSERT_CHUNK = 2_000;

/**
 * Tickets open at `asOf` (same rule as findOpenTicketsAt: created ≤ asOf, effective close null or
 * after it), optionally of one type and one district, each with the probability `modelVersion`
 * stored for it — null when it has none for the ticket's current created_at and type.
 * Only the columns the ranking reads: the details of the few shown come from findScoredTicketDetails.
 */
export async function findOpenTicketScores(db: Db, filter: OpenTicketFilter & { modelVersion: string }): Promise<OpenTicketScore[]> {
  // created_at as epoch milliseconds: parsing one timestamp text per open ticket was a sixth of a request.
  const result = await sql<{ ticket_id: string; created_ms: number; type_key: string; sla_hours: number; probability: number | null }>`
    with policy as (
      select t.type_key, ${effectiveSlaHoursSql(sql`t.type_key`, filter.fallbackSlaHours)} as sla_hours from dim_request_type t
    )
    select f.ticket_id, floor(extract(epoch from f.created_at) * 1000)::float8 as created_ms, f.type_key, policy.sla_hours, s.probability
    from ${openTicketsAtSql(filter)} f
    join policy on policy.type_key = f.type_key
    left join ticket_score s
      on s.model_version = ${filter.modelVersion} and s.ticket_id = f.ticket_id
      and s.created_at = f.created_at and s.type_key = f.type_key`.execute(db);
  return result.rows.map((row) => ({
    ticketId: row.ticket_id,
    createdAt: new Date(Number(row.created_ms)),
    typeKey: row.type_key,
    slaHours: Number(row.sla_hours),
    probability: row.probability === null ? null : Number(row.probability),
  }));
}

/** Stores scores of one model version, replacing the ticket's older row of that version. */
export async function saveTicketScores(db: Db, modelVersion: string, scores: readonly TicketScoreRow[]): Promise<void> {
  for (let offset = 0; offset < scores.length; offset += INSERT_CHUNK) {
    await db
      .insertInto('ticket_score')
      .values(
        scores.slice(offset, offset + INSERT_CHUNK).map((score) => ({
          model_version: modelVersion,
          ticket_id: score.ticketId,
          created_at: score.createdAt,
          type_key: score.typeKey,
          probability: score.probability,
          risk_level: score.riskLevel,
          top_factors: JSON.stringify(score.topFactors),
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['model_version', 'ticket_id']).doUpdateSet((eb) => ({
          created_at: eb.ref('excluded.created_at'),
          type_key: eb.ref('excluded.type_key'),
          probability: eb.ref('excluded.probability'),
          risk_level: eb.ref('excluded.risk_level'),
          top_factors: eb.ref('excluded.top_factors'),
          scored_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }
}

/**
 * The shown fields of tickets, in the order of `ticketIds` (ids the warehouse does not hold are left
 * out), with the score `modelVersion` stored for each (null when it has none).
 */
export async function findScoredTicketDetails(db: Db, modelVersion: string, ticketIds: readonly string[]): Promise<ScoredTicketDetail[]> {
  if (ticketIds.length === 0) return [];
  const rows = await db
    .selectFrom('fact_ticket as f')
    .innerJoin('dim_request_type as t', 't.type_key', 'f.type_key')
    .leftJoin('ticket_score as s', (join) => join.onRef('s.ticket_id', '=', 'f.ticket_id').on('s.model_version', '=', modelVersion))
    .select(['f.ticket_id', 't.display_name', 'f.location_detail', 'f.commission_district', 's.risk_level', 's.top_factors'])
    .where('f.ticket_id', 'in', [...ticketIds])
    .execute();
  const byId = new Map(rows.map((row) => [row.ticket_id, row]));
  return ticketIds.flatMap((ticketId) => {
    const row = byId.get(ticketId);
    if (!row) return [];
    const score = row.risk_level === null || row.top_factors === null ? null : { riskLevel: row.risk_level, topFactors: row.top_factors };
    return [{ ticketId, requestType: row.display_name, address: row.location_detail, district: row.commission_district, score }];
  });
}

/** An open ticket `modelVersion` has no current score for. */
export interface UnscoredOpenTicket {
  ticketId: string;
  createdAt: Date;
  typeKey: string;
}

/**
 * Tickets open at `asOf` (same rule as findOpenTicketScores, any type and district) that
 * `modelVersion` has not scored as they are now, oldest first: what a warm-up scores.
 */
export async function findUnscoredOpenTickets(db: Db, filter: { asOf: Date; modelVersion: string }): Promise<UnscoredOpenTicket[]> {
  const result = await sql<{ ticket_id: string; created_at: Date; type_key: string }>`
    select f.ticket_id, f.created_at, f.type_key
    from ${openTicketsAtSql({ asOf: filter.asOf })} f
    join dim_request_type t on t.type_key = f.type_key
    where not exists (
        select 1 from ticket_score s
        where s.model_version = ${filter.modelVersion} and s.ticket_id = f.ticket_id
          and s.created_at = f.created_at and s.type_key = f.type_key
      )
    order by f.created_at, f.ticket_id`.execute(db);
  return result.rows.map((row) => ({ ticketId: row.ticket_id, createdAt: new Date(row.created_at), typeKey: row.type_key }));
}

/**
 * Each type's effective SLA hours and clock (own sla_policy row, else '*', else the configured
 * hours on the wall clock), as the CTE `policy (type_key, sla_hours, clock)`.
 */
function policyWithClockSql(fallbackSlaHours: number) {
  return sql`policy as (
      select t.type_key,
        coalesce(own.sla_hours, star.sla_hours, ${fallbackSlaHours}::float8) as sla_hours,
        case when own.type_key is not null then own.clock else coalesce(star.clock, 'wall') end as clock
      from dim_request_type t
      left join sla_policy own on own.type_key = t.type_key
      left join sla_policy star on star.type_key = ${DEFAULT_SLA_POLICY_KEY}
    )`;
}

/**
 * The worklist's deadline of open ticket `f` under `policy`: the stored sla_due_at for a type on a
 * business clock, created + the type's hours otherwise (so the wall clock reads only indexes).
 */
const worklistDueAtSql = sql`case when policy.clock = 'business'
    then coalesce((select x.sla_due_at from fact_ticket x where x.ticket_id = f.ticket_id), f.created_at + policy.sla_hours * interval '1 hour')
    else f.created_at + policy.sla_hours * interval '1 hour'
  end`;

/**
 * Every ticket that can be open at `from` or any later instant (effective close null or after
 * `from`, created at any time), optionally of one type and one district, as columns of epoch
 * milliseconds: created, effective close (Infinity while open), the worklist's deadline
 * (worklistDueAtSql) and the probability `modelVersion` stored for it (NaN when it has none).
 * Instants are rounded up to the millisecond, so that comparing them with a whole-millisecond
 * instant in JavaScript (a Date) gives what the same comparison gives in SQL.
 */
export async function findOpenRiskInputs(
  db: Db,
  filter: { from: Date; typeKey?: string; district?: string; modelVersion: string; fallbackSlaHours: number },
): Promise<OpenRiskInputs> {
  const typeFilter = filter.typeKey === undefined ? sql`` : sql`and f.type_key = ${filter.typeKey}`;
  const districtFilter =
    filter.district === undefined ? sql`` : sql`and lower(trim(f.commission_district)) = ${filter.district.trim().toLowerCase()}`;
  const result = await sql<{ created_ms: number; close_ms: number | null; due_ms: number; probability: number | null }>`
    with ${policyWithClockSql(filter.fallbackSlaHours)},
    candidates as (
      select f.ticket_id, f.created_at, f.type_key, null::timestamptz as closes_at from fact_ticket f
      where f.is_open and f.closed_at is null ${typeFilter} ${districtFilter}
      union all
      select f.ticket_id, f.created_at, f.type_key, ${effectiveCloseSql} as closes_at from fact_ticket f
      where ${effectiveCloseSql} > ${filter.from}::timestamptz ${typeFilter} ${districtFilter}
    )
    select ceil(extract(epoch from f.created_at) * 1000)::float8 as created_ms,
      ceil(extract(epoch from f.closes_at) * 1000)::float8 as close_ms,
      ceil(extract(epoch from ${worklistDueAtSql}) * 1000)::float8 as due_ms,
      s.probability
    from candidates f
    join policy on policy.type_key = f.type_key
    left join ticket_score s
      on s.model_version = ${filter.modelVersion} and s.ticket_id = f.ticket_id
      and s.created_at = f.created_at and s.type_key = f.type_key`.execute(db);
  const rows = result.rows.length;
  const inputs: OpenRiskInputs = {
    fromMs: filter.from.getTime(),
    createdMs: new Float64Array(rows),
    closeMs: new Float64Array(rows),
    dueMs: new Float64Array(rows),
    probability: new Float64Array(rows),
  };
  result.rows.forEach((row, i) => {
    inputs.createdMs[i] = Number(row.created_ms);
    inputs.closeMs[i] = row.close_ms === null ? Number.POSITIVE_INFINITY : Number(row.close_ms);
    inputs.dueMs[i] = Number(row.due_ms);
    inputs.probability[i] = row.probability === null ? Number.NaN : Number(row.probability);
  });
  return inputs;
}

/** One ticket of a worklist page, placed as analytics placeOnWorklist places it. */
export interface WorklistPageTicket {
  ticketId: string;
  createdAt: Date;
  dueAt: Date;
  slaHours: number;
  hoursLeft: number;
  slaStatus: 'breached' | 'at_risk' | 'on_track';
  probability: number;
}

/** The first tickets of the worklist, how many match the filters, and how many lack a stored score. */
export interface WorklistPage {
  /** Open tickets `modelVersion` has no stored score for: the page is incomplete until they are scored. */
  unscored: number;
  /** Scored open tickets whose status passes the filter. */
  total: number;
  tickets: WorklistPageTicket[];
}

/**
 * The worklist's first `limit` tickets in SQL, exactly as analytics rankWorklist orders them
 * (placeOnWorklist, then compareWorklist; test/worklist.repository.test.ts holds the two equal):
 * status breached → at_risk → on_track, urgency (the probability for breached tickets, p ÷ max(hours
 * left, 1) otherwise) highest first, then the earlier deadline, then the ticket id. Instants are
 * epoch milliseconds in float8, the arithmetic the ranking does in JavaScript, so ties break alike.
 * Reading every open ticket into Node to rank them cost most of a request on 500,000 tickets.
 */
export async function findWorklistPage(
  db: Db,
  filter: OpenTicketFilter & {
    modelVersion: string;
    mediumThreshold: number;
    dueSoonHours: number;
    status: 'breached' | 'at_risk' | 'all';
    limit: number;
  },
): Promise<WorklistPage> {
  const statusFilter = filter.status === 'all' ? sql`` : sql`where sla_status = ${filter.status}`;
  const result = await sql<{
    ticket_id: string | null;
    created_ms: number | null;
    due_ms: number | null;
    sla_hours: number | null;
    hours_left: number | null;
    sla_status: 'breached' | 'at_risk' | 'on_track' | null;
    probability: number | null;
    total: number;
    unscored: number;
  }>`
    with ${policyWithClockSql(filter.fallbackSlaHours)},
    open_now as (
      select f.ticket_id, floor(extract(epoch from f.created_at) * 1000)::float8 as created_ms, policy.sla_hours, s.probability,
        coalesce(
          case when policy.clock = 'business'
            then floor(extract(epoch from (select x.sla_due_at from fact_ticket x where x.ticket_id = f.ticket_id)) * 1000)::float8 end,
          floor(extract(epoch from f.created_at) * 1000)::float8 + policy.sla_hours * ${HOUR_MS}::float8) as due_ms
      from ${openTicketsAtSql(filter)} f
      join policy on policy.type_key = f.type_key
      left join ticket_score s
        on s.model_version = ${filter.modelVersion} and s.ticket_id = f.ticket_id
        and s.created_at = f.created_at and s.type_key = f.type_key
    ),
    timed as (
      select open_now.*, (due_ms - ${filter.asOf.getTime()}::float8) / ${HOUR_MS}::float8 as hours_left
      from open_now where probability is not null
    ),
    placed as (
      select timed.*,
        case when hours_left < 0 then 'breached'
          when probability >= ${filter.mediumThreshold}::float8 or hours_left <= ${filter.dueSoonHours}::float8 then 'at_risk'
          else 'on_track' end as sla_status,
        case when hours_left < 0 then probability else probability / greatest(hours_left, 1::float8) end as urgency
      from timed
    ),
    matching as (select * from placed ${statusFilter}),
    page as (
      select * from matching
      order by case sla_status when 'breached' then 0 when 'at_risk' then 1 else 2 end, urgency desc, due_ms, ticket_id collate "C"
      limit ${filter.limit}
    )
    select page.ticket_id, page.created_ms, page.due_ms, page.sla_hours, page.hours_left, page.sla_status, page.probability,
      (select count(*) from matching)::int as total,
      (select count(*) from open_now where probability is null)::int as unscored
    from (select 1) one left join page on true
    order by case page.sla_status when 'breached' then 0 when 'at_risk' then 1 else 2 end, page.urgency desc, page.due_ms,
      page.ticket_id collate "C"`.execute(db);
  const first = result.rows[0];
  const tickets = result.rows
    .filter((row) => row.ticket_id !== null)
    .map((row) => ({
      ticketId: row.ticket_id!,
      createdAt: new Date(Number(row.created_ms)),
      dueAt: new Date(Number(row.due_ms)),
      slaHours: Number(row.sla_hours),
      hoursLeft: Number(row.hours_left),
      slaStatus: row.sla_status!,
      probability: Number(row.probability),
    }));
  return { unscored: Number(first?.unscored ?? 0), total: Number(first?.total ?? 0), tickets };
}
