import type { ColumnType, Generated } from 'kysely';
import type { NullableTimestamp } from './schema.js';

export type SlackAlertRunStatus = 'running' | 'posted' | 'partial' | 'failed' | 'empty';
export type SlackAlertStatus = 'pending' | 'posted' | 'below_threshold';

/** One run of the high-risk alert job that had something to post (db/migrations/004_slack.sql). */
export interface SlackAlertRunTable {
  run_id: Generated<number>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: NullableTimestamp;
  channel: string | null;
  parent_ts: string | null;
  ticket_count: Generated<number>;
  posted_count: Generated<number>;
  status: ColumnType<SlackAlertRunStatus, SlackAlertRunStatus | undefined, SlackAlertRunStatus>;
  error: string | null;
}

/** One ticket the alert job has seen: its score, and whether and where it was posted. */
export interface SlackAlertTable {
  ticket_id: string;
  run_id: number | null;
  probability: number;
  risk_level: string;
  model_version: string;
  /** jsonb: serialised by the caller on the way in, parsed array on the way out. */
  top_factors: ColumnType<string[], string | undefined, string>;
  status: SlackAlertStatus;
  scored_at: ColumnType<Date, Date | string | undefined, Date | string>;
  channel: string | null;
  parent_ts: string | null;
  reply_ts: string | null;
  posted_at: NullableTimestamp;
  attempts: Generated<number>;
  last_error: string | null;
  acknowledged_by: string | null;
  acknowledged_by_name: string | null;
  acknowledged_at: NullableTimestamp;
}

/**
 * The daily digest's claim and record, one row per city-local day (db/migrations/007_digest_post.sql):
 * ts is null while the post is under way, set once Slack accepted the message.
 */
export interface DigestPostTable {
  /** date: 'YYYY-MM-DD' text on both engines (see database.ts). */
  date: string;
  channel: string | null;
  ts: string | null;
  claimed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  posted_at: NullableTimestamp;
}

/**
 * A Slack request's identity, claimed by the replica that runs it (db/migrations/009_slack_request_seen.sql);
 * a repeat of it (Slack's retry, a double click) finds the row and is skipped on every replica.
 */
export interface SlackRequestSeenTable {
  request_key: string;
  seen_at: ColumnType<Date, Date | string, Date | string>;
}

/** Tables owned by the slack domain (migration files in db/migrations). */
export interface SlackTables {
  slack_alert_run: SlackAlertRunTable;
  slack_alert: SlackAlertTable;
  digest_post: DigestPostTable;
  slack_request_seen: SlackRequestSeenTable;
}
