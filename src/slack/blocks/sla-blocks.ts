/**
 * Block Kit for `/sla` (pure builders): one request type's SLA card, the five worst types, and
 * "did you mean" buttons for a type nobody has heard of.
 */
import type { KnownBlock } from '@slack/web-api';
import { z } from 'zod';
import type { Trend, TypeSlaSummary } from '../../analytics/sla-report.js';
import type { WorklistTicket } from '../../worklist/build-worklist.js';
import type { TypeSlaSnapshot, WorstTypesSnapshot } from '../listeners/shared/sla-snapshot.query.js';
import { escapeMrkdwn, MAX_TEXT_CHARS, truncateText } from './alert-blocks.js';
import { describeTicketLine, fitMrkdwn } from './ticket-lines.js';

/** action_id of the Share button (value: SlaActionValue as JSON). */
export const SLA_SHARE_ACTION_ID = 'sla_share';
/** action_id prefix of "did you mean" and "Details" buttons (`sla_did_you_mean:0`, ...; value: SlaActionValue). */
export const SLA_PICK_TYPE_ACTION_PREFIX = 'sla_did_you_mean';
/** Matches every pick-type button of a message. */
export const SLA_PICK_TYPE_ACTION_PATTERN = /^sla_did_you_mean(:\d+)?$/;

/** What a /sla button carries: the type to show (empty: the worst-types list), where, and the city when it is not the app's. */
export const slaActionValueSchema = z.object({
  type: z.string().max(120),
  inChannel: z.boolean().default(false),
  city: z.string().max(63).optional(),
});
export type SlaActionValue = z.infer<typeof slaActionValueSchema>;

export interface SlaMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: KnownBlock[];
}

export interface SlaMessageOptions {
  /** Show the Share button (private replies only). */
  shareable: boolean;
  /** Slack user id of whoever posted it to the channel. */
  sharedBy?: string;
  /** City time zone, for the dates in the footnote. */
  timeZone: string;
  /** The city asked for with `city:NAME`, carried by the buttons; undefined for the app's own city. */
  city?: string;
}

/** The `city` field of a button's value, present only for a city other than the app's. */
const cityField = (city: string | undefined) => (city === undefined ? {} : { city });
/** Headers say which city when it is not the app's own. */
const citySuffix = (city: string | undefined) => (city === undefined ? '' : ` (${city})`);
/** What follows the type's name in its header. */
const headerTail = (slaHours: number, city: string | undefined) => ` — SLA ${slaHours} h${citySuffix(city)}`;

const SPARK_LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Unicode bars scaled to the largest value ("▁▃▅█"); a small chart that needs no upload. */
export function buildSparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return values.map(() => SPARK_LEVELS[0]).join('');
  return values
    .map((value) => SPARK_LEVELS[Math.min(SPARK_LEVELS.length - 1, Math.round((Math.max(0, value) / max) * (SPARK_LEVELS.length - 1)))])
    .join('');
}

export const formatPercent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 100)}%`);
const formatHours = (hours: number | null): string => (hours === null ? '–' : `${hours.toFixed(1)} h`);

/**
 * A trend as an arrow and the change, with whether that is better or worse:
 * "↑ +5 pts (better)", "↓ −12.0 h (better)", "→ unchanged", "no earlier data".
 */
export function describeTrend(trend: Trend, kind: 'share' | 'hours' | 'count', higherIsBetter: boolean): string {
  if (trend.change === null) return 'no earlier data';
  const size =
    kind === 'share'
      ? Math.round(Math.abs(trend.change) * 100)
      : kind === 'hours'
        ? Number(Math.abs(trend.change).toFixed(1))
        : Math.abs(trend.change);
  if (size === 0) return '→ unchanged';
  const up = trend.change > 0;
  const amount = kind === 'share' ? `${size} pts` : kind === 'hours' ? `${size.toFixed(1)} h` : String(size);
  const verdict = up === higherIsBetter ? 'better' : 'worse';
  return `${up ? '↑ +' : '↓ −'}${amount} (${verdict})`;
}

function formatDay(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', year: 'numeric' }).format(instant);
}

function describeRecentVolume(snapshot: TypeSlaSnapshot): string {
  const { last7Days, usualWeekly, ratio, surging } = snapshot.recentVolume;
  const usual = usualWeekly === 0 ? 'none usually' : `usual ${usualWeekly.toFixed(1)}/week`;
  const versus = usualWeekly === 0 ? '' : `\n${ratio.toFixed(1)}× usual`;
  return `${last7Days} tickets · ${usual}${versus}${surging ? ' :rotating_light: *surging*' : ''}`;
}

function buildShareActions(value: SlaActionValue): KnownBlock {
  return {
    type: 'actions',
    block_id: 'sla_actions',
    elements: [
      {
        type: 'button',
        action_id: SLA_SHARE_ACTION_ID,
        text: { type: 'plain_text', text: 'Share in channel', emoji: true },
        style: 'primary',
        value: JSON.stringify(value),
      },
    ],
  };
}

function buildSharedByContext(userId: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `Shared by <@${userId}> with \`/sla\`` }] };
}

