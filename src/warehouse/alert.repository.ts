import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import type { SlackAlertRunStatus, SlackAlertStatus, SlackAlertTable } from './schema-slack.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

export type { SlackAlertRunStatus, SlackAlertStatus };

/** A ticket's alert record (slack_alert), as the alert job and the Acknowledge button see it. */
export interface AlertRecord {
  ticketId: string;
  runId: number | null;
  probability: number;
  riskLevel: string;
  modelVersion: string;
  topFactors: string[];
  status: SlackAlertStatus;
  scoredAt: Date;
  channel: string | null;
  parentTs: string | null;
  replyTs: string | null;
  postedAt: Date | null;
  attempts: number;
  lastError: string | null;
  acknowledgedBy: string | null;
  acknowledgedByName: string | null;
  acknowledgedAt: Date | null;
}

function toAlertRecord(row: Selectable<SlackAlertTable>): AlertRecord {
  return {
    ticketId: row.ticket_id,
    runId: row.run_id,
    probability: row.probability,
    riskLevel: row.risk_level,
    modelVersion: row.model_version,
    topFactors: Array.isArray(row.top_factors) ? row.top_factors : [],
    status: row.status,
    scoredAt: row.scored_at,
    channel: row.channel,
    parentTs: row.parent_ts,
    replyTs: row.reply_ts,
    postedAt: row.posted_at,
    attempts: row.attempts,
    lastError: row.last_error,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedByName: row.acknowledged_by_name,
    acknowledgedAt: row.acknowledged_at,
  };
}

/** What happened to an Acknowledge click. */
export type AcknowledgementResult =
  | { outcome: 'recorded'; ticketId: string; acknowledgedBy: string; acknowledgedByName: string | null; acknowledgedAt: Date }
  /** Someone acknowledged it earlier; their name and time are kept (the first acknowledgement wins). */
  | { outcome: 'already_acknowledged'; ticketId: string; acknowledgedBy: string; acknowledgedByName: string | null; acknowledgedAt: Date }
  /** No alert was ever posted for this ticket. */
  | { outcome: 'not_found'; ticketId: string };

/**
 * Records who acknowledged a high-risk alert (the Acknowledge button in the alert thread).
 * The first acknowledgement wins and is never overwritten; a later click by anyone gets
 * `already_acknowledged` with the original person and time, so the reply can say who it was.
 */
export async function recordAlertAcknowledgement(
  db: Db,
  ack: { ticketId: string; userId: string; userName?: string | null; at?: Date },
): Promise<AcknowledgementResult> {
  const at = ack.at ?? new Date();
  const updated = await db
    .updateTable('slack_alert')
    .set({ acknowledged_by: ack.userId, acknowledged_by_name: ack.userName ?? null, acknowledged_at: at })
    .where('ticket_id', '=', ack.ticketId)
    .where('acknowledged_by', 'is', null)
    .where('status', 'in', ['posted', 'pending'])
    .returning(['acknowledged_by', 'acknowledged_by_name', 'acknowledged_at'])
    .executeTakeFirst();
  if (updated && updated.acknowledged_by !== null && updated.acknowledged_at !== null) {
    return {
      outcome: 'recorded',
      ticketId: ack.ticketId,
      acknowledgedBy: updated.acknowledged_by,
      acknowledgedByName: updated.acknowledged_by_name,
      acknowledgedAt: updated.acknowledged_at,
    };
  }
  const existing = await findAlert(db, ack.ticketId);
  if (existing && existing.status !== 'below_threshold' && existing.acknowledgedBy !== null && existing.acknowledgedAt !== null) {
    return {
      outcome: 'already_acknowledged',
      ticketId: ack.ticketId,
      acknowledgedBy: existing.acknowledgedBy,
      acknowledgedByName: existing.acknowledgedByName,
      acknowledgedAt: existing.acknowledgedAt,
    };
  }
  return { outcome: 'not_found', ticketId: ack.ticketId };
}

/** One ticket's alert record, or undefined when the alert job never saw it. */
export async function findAlert(db: Db, ticketId: string): Promise<AlertRecord | undefined> {
  const row = await db.selectFrom('slack_alert').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
  return row ? toAlertRecord(row) : undefined;
}

