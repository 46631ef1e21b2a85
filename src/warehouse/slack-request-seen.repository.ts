import { sql, type Kysely, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

/**
 * Claims a Slack request's identity for the caller: true for exactly one of any number of callers
 * (on any replica) within `ttlMs`, false for every repeat. Identities older than `ttlMs` are
 * deleted first — opportunistically, by whichever request comes next — so an expired identity can
 * be claimed again and the table stays as small as Slack's retry window. Times are the database's
 * clock, the one clock every replica shares.
 */
export async function claimSlackRequest(db: Db, claim: { requestKey: string; ttlMs: number }): Promise<boolean> {
  const expiredBefore = sql<Date>`clock_timestamp() - ${claim.ttlMs}::double precision * interval '1 millisecond'`;
  await db.deleteFrom('slack_request_seen').where('seen_at', '<', expiredBefore).execute();
  const inserted = await db
    .insertInto('slack_request_seen')
    .values({ request_key: claim.requestKey, seen_at: sql<Date>`clock_timestamp()` })
    .onConflict((conflict) => conflict.column('request_key').doNothing())
    .returning('request_key')
    .executeTakeFirst();
  return inserted !== undefined;
}