/** Tickets in the "At risk now" section of `/sla <type>`. */
export const SLA_AT_RISK_TICKETS = 5;

/** The "At risk now" section: the type's open tickets likeliest to breach, breached first (the worklist rule). */
export type SlaAtRisk =
  | {
      kind: 'tickets';
      /** Past the SLA first, then at risk, in worklist order (only SLA_AT_RISK_TICKETS are shown). */
      tickets: readonly WorklistTicket[];
      breachedTotal: number;
      atRiskTotal: number;
      /** The instant they are judged at, and whether that is the data's end rather than now. */
      asOf: Date;
      stale: boolean;
    }
  | { kind: 'no_model' }
  | { kind: 'unavailable' };

function buildAtRiskSection(atRisk: SlaAtRisk, timeZone: string): KnownBlock {
  let text: string;
  if (atRisk.kind === 'no_model') {
    text = '*At risk now:* no model trained yet (run `civicops train`), so open tickets cannot be ranked by breach risk.';
  } else if (atRisk.kind === 'unavailable') {
    text = '*At risk now:* could not be loaded this time (the cause is logged); the figures above are complete.';
  } else if (atRisk.tickets.length === 0) {
    text = '*At risk now:* no open ticket of this type is past its SLA or at risk.';
  } else {
    const asOf = atRisk.stale ? ` (as of ${formatDay(atRisk.asOf, timeZone)}, where the data ends)` : '';
    const lines = atRisk.tickets.slice(0, SLA_AT_RISK_TICKETS).map((ticket) => `• ${describeTicketLine(ticket)}`);
    text = `*At risk now* — ${atRisk.breachedTotal} past SLA, ${atRisk.atRiskTotal} at risk${asOf}\n${lines.join('\n')}`;
  }
  return { type: 'section', block_id: 'sla_at_risk', text: { type: 'mrkdwn', text: fitMrkdwn(text, MAX_TEXT_CHARS) } };
}

/** The SLA card of one request type, with its "At risk now" section when `atRisk` is given. */
export function buildTypeSlaMessage(snapshot: TypeSlaSnapshot, options: SlaMessageOptions, atRisk?: SlaAtRisk): SlaMessage {
  const { report } = snapshot;
  const { current, trends } = report;
  const name = escapeMrkdwn(report.displayName);
  const judged = `${current.metSla} of ${current.withKnownOutcome} judged`;
  const weeklyCounts = snapshot.weeks.map((week) => week.count);
  const tail = headerTail(report.slaHours, options.city);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        // The name gives way first, so the SLA and the city stay readable whatever the type's length.
        text: `${truncateText(report.displayName, 150 - tail.length)}${tail}`,
        emoji: true,
      },
    },
    {
      type: 'section',
      block_id: 'sla_metrics',
      fields: [
        {
          type: 'mrkdwn',
          text: `*SLA attainment*\n*${formatPercent(current.attainment)}* (${judged})\n${describeTrend(trends.attainment, 'share', true)}`,
        },
        {
          type: 'mrkdwn',
          text: `*P90 hours to close*\n*${formatHours(current.p90HoursToClose)}*\n${describeTrend(trends.p90HoursToClose, 'hours', false)}`,
        },
        { type: 'mrkdwn', text: `*Backlog now*\n*${current.backlog}* open\n${describeTrend(trends.backlog, 'count', false)}` },
        { type: 'mrkdwn', text: `*Last 7 days*\n${describeRecentVolume(snapshot)}` },
      ],
    },
  ];
  if (weeklyCounts.length > 0) {
    blocks.push({
      type: 'section',
      block_id: 'sla_trend',
      text: {
        type: 'mrkdwn',
        text: `*Tickets per week, last ${weeklyCounts.length} weeks:* \`${buildSparkline(weeklyCounts)}\` (${Math.min(...weeklyCounts)}–${Math.max(...weeklyCounts)} a week)`,
      },
    });
  }
  if (atRisk) blocks.push(buildAtRiskSection(atRisk, options.timeZone));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text:
          `${name}: tickets created ${formatDay(current.since, options.timeZone)} – ${formatDay(new Date(current.until.getTime() - 1), options.timeZone)} ` +
          `(${current.tickets} tickets), arrows against the ${snapshot.windowDays} days before. Attainment counts tickets closed, ` +
          `or still open past the SLA; backlog is every open ticket of the type now.`,
      },
    ],
  });
  if (options.sharedBy) blocks.push(buildSharedByContext(options.sharedBy));
  if (options.shareable) blocks.push(buildShareActions({ type: report.typeKey, inChannel: true, ...cityField(options.city) }));
  const text =
    `${name}: ${formatPercent(current.attainment)} within the ${report.slaHours} h SLA (last ${snapshot.windowDays} days), ` +
    `P90 ${formatHours(current.p90HoursToClose)}, backlog ${current.backlog}, ${snapshot.recentVolume.last7Days} tickets in the last 7 days.`;
  return { text, blocks };
}

