import { sql, type Kysely } from 'kysely';
import { DEFAULT_SLA_POLICY_KEY } from '../analytics/sla-policy.js';
import type { WarehouseSchema } from './schema.js';
import { effectiveSlaHoursSql } from './sql-fragments.js';
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

/** What the dashboard's at-risk figure counts among the tickets open at one instant. */
export interface OpenRiskCounts {
  /** Open tickets `modelVersion` has no stored score for (the caller scores them, then counts again). */
  unscored: number;
  /** Scored open tickets at or above the threshold, or due within `dueSoonHours` (a passed deadline included). */
  atRisk: number;
}

/**
 * The worklist's at_risk-or-breached rule (analytics/worklist-ranking classifySlaStatus), counted
 * in SQL: the dashboard asks for the figure at two instants on every request, and reading 27,000
 * open tickets into Node for each took most of a summary on 500,000 tickets. The deadline is the
 * worklist's: the stored sla_due_at for a type on a business clock, created + the type's hours
 * otherwise (so the count reads only indexes while every policy is on the wall clock).
 */
export async function countOpenTicketsByRisk(
  db: Db,
  filter: OpenTicketFilter & { modelVersion: string; mediumThreshold: number; dueSoonHours: number },
): Promise<OpenRiskCounts> {
  const result = await sql<{ unscored: number; at_risk: number }>`
    with policy as (
      select t.type_key,
        coalesce(own.sla_hours, star.sla_hours, ${filter.fallbackSlaHours}::float8) as sla_hours,
        case when own.type_key is not null then own.clock else coalesce(star.clock, 'wall') end as clock
      from dim_request_type t
      left join sla_policy own on own.type_key = t.type_key
      left join sla_policy star on star.type_key = ${DEFAULT_SLA_POLICY_KEY}
    )
    select
      count(*) filter (where s.probability is null)::int as unscored,
      count(*) filter (where s.probability >= ${filter.mediumThreshold}::float8 or
        case when policy.clock = 'business'
          then coalesce((select x.sla_due_at from fact_ticket x where x.ticket_id = f.ticket_id), f.created_at + policy.sla_hours * interval '1 hour')
          else f.created_at + policy.sla_hours * interval '1 hour'
        end <= ${filter.asOf}::timestamptz + ${filter.dueSoonHours}::float8 * interval '1 hour')::int as at_risk
    from ${openTicketsAtSql(filter)} f
    join policy on policy.type_key = f.type_key
    left join ticket_score s
      on s.model_version = ${filter.modelVersion} and s.ticket_id = f.ticket_id
      and s.created_at = f.created_at and s.type_key = f.type_key`.execute(db);
  const row = result.rows[0];
  return { unscored: Number(row?.unscored ?? 0), atRisk: Number(row?.at_risk ?? 0) };
}
