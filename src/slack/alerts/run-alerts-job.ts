import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import type { AppConfig } from '../../config/config.js';
import type { Scorer, TicketScore } from '../../model/scorer.js';
import { ConfigError, UnknownRequestTypeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import {
  claimAlerts,
  countPendingAlerts,
  finishAlertRun,
  findUnseenOpenTickets,
  loadAlertsWithTickets,
  markAlertsFailed,
  markAlertsPosted,
  recordBelowThreshold,
  type AlertCandidate,
  type ClaimedAlert,
} from '../../warehouse/alert.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import {
  buildAlertParentMessage,
  buildAlertReplyPages,
  buildTicketUrl,
  type AlertItem,
  type AlertMessage,
  type AlertReplyPage,
} from '../blocks/alert-blocks.js';
import { SlackPostError } from '../web-client.js';

/**
 * Only tickets created in the last 7 days are alerted. A first run over a 10-year backfill would
 * otherwise post thousands of stale "new" tickets; a ticket open for a week is the backlog's
 * business (digest, /sla), not an alert's.
 */
export const ALERT_LOOKBACK_DAYS = 7;
const DAY_MS = 86_400_000;

/** Message metadata `event_type` of an alert run's parent message. */
export const ALERT_PARENT_EVENT_TYPE = 'civicops_alert_run';
/** Message metadata `event_type` of an alert thread reply. */
export const ALERT_REPLY_EVENT_TYPE = 'civicops_alert_reply';
/** How far back (from the oldest pending ticket's claim) the job looks for its own earlier posts. */
const LOOKBACK_FOR_POSTS_MS = 60 * 60_000;
/** Pages of channel history / thread read when looking for earlier posts (200 messages each). */
const MAX_HISTORY_PAGES = 10;

/** Metadata on every alert message: what it is and which tickets it carries (comma-separated ids). */
export function buildAlertMetadata(eventType: string, runId: number, ticketIds: readonly string[]) {
  return { event_type: eventType, event_payload: { run_id: runId, ticket_ids: ticketIds.join(',') } };
}

interface TaggedMessage {
  ts: string;
  eventType: string;
  ticketIds: string[];
}

function readTaggedMessage(message: unknown): TaggedMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { ts, metadata } = message as { ts?: unknown; metadata?: { event_type?: unknown; event_payload?: { ticket_ids?: unknown } } };
  const eventType = metadata?.event_type;
  const ids = metadata?.event_payload?.ticket_ids;
  if (typeof ts !== 'string' || typeof eventType !== 'string' || typeof ids !== 'string') return undefined;
  return { ts, eventType, ticketIds: ids.split(',').filter(Boolean) };
}

/**
 * Looks in the alert channel for this app's alert messages that carry any of `pendingIds`
 * (a post Slack accepted whose answer never reached us, or whose run died before recording it):
 * the parent messages, and in their threads the replies, read with `include_all_metadata`.
 */
async function findEarlierPosts(
  client: WebClient,
  channel: string,
  pendingIds: ReadonlySet<string>,
  oldest: Date,
): Promise<{ parents: TaggedMessage[]; replies: (TaggedMessage & { parentTs: string })[] }> {
  const parents: TaggedMessage[] = [];
  const replies: (TaggedMessage & { parentTs: string })[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    let history: Awaited<ReturnType<WebClient['conversations']['history']>>;
    try {
      history = await client.conversations.history({
        channel,
        oldest: (oldest.getTime() / 1000).toFixed(6),
        include_all_metadata: true,
        limit: 200,
        cursor,
      });
    } catch (error) {
      throw new SlackPostError('conversations.history', error);
    }
    for (const message of history.messages ?? []) {
      const tagged = readTaggedMessage(message);
      if (tagged?.eventType === ALERT_PARENT_EVENT_TYPE && tagged.ticketIds.some((id) => pendingIds.has(id))) parents.push(tagged);
    }
    cursor = history.response_metadata?.next_cursor || undefined;
    if (!history.has_more || !cursor) break;
  }
  for (const parent of parents) {
    let threadCursor: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      let thread: Awaited<ReturnType<WebClient['conversations']['replies']>>;
      try {
        thread = await client.conversations.replies({
          channel,
          ts: parent.ts,
          include_all_metadata: true,
          limit: 200,
          cursor: threadCursor,
        });
      } catch (error) {
        throw new SlackPostError('conversations.replies', error);
      }
      for (const message of thread.messages ?? []) {
        const tagged = readTaggedMessage(message);
        if (tagged?.eventType === ALERT_REPLY_EVENT_TYPE) replies.push({ ...tagged, parentTs: parent.ts });
      }
      threadCursor = thread.response_metadata?.next_cursor || undefined;
      if (!thread.has_more || !threadCursor) break;
    }
  }
  return { parents, replies };
}

