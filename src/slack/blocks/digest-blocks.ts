/**
 * The daily digest as Block Kit and as plain text (pure). Both say the same things in the same
 * order: intake against the usual, surging types with the rule, SLA attainment and backlog, and
 * the worst types; the charts follow in the thread.
 */
import type { KnownBlock } from '@slack/web-api';
import type { Digest, DigestTypeSla, VolumeComparison } from '../digest/build-digest.js';
import { SLA_WINDOW_DAYS, WORST_TYPES_IN_MESSAGE } from '../digest/build-digest.js';
import { escapeMrkdwn, truncateText, MAX_TEXT_CHARS } from './alert-blocks.js';
import { describeForecastLine } from './forecast-line.js';

export interface DigestMessage {
  text: string;
  blocks: KnownBlock[];
}

/** A change within this share of the usual level reads as "about usual". */
const FLAT_BAND = 0.1;

/** ↑ / ↓ / → for a count against its usual level. */
export function trendArrow(comparison: Pick<VolumeComparison, 'change' | 'relativeChange'>): string {
  if (comparison.relativeChange === null) return comparison.change > 0 ? '↑' : comparison.change < 0 ? '↓' : '→';
  if (Math.abs(comparison.relativeChange) < FLAT_BAND) return '→';
  return comparison.relativeChange > 0 ? '↑' : '↓';
}

const formatNumber = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const formatPercent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);
const formatHours = (hours: number | null) => (hours === null ? '–' : `${Math.round(hours)} h`);

/** "12 ↑ +50% vs usual 8.0" */
export function describeComparison(comparison: VolumeComparison, usualLabel: string): string {
  const arrow = trendArrow(comparison);
  const relative =
    comparison.relativeChange === null
      ? comparison.change === 0
        ? 'same as'
        : `${comparison.change > 0 ? '+' : '−'}${formatNumber(Math.abs(comparison.change))} vs`
      : Math.abs(comparison.relativeChange) < FLAT_BAND
        ? 'about'
        : `${comparison.relativeChange > 0 ? '+' : '−'}${Math.round(Math.abs(comparison.relativeChange) * 100)}% vs`;
  return `${comparison.count} ${arrow} ${relative} ${usualLabel} ${formatNumber(Math.round(comparison.usual * 10) / 10)}`;
}

/** "71% ↓ −5 pts vs previous 28 days" */
export function describeAttainment(current: number | null, previous: number | null, periodLabel: string): string {
  if (current === null) return 'no judged tickets yet';
  if (previous === null) return `${formatPercent(current)} (nothing to compare with in the ${periodLabel})`;
  const points = Math.round((current - previous) * 100);
  const arrow = points > 0 ? '↑' : points < 0 ? '↓' : '→';
  return `${formatPercent(current)} ${arrow} ${points > 0 ? '+' : points < 0 ? '−' : '±'}${Math.abs(points)} pts vs ${periodLabel}`;
}

function describeBacklog(current: number, previous: number, periodLabel: string): string {
  const change = current - previous;
  const arrow = change > 0 ? '↑' : change < 0 ? '↓' : '→';
  return `${current} open ${arrow} ${change > 0 ? '+' : change < 0 ? '−' : '±'}${Math.abs(change)} vs ${periodLabel}`;
}

function formatDayLong(dateKey: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'long', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${dateKey}T12:00:00Z`),
  );
}

function formatDayShort(dateKey: string): string {
  return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${dateKey}T12:00:00Z`));
}

function describeWorstType(type: DigestTypeSla, rank: number): string {
  return `${rank}. ${type.displayName} — ${formatPercent(type.attainment)} of ${type.judged} judged within ${type.slaHours} h · P90 ${formatHours(type.p90Hours)} · ${type.backlog} open`;
}

function describeSurge(type: Digest['surges']['surging'][number]): string {
  return `${type.displayName}: ${type.last7Days} in 7 days vs usual ${formatNumber(Math.round(type.usualWeekly * 10) / 10)}/week (×${type.ratio.toFixed(1)}, p = ${type.pValue < 0.0001 ? '< 0.0001' : type.pValue.toFixed(4)})`;
}

/** The digest's headline, also the notification text. */
export function describeDigestTitle(digest: Digest): string {
  return `311 daily digest for ${formatDayLong(digest.date)}`;
}

