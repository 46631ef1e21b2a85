// warehouse/: fact_ticket.sla_due_at (migration 017), each ticket's SLA deadline under its type's
// policy and clock. Wall-clock deadlines are plain created_at + hours and are written in SQL; a
// business clock is computed here, in TypeScript (analytics/sla-clock.ts), and written back.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { SlaClockContext, SlaClockRule } from '../analytics/sla-clock.js';
import {
  DEFAULT_SLA_POLICY_KEY,
  createPolicyClock,
  isWallClockPolicy,
  slaClockFor,
  slaHoursFor,
  type SlaPolicy,
} from '../analytics/sla-policy.js';
import { textArrayLiteral } from './pg-array-literal.js';
import type { WarehouseSchema } from './schema.js';
import { loadSlaPolicy, setSlaHours, syncDefaultSlaHours } from './sla-policy.repository.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

/** Tickets read and written per statement when a business clock's deadlines are recomputed. */
const BATCH = 5_000;

/** What recomputing deadlines needs: the configured SLA_HOURS (the default without a '*' row) and the city's clock context. */
export interface SlaDueContext {
  readonly fallbackHours: number;
  readonly clockContext: SlaClockContext;
}

/** Which deadlines to recompute: one type's, the '*' row's (every type without its own row), or all. */
export interface SlaDueScope {
  /** A type key, '*' or absent for every type. */
  readonly typeKey?: string;
  /** Only tickets without a deadline yet (start-up after migration 017, tickets written by hand). */
  readonly onlyMissing?: boolean;
}

/** Writes deadlines by ticket id, leaving a row alone when it already has that deadline. */
async function writeDueDates(db: Db, ticketIds: readonly string[], dueMs: readonly number[]): Promise<number> {
  if (ticketIds.length === 0) return 0;
  const dues = `{${dueMs.map((ms) => `"${new Date(ms).toISOString()}"`).join(',')}}`;
  const result = await sql`
    update fact_ticket f set sla_due_at = v.due
    from rows from (unnest(${textArrayLiteral(ticketIds)}::text[]), unnest(${dues}::timestamptz[])) as v (ticket_id, due)
    where f.ticket_id = v.ticket_id and f.sla_due_at is distinct from v.due`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** The types a change of `typeKey`'s row moves: that type, or for '*' every type without its own row. */
async function typesInScope(db: Db, policy: SlaPolicy, typeKey: string | undefined): Promise<string[]> {
  if (typeKey !== undefined && typeKey !== DEFAULT_SLA_POLICY_KEY) return [typeKey];
  const rows = await db.selectFrom('dim_request_type').select('type_key').execute();
  const keys = rows.map((row) => row.type_key);
  return typeKey === undefined ? keys : keys.filter((key) => !policy.overrides.has(key));
}

/** Recomputes one business-clock type's deadlines in TypeScript, in batches along (created_at, ticket_id). */
async function refreshBusinessType(db: Db, policy: SlaPolicy, context: SlaClockContext, typeKey: string, onlyMissing: boolean) {
  const clock = createPolicyClock(policy, context);
  let after: { createdAt: Date; ticketId: string } | undefined;
  let written = 0;
  for (;;) {
    const rows = await sql<{ ticket_id: string; created_at: Date }>`
      select ticket_id, created_at from fact_ticket
      where type_key = ${typeKey} ${onlyMissing ? sql`and sla_due_at is null` : sql``}
        ${after ? sql`and (created_at, ticket_id) > (${after.createdAt}::timestamptz, ${after.ticketId})` : sql``}
      order by created_at, ticket_id limit ${BATCH}`.execute(db);
    if (rows.rows.length === 0) return written;
    const ids = rows.rows.map((row) => row.ticket_id);
    const dues = rows.rows.map((row) => clock.dueAt(typeKey, new Date(row.created_at)).getTime());
    written += await writeDueDates(db, ids, dues);
    const last = rows.rows[rows.rows.length - 1]!;
    after = { createdAt: new Date(last.created_at), ticketId: last.ticket_id };
    if (rows.rows.length < BATCH) return written;
  }
}

/**
 * Recomputes stored deadlines after a policy change (or fills missing ones): wall-clock types in
 * one SQL update per SLA length, business-clock types in TypeScript. Returns the rows changed.
 */
export async function refreshSlaDueDates(db: Db, due: SlaDueContext, scope: SlaDueScope = {}): Promise<number> {
  const policy = await loadSlaPolicy(db, due.fallbackHours);
  const types = await typesInScope(db, policy, scope.typeKey);
  const wallByHours = new Map<number, string[]>();
  const businessTypes: string[] = [];
  for (const key of types) {
    if (slaClockFor(policy, key).kind === 'business') businessTypes.push(key);
    else {
      const hours = slaHoursFor(policy, key);
      wallByHours.set(hours, [...(wallByHours.get(hours) ?? []), key]);
    }
  }
  let written = 0;
  for (const [hours, keys] of wallByHours) {
    const dueSql = sql`created_at + ${hours}::float8 * interval '1 hour'`;
    const result = await sql`
      update fact_ticket set sla_due_at = ${dueSql}
      where type_key = any(${textArrayLiteral(keys)}::text[])
        and ${scope.onlyMissing ? sql`sla_due_at is null` : sql`sla_due_at is distinct from ${dueSql}`}`.execute(db);
    written += Number(result.numAffectedRows ?? 0);
  }
  for (const key of businessTypes) written += await refreshBusinessType(db, policy, due.clockContext, key, scope.onlyMissing ?? false);
  return written;
}

/**
 * The business-clock deadlines of the chunk staged in this transaction (ingest_staging rows of
 * txid_current()). The upsert writes wall-clock deadlines itself and leaves these null, so only
 * new or changed tickets of business-clock types are computed here; nothing runs when every
 * policy is on the wall clock.
 */
export async function fillStagedBusinessDueDates(trx: Transaction<WarehouseSchema>, context: SlaClockContext): Promise<void> {
  // The fallback only decides types without a '*' row, which run on the wall clock: not computed here.
  const policy = await loadSlaPolicy(trx, 72);
  if (isWallClockPolicy(policy)) return;
  const clock = createPolicyClock(policy, context);
  const rows = await sql<{ ticket_id: string; type_key: string; created_at: Date }>`
    select f.ticket_id, f.type_key, f.created_at
    from ingest_staging s join fact_ticket f on f.ticket_id = s.ticket_id
    where s.batch_id = txid_current() and f.sla_due_at is null`.execute(trx);
  const business = rows.rows.filter((row) => slaClockFor(policy, row.type_key).kind === 'business');
  await writeDueDates(
    trx,
    business.map((row) => row.ticket_id),
    business.map((row) => clock.dueAt(row.type_key, new Date(row.created_at)).getTime()),
  );
}

/**
 * Sets one type's SLA (or the '*' default's) and moves its tickets' deadlines with it, in one
 * transaction. Without `clock` an existing row keeps its clock and a new row runs on the wall clock.
 */
export async function applySlaPolicy(
  db: Kysely<WarehouseSchema>,
  due: SlaDueContext,
  change: { typeKey: string; hours: number; clock?: SlaClockRule; note?: string | null },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await setSlaHours(trx, change.typeKey, change.hours, change.note ?? null, change.clock);
    return refreshSlaDueDates(trx, due, { typeKey: change.typeKey });
  });
}