export interface AlertsJobDeps {
  db: Kysely<WarehouseSchema>;
  scorer: Scorer;
  /** Needed unless dryRun (createSlackWebClient(config.slack, …)). */
  client?: WebClient;
  config: Pick<AppConfig, 'slack' | 'cityTimeZone'>;
  logger: Logger;
  /** The clock (tests and replays pin it). */
  now?: () => Date;
  /**
   * Reload the scorer's model and feature state first (default true): the job runs right after
   * an ingest, and new tickets or request types are only known to a refreshed scorer.
   */
  refreshScorer?: boolean;
}

export interface AlertsJobOptions {
  /** Score and build the messages, write nothing and post nothing. */
  dryRun?: boolean;
  /** Tickets per thread reply (default TICKETS_PER_REPLY). */
  perReply?: number;
}

export interface AlertsJobResult {
  dryRun: boolean;
  /** Open tickets from the lookback window never seen before. */
  candidates: number;
  scored: number;
  /** Newly scored tickets at or above ALERT_THRESHOLD. */
  aboveThreshold: number;
  belowThreshold: number;
  /** Tickets whose request type the scorer does not know yet (retried next run, after a refresh). */
  unknownType: number;
  /** Pending tickets of an earlier run whose post failed, included in this run. */
  retried: number;
  /** Tickets Slack accepted in this run (0 on a dry run). */
  posted: number;
  /** Tickets left pending for the next run (a post failed). */
  pending: number;
  /** Thread replies posted (or that would be posted). */
  replies: number;
  runId: number | null;
  channel: string | null;
  parentTs: string | null;
  /** What was (or would be) posted, highest risk first. */
  items: AlertItem[];
  parent: AlertMessage | null;
  pages: AlertReplyPage[];
}

function toScoreInput(ticket: AlertCandidate) {
  return {
    ticketId: ticket.ticketId,
    // The canonical key matches exactly; the display name could be ambiguous after a rename.
    requestType: ticket.typeKey,
    createdAt: ticket.createdAt,
    latitude: ticket.latitude ?? undefined,
    longitude: ticket.longitude ?? undefined,
    commissionDistrict: ticket.commissionDistrict ?? undefined,
    policeSector: ticket.policeSector ?? undefined,
    description: ticket.description ?? undefined,
    reporterDisplay: ticket.reporterDisplay ?? undefined,
  };
}

function toAlertItem(
  ticket: AlertCandidate,
  score: { probability: number; riskLevel: string; topFactors: readonly string[]; modelVersion: string },
  urlTemplate: string,
): AlertItem {
  return {
    ticketId: ticket.ticketId,
    requestType: ticket.requestType,
    createdAt: ticket.createdAt,
    address: ticket.locationDetail,
    latitude: ticket.latitude,
    longitude: ticket.longitude,
    commissionDistrict: ticket.commissionDistrict,
    description: ticket.description,
    probability: score.probability,
    riskLevel: score.riskLevel,
    topFactors: score.topFactors,
    modelVersion: score.modelVersion,
    ticketUrl: buildTicketUrl(urlTemplate, ticket.ticketId),
  };
}

const fromClaim = (claim: ClaimedAlert, urlTemplate: string): AlertItem => toAlertItem(claim.ticket, claim.alert, urlTemplate);

const byRisk = (a: AlertItem, b: AlertItem) => b.probability - a.probability || a.ticketId.localeCompare(b.ticketId);

/** Scores unseen candidates one by one; an unknown request type skips that ticket (logged) rather than the batch. */
async function scoreCandidates(
  scorer: Scorer,
  candidates: readonly AlertCandidate[],
  logger: Logger,
): Promise<{ scored: { ticket: AlertCandidate; score: TicketScore }[]; unknownType: number }> {
  const scored: { ticket: AlertCandidate; score: TicketScore }[] = [];
  let unknownType = 0;
  for (const ticket of candidates) {
    try {
      scored.push({ ticket, score: await scorer.scoreTicket(toScoreInput(ticket)) });
    } catch (error) {
      if (!(error instanceof UnknownRequestTypeError)) throw error;
      unknownType += 1;
      logger.warn(
        { ticketId: ticket.ticketId, typeKey: ticket.typeKey },
        'alert candidate has a request type the scorer does not know; it is retried next run',
      );
    }
  }
  return { scored, unknownType };
}

/**
 * The high-risk alert job, run after each ingest: scores open tickets created in the last
 * ALERT_LOOKBACK_DAYS that it has never seen (each is scored once, with its real creation time
 * and fields), and posts those at or above ALERT_THRESHOLD to ALERT_CHANNEL as one parent message
 * ("7 new high-risk tickets") with the tickets in thread replies.
 *
 * At most once, ever: tickets are claimed in the warehouse (slack_alert, keyed by ticket id)
 * before posting and marked posted when Slack accepts the reply carrying them. A failed post
 * leaves them pending; the next run retries them, and the error is thrown (after bookkeeping) so
 * the job run shows as failed. WebClient itself retries 429s after their Retry-After.
 */