/** The Block Kit message of the daily digest (charts are uploaded in its thread). */
export function renderDigestBlocks(digest: Digest): DigestMessage {
  const slaPeriod = `previous ${SLA_WINDOW_DAYS} days`;
  const worst = digest.sla.worstTypes.slice(0, WORST_TYPES_IN_MESSAGE);
  const surgeText =
    digest.surges.surging.length === 0
      ? 'No request type is surging.'
      : digest.surges.surging
          .slice(0, 10)
          .map(
            (type) =>
              `• :chart_with_upwards_trend: *${escapeMrkdwn(type.displayName)}*${escapeMrkdwn(describeSurge(type).slice(type.displayName.length))}`,
          )
          .join('\n');
  const worstText =
    worst.length === 0
      ? 'Too few judged tickets to rank request types (at least 5 each).'
      : worst.map((type, index) => escapeMrkdwn(describeWorstType(type, index + 1))).join('\n');
  const title = describeDigestTitle(digest);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateText(`📋 ${title}`, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*${digest.weekday}'s tickets*\n${describeComparison(digest.day, `usual ${digest.weekday}`)}` },
        {
          type: 'mrkdwn',
          text: `*Last 7 days* (${formatDayShort(digest.week.firstDay)}–${formatDayShort(digest.week.lastDay)})\n${describeComparison(digest.week, 'usual week')}`,
        },
        {
          type: 'mrkdwn',
          text: `*SLA attainment* (created ${formatDayShort(digest.sla.firstDay)}–${formatDayShort(digest.sla.lastDay)})\n${describeAttainment(digest.sla.attainment, digest.sla.previousAttainment, slaPeriod)}`,
        },
        {
          type: 'mrkdwn',
          text: `*Backlog*\n${describeBacklog(digest.sla.backlog, digest.sla.previousBacklog, `${SLA_WINDOW_DAYS} days earlier`)}`,
        },
      ],
    },
    ...(digest.forecast
      ? [
          {
            type: 'section' as const,
            text: { type: 'mrkdwn' as const, text: `*Workload forecast*\n${describeForecastLine(digest.forecast)}` },
          },
        ]
      : []),
    { type: 'section', text: { type: 'mrkdwn', text: truncateText(`*Surging request types*\n${surgeText}`, MAX_TEXT_CHARS) } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateText(`*Worst SLA attainment*\n${worstText}`, MAX_TEXT_CHARS) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncateText(
            `Usual = mean of the same weekday (or 7-day block) over the 8 weeks before. ${digest.surges.rule} Attainment counts tickets closed, or open past their SLA, as of the digest. Times in ${digest.timeZone}. Charts in the thread.`,
            MAX_TEXT_CHARS,
          ),
        },
      ],
    },
  ];
  const text = `${title}: ${digest.day.count} tickets (usual ${formatNumber(Math.round(digest.day.usual * 10) / 10)}), ${digest.surges.surging.length} surging types, SLA attainment ${formatPercent(digest.sla.attainment)}, backlog ${digest.sla.backlog}.`;
  return { text, blocks };
}

/** The digest as readable text, for `civicops digest --dry-run`. */
export function formatDigestText(digest: Digest): string[] {
  const lines = [
    describeDigestTitle(digest),
    '',
    `${digest.weekday}'s tickets:   ${describeComparison(digest.day, `usual ${digest.weekday}`)}  (last ${digest.day.basis.length} ${digest.weekday}s: ${digest.day.basis.join(', ')})`,
    `Last 7 days (${digest.week.firstDay} → ${digest.week.lastDay}):  ${describeComparison(digest.week, 'usual week')}`,
    `SLA attainment (tickets created ${digest.sla.firstDay} → ${digest.sla.lastDay}): ${describeAttainment(digest.sla.attainment, digest.sla.previousAttainment, `previous ${SLA_WINDOW_DAYS} days`)}; ${digest.sla.judged} judged, ${digest.sla.breached} breached, P90 ${formatHours(digest.sla.p90Hours)}`,
    `Backlog: ${describeBacklog(digest.sla.backlog, digest.sla.previousBacklog, `${SLA_WINDOW_DAYS} days earlier`)}`,
    ...(digest.forecast ? [`Forecast: ${describeForecastLine(digest.forecast)}`] : []),
    '',
    'Surging request types:',
    ...(digest.surges.surging.length === 0 ? ['  none'] : digest.surges.surging.map((type) => `  ${describeSurge(type)}`)),
    '',
    'Worst SLA attainment:',
    ...(digest.sla.worstTypes.length === 0
      ? ['  too few judged tickets to rank types']
      : digest.sla.worstTypes.slice(0, WORST_TYPES_IN_MESSAGE).map((type, index) => `  ${describeWorstType(type, index + 1)}`)),
    '',
    `Surge rule: ${digest.surges.rule}`,
  ];
  return lines;
}
