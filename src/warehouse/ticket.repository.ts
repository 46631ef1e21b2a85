import { sql, type Kysely, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import type { RawRowPayload } from './ticket-record.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

export interface QuarantinedRow {
  ticketId: string | null;
  payload: RawRowPayload;
  payloadHash: string;
  reasons: string[];
}

/** Keeps rows that failed validation, once per distinct payload, with their reasons. */
export async function quarantineRows(db: Db, rows: QuarantinedRow[], runId: number): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((row) => ({ ticket_id: row.ticketId, payload: row.payload, payload_hash: row.payloadHash, reasons: row.reasons.join('; ') })),
  );
  await sql`
    insert into ingest_quarantine (ticket_id, payload, payload_hash, reasons, first_run_id, last_run_id)
    select distinct on (payload_hash) ticket_id, payload, payload_hash, reasons, ${runId}::bigint, ${runId}::bigint
    from jsonb_to_recordset(${json}::jsonb) as x(ticket_id text, payload jsonb, payload_hash text, reasons text)
    on conflict (payload_hash) do update set last_run_id = excluded.last_run_id, last_seen_at = now()`.execute(db);
}

/**
 * How the reason of a quarantined duplicate starts: the older of two copies of a ticket in one
 * page. It is valid, so it is kept out of re-validation (loading it would undo the newer copy).
 */
export const DUPLICATE_REASON_PREFIX = 'duplicate of ticket ';

/** Quarantined rows in id order, a page at a time, for re-validation (duplicates left out). */
export async function listQuarantinedRows(
  db: Db,
  afterId: number,
  limit: number,
): Promise<{ quarantineId: number; payload: RawRowPayload }[]> {
  const rows = await db
    .selectFrom('ingest_quarantine')
    .select(['quarantine_id', 'payload'])
    .where('quarantine_id', '>', afterId)
    .where('reasons', 'not like', `${DUPLICATE_REASON_PREFIX}%`)
    .orderBy('quarantine_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ quarantineId: row.quarantine_id, payload: row.payload }));
}

export async function deleteQuarantinedRows(db: Db, quarantineIds: number[]): Promise<void> {
  if (quarantineIds.length === 0) return;
  await db.deleteFrom('ingest_quarantine').where('quarantine_id', 'in', quarantineIds).execute();
}

export interface QuarantineEntry {
  ticketId: string | null;
  reasons: string;
  payload: RawRowPayload;
  firstSeenAt: Date;
}

export async function listQuarantine(db: Db, limit = 50): Promise<{ total: number; entries: QuarantineEntry[] }> {
  const total = await db
    .selectFrom('ingest_quarantine')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('ingest_quarantine')
    .select(['ticket_id', 'reasons', 'payload', 'first_seen_at'])
    .orderBy('quarantine_id', 'desc')
    .limit(limit)
    .execute();
  return {
    total: Number(total.n),
    entries: rows.map((row) => ({ ticketId: row.ticket_id, reasons: row.reasons, payload: row.payload, firstSeenAt: row.first_seen_at })),
  };
}

export async function countFactTickets(db: Db): Promise<number> {
  const row = await db
    .selectFrom('fact_ticket')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