export async function runAlertsJob(deps: AlertsJobDeps, options: AlertsJobOptions = {}): Promise<AlertsJobResult> {
  const dryRun = options.dryRun ?? false;
  const { slack } = deps.config;
  const channel = slack.alertChannel ?? null;
  const client = deps.client;
  if (!dryRun) {
    const missing = [!client ? 'SLACK_BOT_TOKEN' : null, !channel ? 'ALERT_CHANNEL' : null].filter(Boolean);
    if (missing.length > 0) {
      throw new ConfigError(
        `Cannot post alerts: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Use --dry-run to see what would be posted.`,
      );
    }
  }
  const log = deps.logger.child({ component: 'alerts' });
  if (deps.refreshScorer ?? true) await deps.scorer.refresh();
  const now = deps.now?.() ?? new Date();
  const candidates = await findUnseenOpenTickets(deps.db, { since: new Date(now.getTime() - ALERT_LOOKBACK_DAYS * DAY_MS), until: now });
  const { scored, unknownType } = await scoreCandidates(deps.scorer, candidates, log);
  const above = scored.filter((entry) => entry.score.slaBreachProbability >= slack.alertThreshold);
  const below = scored.filter((entry) => entry.score.slaBreachProbability < slack.alertThreshold);
  const toRecord = (entry: { ticket: AlertCandidate; score: TicketScore }) => ({
    ticketId: entry.ticket.ticketId,
    probability: entry.score.slaBreachProbability,
    riskLevel: entry.score.riskLevel,
    modelVersion: entry.score.modelVersion,
    topFactors: entry.score.topFactors,
  });
  const base = {
    dryRun,
    candidates: candidates.length,
    scored: scored.length,
    aboveThreshold: above.length,
    belowThreshold: below.length,
    unknownType,
    channel,
  };

  if (dryRun) {
    const pending = await loadAlertsWithTickets(deps.db, { status: 'pending' });
    const items = [
      ...pending.map((claim) => fromClaim(claim, slack.ticketUrlTemplate)),
      ...above.map((entry) => toAlertItem(entry.ticket, toRecord(entry), slack.ticketUrlTemplate)),
    ].sort(byRisk);
    const pages = buildAlertReplyPages(items, { timeZone: deps.config.cityTimeZone, perReply: options.perReply });
    return {
      ...base,
      retried: pending.length,
      posted: 0,
      pending: 0,
      replies: pages.length,
      runId: null,
      parentTs: null,
      items,
      parent: items.length > 0 ? buildAlertParentMessage({ items, threshold: slack.alertThreshold, retried: pending.length }) : null,
      pages,
    };
  }

  // Seen once, scored once: a low-risk ticket is not rescored on every ingest.
  await recordBelowThreshold(deps.db, below.map(toRecord), now);
  const empty = { ...base, retried: 0, posted: 0, pending: 0, replies: 0, runId: null, parentTs: null, items: [], parent: null, pages: [] };
  if (above.length === 0 && (await countPendingAlerts(deps.db)) === 0) {
    log.info({ candidates: candidates.length, scored: scored.length }, 'no new high-risk tickets');
    return empty;
  }

  const claim = await claimAlerts(deps.db, { channel, at: now, scores: above.map(toRecord) });
  // Checked above; narrowed again for the compiler.
  if (!client || !channel) throw new ConfigError('SLACK_BOT_TOKEN and ALERT_CHANNEL are required to post alerts.');
  // Tickets retried from an earlier run may be in the channel already: Slack accepted the post but
  // the answer was lost, or the process died before recording it. Found by their metadata, they are
  // recorded as posted instead of being posted again; a parent found without all its replies is reused.
  let reusedParent: { ts: string } | undefined;
  let recovered = 0;
  if (claim.retried > 0) {
    const pendingIds = new Set(claim.claimed.map((entry) => entry.alert.ticketId));
    const oldestClaim = Math.min(...claim.claimed.map((entry) => entry.alert.scoredAt.getTime()));
    let found: Awaited<ReturnType<typeof findEarlierPosts>>;
    try {
      found = await findEarlierPosts(client, channel, pendingIds, new Date(oldestClaim - LOOKBACK_FOR_POSTS_MS));
    } catch (error) {
      const failure = error instanceof SlackPostError ? error : new SlackPostError('conversations.history', error);
      await finishAlertRun(deps.db, claim.runId, { status: 'failed', postedCount: 0, error: failure.message });
      log.error({ runId: claim.runId, error: failure.message }, 'could not check the channel for earlier alert posts; nothing posted');
      throw failure;
    }
    for (const reply of found.replies) {
      const ids = reply.ticketIds.filter((id) => pendingIds.has(id));
      if (ids.length === 0) continue;
      await markAlertsPosted(deps.db, ids, { channel, parentTs: reply.parentTs, replyTs: reply.ts, at: new Date() });
      for (const id of ids) pendingIds.delete(id);
      recovered += ids.length;
    }
    reusedParent = found.parents.find((parent) => [...pendingIds].every((id) => parent.ticketIds.includes(id)));
    if (recovered > 0)
      log.info({ runId: claim.runId, recovered }, 'alerts found already posted in the channel; recorded, not posted again');
    claim.claimed = claim.claimed.filter((entry) => pendingIds.has(entry.alert.ticketId));
  }
  const items = claim.claimed.map((entry) => fromClaim(entry, slack.ticketUrlTemplate));
  if (items.length === 0) {
    // Another run recorded these tickets between our read and our claim: nothing is ours to post.
    await finishAlertRun(deps.db, claim.runId, { status: recovered > 0 ? 'posted' : 'empty', postedCount: 0 });
    return { ...empty, runId: claim.runId };
  }
  const parent = buildAlertParentMessage({ items, threshold: slack.alertThreshold, retried: claim.retried });
  const pages = buildAlertReplyPages(items, { timeZone: deps.config.cityTimeZone, perReply: options.perReply });

  let parentTs: string;
  let postedChannel: string;
  try {
    if (reusedParent) {
      parentTs = reusedParent.ts;
      postedChannel = channel;
    } else {
      const response = await client.chat.postMessage({
        channel,
        text: parent.text,
        blocks: parent.blocks,
        metadata: buildAlertMetadata(
          ALERT_PARENT_EVENT_TYPE,
          claim.runId,
          items.map((item) => item.ticketId),
        ),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!response.ts) throw new Error('chat.postMessage returned no ts');
      parentTs = response.ts;
      postedChannel = response.channel ?? channel;
    }
  } catch (error) {
    const failure = new SlackPostError('chat.postMessage', error);
    await markAlertsFailed(
      deps.db,
      items.map((item) => item.ticketId),
      failure.message,
    );
    await finishAlertRun(deps.db, claim.runId, { status: 'failed', postedCount: 0, error: failure.message });
    log.error(
      { runId: claim.runId, pending: items.length, error: failure.message },
      'alert parent message failed; tickets stay pending for the next run',
    );
    throw failure;
  }

  let posted = 0;
  let replies = 0;
  for (const [index, page] of pages.entries()) {
    try {
      const response = await client.chat.postMessage({
        channel: postedChannel,
        thread_ts: parentTs,
        text: page.text,
        blocks: page.blocks,
        metadata: buildAlertMetadata(ALERT_REPLY_EVENT_TYPE, claim.runId, page.ticketIds),
        unfurl_links: false,
        unfurl_media: false,
      });
      await markAlertsPosted(deps.db, page.ticketIds, {
        channel: postedChannel,
        parentTs,
        replyTs: response.ts ?? parentTs,
        at: new Date(),
      });
      posted += page.ticketIds.length;
      replies += 1;
    } catch (error) {
      const failure = new SlackPostError('chat.postMessage', error);
      const left = pages.slice(index).flatMap((rest) => rest.ticketIds);
      await markAlertsFailed(deps.db, left, failure.message);
      await finishAlertRun(deps.db, claim.runId, { status: 'partial', parentTs, postedCount: posted, error: failure.message });
      log.error(
        { runId: claim.runId, posted, pending: left.length, error: failure.message },
        'alert thread reply failed; the rest stay pending for the next run',
      );
      throw failure;
    }
  }
  await finishAlertRun(deps.db, claim.runId, { status: 'posted', parentTs, postedCount: posted });
  log.info({ runId: claim.runId, posted, replies, retried: claim.retried, channel: postedChannel }, 'high-risk alerts posted');
  return {
    ...base,
    retried: claim.retried,
    posted,
    pending: 0,
    replies,
    runId: claim.runId,
    channel: postedChannel,
    parentTs,
    items,
    parent,
    pages,
  };
}

/** The counts of a run for job_run.counts (scheduler) and logs. */
export function summarizeAlertsRun(result: AlertsJobResult): Record<string, number | string | null> {
  return {
    dry_run: result.dryRun ? 1 : 0,
    candidates: result.candidates,
    scored: result.scored,
    above_threshold: result.aboveThreshold,
    below_threshold: result.belowThreshold,
    unknown_type: result.unknownType,
    retried: result.retried,
    posted: result.posted,
    replies: result.replies,
    alert_run_id: result.runId,
    parent_ts: result.parentTs,
  };
}