/** Every alert record, newest score first (status pages, tests). */
export async function listAlerts(db: Db, filter: { status?: SlackAlertStatus } = {}): Promise<AlertRecord[]> {
  let query = db.selectFrom('slack_alert').selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  const rows = await query.orderBy('scored_at', 'desc').orderBy('ticket_id').execute();
  return rows.map(toAlertRecord);
}

/** The fields of an open ticket the alert job scores and shows. */
export interface AlertCandidate {
  ticketId: string;
  typeKey: string;
  requestType: string;
  status: string;
  createdAt: Date;
  latitude: number | null;
  longitude: number | null;
  commissionDistrict: string | null;
  policeSector: string | null;
  locationDetail: string | null;
  description: string | null;
  reporterDisplay: string | null;
  isOpen: boolean;
}

const candidateColumns = [
  'f.ticket_id',
  'f.type_key',
  'dim_request_type.display_name',
  'f.status',
  'f.created_at',
  'f.latitude',
  'f.longitude',
  'f.commission_district',
  'f.police_sector',
  'f.location_detail',
  'f.description',
  'f.reporter_display',
  'f.is_open',
] as const;

interface CandidateRow {
  ticket_id: string;
  type_key: string;
  display_name: string;
  status: string;
  created_at: Date;
  latitude: number | null;
  longitude: number | null;
  commission_district: string | null;
  police_sector: string | null;
  location_detail: string | null;
  description: string | null;
  reporter_display: string | null;
  is_open: boolean;
}

function toCandidate(row: CandidateRow): AlertCandidate {
  return {
    ticketId: row.ticket_id,
    typeKey: row.type_key,
    requestType: row.display_name,
    status: row.status,
    createdAt: row.created_at,
    latitude: row.latitude,
    longitude: row.longitude,
    commissionDistrict: row.commission_district,
    policeSector: row.police_sector,
    locationDetail: row.location_detail,
    description: row.description,
    reporterDisplay: row.reporter_display,
    isOpen: row.is_open,
  };
}

/**
 * Open tickets created in [since, until] that the alert job has never seen (no slack_alert row),
 * oldest first. `until` keeps tickets "from the future" of a fixed clock out (tests, replays).
 */
export async function findUnseenOpenTickets(db: Db, window: { since: Date; until: Date; limit?: number }): Promise<AlertCandidate[]> {
  let query = db
    .selectFrom('fact_ticket as f')
    .innerJoin('dim_request_type', 'dim_request_type.type_key', 'f.type_key')
    .leftJoin('slack_alert as a', 'a.ticket_id', 'f.ticket_id')
    .select(candidateColumns)
    .where('f.is_open', '=', true)
    .where('f.created_at', '>=', window.since)
    .where('f.created_at', '<=', window.until)
    .where('a.ticket_id', 'is', null)
    .orderBy('f.created_at')
    .orderBy('f.ticket_id');
  if (window.limit !== undefined) query = query.limit(window.limit);
  return (await query.execute()).map(toCandidate);
}

