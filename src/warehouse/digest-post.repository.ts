import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import type { DigestPostTable } from './schema-slack.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

/** The digest_post row of a day: who posted it where (ts null while the post is under way). */
export interface DigestPostRecord {
  date: string;
  channel: string | null;
  ts: string | null;
  claimedAt: Date;
  postedAt: Date | null;
}

export type DigestPostClaim = { claimed: true; claimedAt: Date } | { claimed: false; existing: DigestPostRecord | undefined };

const toRecord = (row: Selectable<DigestPostTable>): DigestPostRecord => ({
  date: row.date,
  channel: row.channel,
  ts: row.ts,
  claimedAt: new Date(row.claimed_at),
  postedAt: row.posted_at === null ? null : new Date(row.posted_at),
});

/**
 * Claims a day's digest for this run: inserts the day (on conflict do nothing), or takes over a
 * claim older than `staleAfterMs` that never got a ts. Exactly one of any number of concurrent
 * callers gets `claimed: true`; the others get the existing record.
 */
export async function claimDigestPost(db: Db, claim: { date: string; channel: string; staleAfterMs: number }): Promise<DigestPostClaim> {
  const inserted = await db
    .insertInto('digest_post')
    // Truncated to milliseconds so that claimed_at round-trips through a JS Date: it is the token
    // that lets a failed run release its own claim and nobody else's.
    .values({ date: claim.date, channel: claim.channel, claimed_at: sql<Date>`date_trunc('milliseconds', clock_timestamp())` })
    .onConflict((conflict) =>
      conflict
        .column('date')
        .doUpdateSet((eb) => ({ channel: eb.ref('excluded.channel'), claimed_at: eb.ref('excluded.claimed_at') }))
        .where('digest_post.ts', 'is', null)
        .where(
          'digest_post.claimed_at',
          '<',
          sql<Date>`clock_timestamp() - ${claim.staleAfterMs}::double precision * interval '1 millisecond'`,
        ),
    )
    .returning('claimed_at')
    .executeTakeFirst();
  if (inserted) return { claimed: true, claimedAt: new Date(inserted.claimed_at) };
  return { claimed: false, existing: await findDigestPost(db, claim.date) };
}

/** The record of a day's digest post, if any run claimed it. */
export async function findDigestPost(db: Db, date: string): Promise<DigestPostRecord | undefined> {
  const row = await db.selectFrom('digest_post').selectAll().where('date', '=', date).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Slack accepted the day's message: the claim becomes the record of the post. */
export async function recordDigestPosted(db: Db, post: { date: string; channel: string; ts: string }): Promise<void> {
  await db
    .updateTable('digest_post')
    .set({ channel: post.channel, ts: post.ts, posted_at: sql<Date>`clock_timestamp()` })
    .where('date', '=', post.date)
    .execute();
}

/** Gives a claimed day back after a failed post (only our own claim, never a post that went out). */
export async function releaseDigestPost(db: Db, claim: { date: string; claimedAt: Date }): Promise<void> {
  await db
    .deleteFrom('digest_post')
    .where('date', '=', claim.date)
    .where('ts', 'is', null)
    .where('claimed_at', '=', claim.claimedAt)
    .execute();
}
