import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import type { ChartRenderer } from '../../charts/chart-renderer.js';
import type { AppConfig } from '../../config/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
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
  if (charts.length === 0) return { channel, ts, charts: 0, fileIds: [] };

  // Render before uploading so a rendering failure surfaces as a chart error, not a Slack one.
  const files = await Promise.all(
    charts.map(async (chart) => ({ file: await input.renderer.render(chart.spec), filename: chart.filename, title: chart.title, alt_text: chart.altText })),
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
  /** 1 when the message was posted, 0 on a dry run. */
  posted: number;
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
      throw new ConfigError(`Cannot post the digest: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Use --dry-run to see what would be posted.`);
    }
  }
  const now = deps.now?.() ?? new Date();
  const digest = await buildDigest(deps.db, { now, timeZone: deps.config.cityTimeZone, slaHours: deps.config.slaHours, date: options.date });
  const message = renderDigestBlocks(digest);
  const chartSpecs = digestCharts(digest);
  const result = { dryRun, date: digest.date, digest, message, text: formatDigestText(digest), chartSpecs };
  if (dryRun) return { ...result, posted: 0, charts: chartSpecs.length, channel, ts: null };
  if (!deps.client || !channel) throw new ConfigError('SLACK_BOT_TOKEN and DIGEST_CHANNEL are required to post the digest.');
  const posted = await postDigest({ client: deps.client, renderer: deps.renderer, channel, digest, message, charts: chartSpecs });
  deps.logger.info({ component: 'digest', date: digest.date, channel: posted.channel, ts: posted.ts, charts: posted.charts }, 'daily digest posted');
  return { ...result, posted: 1, charts: posted.charts, channel: posted.channel, ts: posted.ts };
}

/** The counts of a digest run for job_run.counts (scheduler) and logs. */
export function summarizeDigestRun(result: DigestJobResult): Record<string, number | string | null> {
  return {
    date: result.date,
    posted: result.posted,
    charts: result.charts,
    tickets: result.digest.day.count,
    surging: result.digest.surges.surging.length,
    ts: result.ts,
  };
}