/** Records tickets scored below the alert threshold, so each is scored once when first seen. */
export async function recordBelowThreshold(
  db: Db,
  scores: readonly { ticketId: string; probability: number; riskLevel: string; modelVersion: string; topFactors: readonly string[] }[],
  at: Date,
): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < scores.length; start += 500) {
    const chunk = scores.slice(start, start + 500);
    const result = await db
      .insertInto('slack_alert')
      .values(
        chunk.map((score) => ({
          ticket_id: score.ticketId,
          probability: score.probability,
          risk_level: score.riskLevel,
          model_version: score.modelVersion,
          top_factors: JSON.stringify(score.topFactors),
          status: 'below_threshold' as const,
          scored_at: at,
        })),
      )
      .onConflict((oc) => oc.column('ticket_id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/**
 * An alert run still marked running this long after it started is taken for dead (killed before it
 * could record its outcome) and its pending tickets may be claimed by a new run. A live run posts
 * in seconds to minutes (Slack's rate limits included); half an hour leaves a wide margin.
 */
export const ALERT_CLAIM_TIMEOUT_MS = 30 * 60_000;

/** A claimed alert with the ticket it is about, ready to post. */
export interface ClaimedAlert {
  alert: AlertRecord;
  ticket: AlertCandidate;
}

/**
 * Opens an alert run and claims, in one transaction, (a) the newly scored high-risk tickets
 * (inserted as pending; a ticket another run already recorded is skipped, so nothing is alerted
 * twice) and (b) the pending tickets left by an earlier run that is over — finished (its post
 * failed) or started more than `staleAfterMs` before `at` (it died without finishing) — so they are
 * retried rather than dropped. Pending tickets of a run that is still going (it is posting them
 * right now) are left to it. Returns the run id and the claimed alerts, highest probability first.
 */
export async function claimAlerts(
  db: Kysely<WarehouseSchema>,
  claim: {
    channel: string | null;
    at: Date;
    scores: readonly { ticketId: string; probability: number; riskLevel: string; modelVersion: string; topFactors: readonly string[] }[];
    /** A run still "running" this long after it started is taken for dead (default ALERT_CLAIM_TIMEOUT_MS). */
    staleAfterMs?: number;
  },
): Promise<{ runId: number; claimed: ClaimedAlert[]; retried: number }> {
  const staleBefore = new Date(claim.at.getTime() - (claim.staleAfterMs ?? ALERT_CLAIM_TIMEOUT_MS));
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .insertInto('slack_alert_run')
      .values({ channel: claim.channel, started_at: claim.at })
      .returning('run_id')
      .executeTakeFirstOrThrow();
    const runId = run.run_id;
    for (let start = 0; start < claim.scores.length; start += 500) {
      const chunk = claim.scores.slice(start, start + 500);
      await trx
        .insertInto('slack_alert')
        .values(
          chunk.map((score) => ({
            ticket_id: score.ticketId,
            run_id: runId,
            probability: score.probability,
            risk_level: score.riskLevel,
            model_version: score.modelVersion,
            top_factors: JSON.stringify(score.topFactors),
            status: 'pending' as const,
            scored_at: claim.at,
          })),
        )
        .onConflict((oc) => oc.column('ticket_id').doNothing())
        .execute();
    }
    // Pending rows of earlier runs that are over move to this run: their post failed (or the run
    // died) and is retried now. A live run's pending rows are the ones it is posting: not ours.
    // (Membership in "runs that are over" rather than "not a live run": a row a concurrent claim has
    // just moved to its own, new run is then re-checked against that run and left alone.)
    const retried = await trx
      .updateTable('slack_alert')
      .set({ run_id: runId })
      .where('status', '=', 'pending')
      .where((eb) =>
        eb.or([
          eb('run_id', 'is', null),
          eb(
            'run_id',
            'in',
            eb
              .selectFrom('slack_alert_run')
              .select('slack_alert_run.run_id')
              .where('slack_alert_run.run_id', '!=', runId)
              .where((inner) =>
                inner.or([inner('slack_alert_run.status', '!=', 'running'), inner('slack_alert_run.started_at', '<', staleBefore)]),
              ),
          ),
        ]),
      )
      .executeTakeFirst();
    const claimed = await loadAlertsWithTickets(trx, { runId, status: 'pending' });
    await trx.updateTable('slack_alert_run').set({ ticket_count: claimed.length }).where('run_id', '=', runId).execute();
    return { runId, claimed, retried: Number(retried.numUpdatedRows) };
  });
}

/**
 * Alerts with their tickets, highest probability first: those of one run, or every alert of a
 * status (e.g. the pending ones a dry run would retry).
 */
export async function loadAlertsWithTickets(
  db: Db,
  filter: { runId?: number; status?: SlackAlertStatus; ticketIds?: readonly string[] },
): Promise<ClaimedAlert[]> {
  if (filter.ticketIds?.length === 0) return [];
  let query = db.selectFrom('slack_alert').selectAll();
  if (filter.runId !== undefined) query = query.where('run_id', '=', filter.runId);
  if (filter.ticketIds !== undefined) query = query.where('ticket_id', 'in', [...filter.ticketIds]);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  const alerts = (await query.orderBy('probability', 'desc').orderBy('ticket_id').execute()).map(toAlertRecord);
  if (alerts.length === 0) return [];
  const tickets = new Map<string, AlertCandidate>();
  const ids = alerts.map((alert) => alert.ticketId);
  for (let start = 0; start < ids.length; start += 1000) {
    const rows = await db
      .selectFrom('fact_ticket as f')
      .innerJoin('dim_request_type', 'dim_request_type.type_key', 'f.type_key')
      .select(candidateColumns)
      .where('f.ticket_id', 'in', ids.slice(start, start + 1000))
      .execute();
    for (const row of rows) tickets.set(row.ticket_id, toCandidate(row));
  }
  // An alert always has its ticket (facts are never deleted); one without is skipped, not invented.
  return alerts.flatMap((alert) => {
    const ticket = tickets.get(alert.ticketId);
    return ticket ? [{ alert, ticket }] : [];
  });
}

/** Marks tickets as posted once Slack accepted the reply that carries them; they are never posted again. */
export async function markAlertsPosted(
  db: Db,
  ticketIds: readonly string[],
  post: { channel: string; parentTs: string; replyTs: string; at: Date },
): Promise<void> {
  if (ticketIds.length === 0) return;
  await db
    .updateTable('slack_alert')
    .set((eb) => ({
      status: 'posted',
      channel: post.channel,
      parent_ts: post.parentTs,
      reply_ts: post.replyTs,
      posted_at: post.at,
      attempts: eb('attempts', '+', 1),
      last_error: null,
    }))
    .where('ticket_id', 'in', [...ticketIds])
    .where('status', '=', 'pending')
    .execute();
}

/** The tickets an alert thread reply carries, as recorded when it was posted. */
export async function listAlertIdsInReply(db: Db, reply: { channel: string; replyTs: string }): Promise<string[]> {
  const rows = await db
    .selectFrom('slack_alert')
    .select('ticket_id')
    .where('channel', '=', reply.channel)
    .where('reply_ts', '=', reply.replyTs)
    .execute();
  return rows.map((row) => row.ticket_id);
}

/**
 * Where a reply's tickets stand in their thread: the 0-based position of the first (highest risk
 * first, as the alert job pages them) and how many tickets the thread carries in all.
 */
export async function findReplyPosition(
  db: Db,
  thread: { channel: string; parentTs: string; ticketIds: readonly string[] },
): Promise<{ start: number; total: number }> {
  const rows = await db
    .selectFrom('slack_alert')
    .select(['ticket_id', 'probability'])
    .where('channel', '=', thread.channel)
    .where('parent_ts', '=', thread.parentTs)
    .orderBy('probability', 'desc')
    .orderBy('ticket_id')
    .execute();
  const index = rows.findIndex((row) => thread.ticketIds.includes(row.ticket_id));
  return { start: Math.max(0, index), total: Math.max(rows.length, thread.ticketIds.length) };
}

/** Notes a failed post; the tickets stay pending and the next run retries them. */
export async function markAlertsFailed(db: Db, ticketIds: readonly string[], error: string): Promise<void> {
  if (ticketIds.length === 0) return;
  await db
    .updateTable('slack_alert')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 2000) }))
    .where('ticket_id', 'in', [...ticketIds])
    .where('status', '=', 'pending')
    .execute();
}

/** Closes an alert run with its outcome. */
export async function finishAlertRun(
  db: Db,
  runId: number,
  outcome: { status: Exclude<SlackAlertRunStatus, 'running'>; parentTs?: string | null; postedCount: number; error?: string | null },
): Promise<void> {
  await db
    .updateTable('slack_alert_run')
    .set({
      status: outcome.status,
      finished_at: sql<Date>`now()`,
      parent_ts: outcome.parentTs ?? null,
      posted_count: outcome.postedCount,
      error: outcome.error ?? null,
    })
    .where('run_id', '=', runId)
    .execute();
}

/** Count of tickets waiting to be posted (a failed post), for status output. */
export async function countPendingAlerts(db: Db): Promise<number> {
  const row = await db
    .selectFrom('slack_alert')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