/**
 * Start-up: keeps the '*' row equal to SLA_HOURS (moving the deadlines it sets when it changes)
 * and fills the deadlines of business-clock types that migration 017 could not compute in SQL.
 * A warehouse on wall clocks with an unchanged default does one read of sla_policy.
 */
export async function syncSlaPolicyAndDueDates(db: Kysely<WarehouseSchema>, due: SlaDueContext): Promise<void> {
  if (await syncDefaultSlaHours(db, due.fallbackHours)) await refreshSlaDueDates(db, due, { typeKey: DEFAULT_SLA_POLICY_KEY });
  const policy = await loadSlaPolicy(db, due.fallbackHours);
  if (isWallClockPolicy(policy)) return;
  const businessKeys = new Set((await typesInScope(db, policy, undefined)).filter((key) => slaClockFor(policy, key).kind === 'business'));
  for (const key of businessKeys) await refreshBusinessType(db, policy, due.clockContext, key, true);
}

/** An SLA target a city publishes for one request type (its profile's sla.policies), by type key. */
export interface PublishedSlaPolicy {
  readonly typeKey: string;
  readonly hours: number;
  /** Where the city publishes it; kept as the row's note. */
  readonly source: string;
}

/**
 * Start-up: adds a sla_policy row (wall clock, its tickets' deadlines moved) for each published
 * target whose type has no row yet. A row that exists — set with `civicops sla-policy set`, or
 * seeded before — is the city's current decision and is left as it is. Returns the types added.
 */
export async function seedPublishedSlaPolicies(
  db: Kysely<WarehouseSchema>,
  due: SlaDueContext,
  published: readonly PublishedSlaPolicy[],
): Promise<string[]> {
  if (published.length === 0) return [];
  const existing = new Set((await db.selectFrom('sla_policy').select('type_key').execute()).map((row) => row.type_key));
  const added: string[] = [];
  for (const policy of published) {
    if (existing.has(policy.typeKey)) continue;
    await applySlaPolicy(db, due, { typeKey: policy.typeKey, hours: policy.hours, note: `Published by the city: ${policy.source}` });
    existing.add(policy.typeKey);
    added.push(policy.typeKey);
  }
  return added;
}

/**
 * The stored deadlines of the given open tickets whose type runs on a business clock, by ticket id.
 * Empty (and no fact_ticket read) when every policy is on the wall clock: the worklist keeps
 * created + hours for those, which is what the stored column holds for them, without a heap visit
 * per open ticket on its index-only reads.
 */
export async function findBusinessClockDueDates(
  db: Db,
  tickets: readonly { ticketId: string; typeKey: string }[],
  fallbackHours: number,
): Promise<Map<string, Date>> {
  const found = new Map<string, Date>();
  const policy = await loadSlaPolicy(db, fallbackHours);
  if (isWallClockPolicy(policy)) return found;
  const ids = tickets.filter((ticket) => slaClockFor(policy, ticket.typeKey).kind === 'business').map((ticket) => ticket.ticketId);
  for (let start = 0; start < ids.length; start += BATCH) {
    const rows = await sql<{ ticket_id: string; sla_due_at: Date | null }>`
      select ticket_id, sla_due_at from fact_ticket
      where ticket_id = any(${textArrayLiteral(ids.slice(start, start + BATCH))}::text[])`.execute(db);
    for (const row of rows.rows) if (row.sla_due_at !== null) found.set(row.ticket_id, new Date(row.sla_due_at));
  }
  return found;
}