function describeWorstRow(summary: TypeSlaSummary, rank: number): string {
  const { current, trends } = summary;
  return (
    `*${rank}. ${escapeMrkdwn(summary.displayName)}* — *${formatPercent(current.attainment)}* within ${summary.slaHours} h ` +
    `(${describeTrend(trends.attainment, 'share', true)})\n` +
    `P90 ${formatHours(current.p90HoursToClose)} · backlog ${current.backlog} open · ${current.tickets} tickets, ${current.breached} breached`
  );
}

/** The request types furthest from their SLA, each with a Details button. */
export function buildWorstTypesMessage(snapshot: WorstTypesSnapshot, options: SlaMessageOptions): SlaMessage {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Request types furthest from SLA${citySuffix(options.city)}`, emoji: true } },
  ];
  if (snapshot.worst.length === 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `No request type had at least 5 judged tickets in the last ${snapshot.windowDays} days ` +
          `(${snapshot.typesWithTickets} type${snapshot.typesWithTickets === 1 ? '' : 's'} had tickets). Try \`/sla <request type>\`.`,
      },
    });
  } else {
    snapshot.worst.forEach((summary, index) => {
      blocks.push({
        type: 'section',
        block_id: truncateText(`sla_worst_${index}`, 255),
        text: { type: 'mrkdwn', text: describeWorstRow(summary, index + 1) },
        accessory: {
          type: 'button',
          action_id: `${SLA_PICK_TYPE_ACTION_PREFIX}:${index}`,
          text: { type: 'plain_text', text: 'Details', emoji: true },
          value: JSON.stringify({ type: summary.typeKey, inChannel: false, ...cityField(options.city) } satisfies SlaActionValue),
        },
      });
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text:
          `Last ${snapshot.windowDays} days to ${formatDay(snapshot.now, snapshot.timeZone)}, lowest SLA attainment first; only types with ` +
          `at least 5 judged tickets (closed, or open past the SLA). Arrows compare with the ${snapshot.windowDays} days before.`,
      },
    ],
  });
  if (options.sharedBy) blocks.push(buildSharedByContext(options.sharedBy));
  if (options.shareable && snapshot.worst.length > 0)
    blocks.push(buildShareActions({ type: '', inChannel: true, ...cityField(options.city) }));
  const text = snapshot.worst.length
    ? `Furthest from SLA: ${snapshot.worst.map((summary) => `${escapeMrkdwn(summary.displayName)} ${formatPercent(summary.current.attainment)}`).join(', ')}`
    : `No request type had enough judged tickets in the last ${snapshot.windowDays} days.`;
  return { text, blocks };
}

/** "I don't know that type" with one button per suggestion (at most 5, Slack's limit is 25). */
export function buildDidYouMeanMessage(input: {
  requested: string;
  suggestions: readonly string[];
  inChannel: boolean;
  city?: string;
}): SlaMessage {
  const requested = escapeMrkdwn(truncateText(input.requested, 100));
  const suggestions = input.suggestions.slice(0, 5);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: suggestions.length
          ? `:grey_question: I don't know the request type *${requested}*. Did you mean:`
          : `:grey_question: I don't know the request type *${requested}*, and nothing comes close.`,
      },
    },
  ];
  if (suggestions.length) {
    blocks.push({
      type: 'actions',
      block_id: 'sla_did_you_mean',
      elements: suggestions.map((name, index) => ({
        type: 'button' as const,
        action_id: `${SLA_PICK_TYPE_ACTION_PREFIX}:${index}`,
        text: { type: 'plain_text' as const, text: truncateText(name, 75), emoji: true },
        value: JSON.stringify({ type: name, inChannel: input.inChannel, ...cityField(input.city) } satisfies SlaActionValue),
      })),
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Or send `/sla` alone for the five types furthest from their SLA.' }],
  });
  const text = suggestions.length
    ? `Unknown request type "${requested}". Did you mean: ${suggestions.map(escapeMrkdwn).join(', ')}?`
    : `Unknown request type "${requested}".`;
  return { text, blocks };
}
