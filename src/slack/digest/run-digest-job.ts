import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import type { ChartRenderer } from '../../charts/chart-renderer.js';
import type { AppConfig } from '../../config/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { claimDigestPost, recordDigestPosted, releaseDigestPost } from '../../warehouse/digest-post.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import { formatDigestText, renderDigestBlocks, type DigestMessage } from '../blocks/digest-blocks.js';
import { SlackPostError } from '../web-client.js';
import { buildDigest, type Digest } from './build-digest.js';
import { digestCharts, type DigestChart } from './digest-charts.js';

export interface PostedDigest {
  channel: string;
  ts: string;
  /** Charts uploaded in the message's thread. */
  charts: number;
  fileIds: string[];
}

/**
 * Posts the digest message to `channel`, then renders its charts to PNG and uploads them with
 * files.uploadV2 into the message's thread (one upload, one thread reply holding every image).
 * Throws SlackPostError if either step fails (the message may then already be in the channel).
 */
export async function postDigest(input: {
  client: WebClient;
  renderer: ChartRenderer;
  channel: string;
  digest: Digest;
  message?: DigestMessage;
  charts?: DigestChart[];
  /** Called (and awaited) once Slack accepted the message, before the charts are uploaded. */
  onMessagePosted?: (posted: { channel: string; ts: string }) => Promise<void>;
}): Promise<PostedDigest> {
  const message = input.message ?? renderDigestBlocks(input.digest);
  const charts = input.charts ?? digestCharts(input.digest);
  let ts: string;
  let channel: string;
  try {
    const response = await input.client.chat.postMessage({
      channel: input.channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!response.ts) throw new Error('chat.postMessage returned no ts');
    ts = response.ts;
    channel = response.channel ?? input.channel;
  } catch (error) {
    throw new SlackPostError('chat.postMessage', error);
  }
  await input.onMessagePosted?.({ channel, ts });
  if (charts.length === 0) return { channel, ts, charts: 0, fileIds: [] };

  // Render before uploading so a rendering failure surfaces as a chart error, not a Slack one.
  const files = await Promise.all(
    charts.map(async (chart) => ({
      file: await input.renderer.render(chart.spec),
      filename: chart.filename,
      title: chart.title,
      alt_text: chart.altText,
    })),
  );
  try {
    const response = await input.client.files.uploadV2({
      channel_id: channel,
      thread_ts: ts,
      initial_comment: `Charts for ${input.digest.date}: ${charts.map((chart) => chart.title).join(' · ')}`,
      file_uploads: files,
    });
    const fileIds = extractFileIds(response);
    return { channel, ts, charts: files.length, fileIds };
  } catch (error) {
    throw new SlackPostError('files.uploadV2', error);
  }
}

/** File ids from files.uploadV2's answer (one completed upload per call, each with its files). */
function extractFileIds(response: unknown): string[] {
  const uploads = (response as { files?: { files?: { id?: unknown }[] }[] }).files ?? [];
  return uploads.flatMap((upload) => (upload.files ?? []).map((file) => file.id)).filter((id): id is string => typeof id === 'string');
}

export interface DigestJobDeps {
  db: Kysely<WarehouseSchema>;
  /** Needed unless dryRun (createSlackWebClient(config.slack, …)). */
  client?: WebClient;
  /** createChartRenderer({ chartHost: config.charts.chartHost }). */
  renderer: ChartRenderer;
  config: Pick<AppConfig, 'slack' | 'cityTimeZone' | 'slaHours'>;
  logger: Logger;
  now?: () => Date;
}

export interface DigestJobOptions {
  dryRun?: boolean;
  /** City-local day the digest covers ('YYYY-MM-DD'); default yesterday. */
  date?: string;
}

export interface DigestJobResult {
  dryRun: boolean;
  date: string;
  /** 1 when the message was posted, 0 on a dry run or when the day was already posted. */
  posted: number;
  /**
   * 1 when nothing was posted because the day's digest was already posted (or is being posted
   * right now) by another run (another replica's tick, an earlier command); channel and ts are then
   * that post's (ts null while it is under way).
   */
  alreadyPosted: number;
  /** Charts uploaded (or that would be uploaded). */
  charts: number;
  channel: string | null;
  ts: string | null;
  digest: Digest;
  message: DigestMessage;
  /** The digest as readable text. */
  text: string[];
  chartSpecs: DigestChart[];
}

/**
 * The daily digest job: builds the digest for yesterday (city time) and posts it to
 * DIGEST_CHANNEL with its charts; on a dry run it only returns what would be posted.
 */
export async function runDigestJob(deps: DigestJobDeps, options: DigestJobOptions = {}): Promise<DigestJobResult> {
  const dryRun = options.dryRun ?? false;
  const channel = deps.config.slack.digestChannel ?? null;
  if (!dryRun) {
    const missing = [!deps.client ? 'SLACK_BOT_TOKEN' : null, !channel ? 'DIGEST_CHANNEL' : null].filter(Boolean);
    if (missing.length > 0) {
      throw new ConfigError(
        `Cannot post the digest: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Use --dry-run to see what would be posted.`,
      );
    }
  }
  const now = deps.now?.() ?? new Date();
  const digest = await buildDigest(deps.db, {
    now,
    timeZone: deps.config.cityTimeZone,
    slaHours: deps.config.slaHours,
    date: options.date,
  });
  const message = renderDigestBlocks(digest);
  const chartSpecs = digestCharts(digest);
  const result = { dryRun, date: digest.date, digest, message, text: formatDigestText(digest), chartSpecs };
  if (dryRun) return { ...result, posted: 0, alreadyPosted: 0, charts: chartSpecs.length, channel, ts: null };
  if (!deps.client || !channel) throw new ConfigError('SLACK_BOT_TOKEN and DIGEST_CHANNEL are required to post the digest.');
  const log = deps.logger.child({ component: 'digest', date: digest.date });

  // Once per day, across replicas: the advisory lock only keeps two runs from overlapping, so two
  // replicas ticking seconds apart would each post. The day is claimed in the warehouse first.
  const claim = await claimDigestPost(deps.db, { date: digest.date, channel, staleAfterMs: DIGEST_CLAIM_TIMEOUT_MS });
  if (!claim.claimed) {
    log.info(
      { channel: claim.existing?.channel ?? null, ts: claim.existing?.ts ?? null },
      'digest for this day already posted (or being posted) by another run; not posting again',
    );
    return {
      ...result,
      posted: 0,
      alreadyPosted: 1,
      charts: 0,
      channel: claim.existing?.channel ?? channel,
      ts: claim.existing?.ts ?? null,
    };
  }
  let messagePosted = false;
  let posted: PostedDigest;
  try {
    posted = await postDigest({
      client: deps.client,
      renderer: deps.renderer,
      channel,
      digest,
      message,
      charts: chartSpecs,
      onMessagePosted: async (accepted) => {
        messagePosted = true;
        await recordDigestPosted(deps.db, { date: digest.date, ...accepted });
      },
    });
  } catch (error) {
    if (messagePosted) {
      // The message is in the channel: keep the claim (posting it again would double it); only the charts are missing.
      log.error({ err: error }, 'digest message posted but its charts failed; the day stays posted and is not retried');
    } else {
      // Nothing reached the channel: give the day back so the next tick retries.
      await releaseDigestPost(deps.db, { date: digest.date, claimedAt: claim.claimedAt }).catch((releaseError: unknown) =>
        log.error({ err: releaseError }, 'could not release the digest claim; it is retried once the claim is stale'),
      );
      log.error({ err: error }, 'digest post failed; the day is released and the next tick retries');
    }
    throw error;
  }
  log.info({ channel: posted.channel, ts: posted.ts, charts: posted.charts }, 'daily digest posted');
  return { ...result, posted: 1, alreadyPosted: 0, charts: posted.charts, channel: posted.channel, ts: posted.ts };
}

/**
 * A claim still without a ts this long after it was taken belongs to a run that died mid-post
 * (killed before it could post or release); the next run may take it over.
 */
export const DIGEST_CLAIM_TIMEOUT_MS = 30 * 60_000;

/** The counts of a digest run for job_run.counts (scheduler) and logs. */
export function summarizeDigestRun(result: DigestJobResult): Record<string, number | string | null> {
  return {
    date: result.date,
    posted: result.posted,
    already_posted: result.alreadyPosted,
    charts: result.charts,
    tickets: result.digest.day.count,
    surging: result.digest.surges.surging.length,
    ts: result.ts,
  };
}
