/**
 * The app's Home tab (pure builder): headline figures, the five types furthest from their SLA,
 * the at-risk worklist's top 10, the workload forecast line and how old the data is. Every piece
 * of warehouse data is escaped, every text is cut to Slack's limits, and the lists are capped, so
 * the view stays far below the 100 blocks a Home tab may hold whatever the warehouse holds.
 */
import type { KnownBlock } from '@slack/web-api';
import type { DataClock } from '../../analytics/data-clock.js';
import type { TypeSlaSummary } from '../../analytics/sla-report.js';
import type { ForecastTotal } from '../../forecast/forecast-summary.js';
import type { WorklistTicket } from '../../worklist/build-worklist.js';
import { escapeMrkdwn, MAX_TEXT_CHARS, truncateText } from './alert-blocks.js';
import { describeForecastLine } from './forecast-line.js';
import { describeTimeLeft, fitMrkdwn, linkTicket } from './ticket-lines.js';

/** Blocks a Home tab view may hold. */
export const MAX_HOME_BLOCKS = 100;
/** Slack's limits on header text and on one section field. */
export const MAX_HEADER_CHARS = 150;
export const MAX_FIELD_CHARS = 2000;
/** Types and tickets the Home tab lists. */
export const HOME_WORST_TYPES = 5;
export const HOME_WORKLIST_TICKETS = 10;
/** Characters of a type name shown before it is cut. */
const TYPE_NAME_CHARS = 120;

/** The figures across every type, over the windows ending at the data clock's instant. */
export interface HomeHeadline {
  /** Tickets created in the 7 days before the instant, and in the 7 days before those. */
  ticketsLast7Days: number;
  ticketsPrevious7Days: number;
  /** SLA attainment of the tickets created in the last `windowDays` days. */
  attainment: number | null;
  judged: number;
  windowDays: number;
  /** Open tickets at the instant. */
  backlog: number;
}

/** The worklist part: ranked tickets, or why there are none. */
export type HomeWorklist =
  | {
      kind: 'ranked';
      /** At-risk tickets in worklist order (only the first HOME_WORKLIST_TICKETS are shown). */
      tickets: readonly WorklistTicket[];
      /** Open tickets at risk, and past their SLA. */
      atRiskTotal: number;
      breachedTotal: number;
      modelVersion: string;
    }
  | { kind: 'no_model' };

export interface HomeViewInput {
  headline: HomeHeadline;
  /** Worst first (only the first HOME_WORST_TYPES are shown). */
  worstTypes: readonly TypeSlaSummary[];
  worklist: HomeWorklist;
  /** Null when there is nothing to forecast from (an empty warehouse). */
  forecast: ForecastTotal | null;
  dataClock: DataClock;
  timeZone: string;
}

export interface HomeView {
  type: 'home';
  blocks: KnownBlock[];
}

const percent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);
const count = new Intl.NumberFormat('en-US');

function formatInstant(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  }).format(instant);
}

function mrkdwnSection(text: string, blockId?: string): KnownBlock {
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: { type: 'mrkdwn', text: fitMrkdwn(text, MAX_TEXT_CHARS) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: fitMrkdwn(text, MAX_TEXT_CHARS) }] };
}

/** "As of …" and, when the data stops before today, when it ends. */
function describeDataAge(clock: DataClock, timeZone: string): string {
  if (clock.dataThrough === null)
    return ':warning: The warehouse holds no tickets yet: run `civicops ingest` (or `civicops demo --offline`).';
  const asOf = formatInstant(clock.asOf, timeZone);
  if (!clock.stale) return `As of ${asOf} (${escapeMrkdwn(timeZone)}).`;
  return (
    `:warning: As of ${asOf} (data ends ${formatInstant(clock.dataThrough, timeZone)}): the warehouse has nothing newer, ` +
    "so these figures are not today's. Run `civicops ingest` to bring it up to date."
  );
}

function describeWeekChange(current: number, previous: number): string {
  if (previous === 0) return current === 0 ? 'none the week before either' : 'none the week before';
  const change = Math.round(((current - previous) / previous) * 100);
  if (change === 0) return 'same as the week before';
  return `${change > 0 ? '↑ +' : '↓ −'}${Math.abs(change)}% vs the week before`;
}

function buildHeadlineFields(input: HomeViewInput): KnownBlock {
  const { headline, worklist } = input;
  const atRisk =
    worklist.kind === 'ranked'
      ? `*${count.format(worklist.atRiskTotal)}* at risk\n${count.format(worklist.breachedTotal)} already past SLA`
      : 'No model trained yet\n(run `civicops train`)';
  const fields = [
    `*Tickets, last 7 days*\n*${count.format(headline.ticketsLast7Days)}*\n${describeWeekChange(headline.ticketsLast7Days, headline.ticketsPrevious7Days)}`,
    `*SLA attainment, last ${headline.windowDays} days*\n*${percent(headline.attainment)}*\n${count.format(headline.judged)} tickets judged`,
    `*Backlog*\n*${count.format(headline.backlog)}* open`,
    `*At risk now*\n${atRisk}`,
  ];
  return {
    type: 'section',
    block_id: 'home_headline',
    fields: fields.map((text) => ({ type: 'mrkdwn' as const, text: fitMrkdwn(text, MAX_FIELD_CHARS) })),
  };
}

function describeWorstTypes(types: readonly TypeSlaSummary[], windowDays: number): string {
  const title = `*Furthest from SLA* (last ${windowDays} days)`;
  if (types.length === 0) return `${title}\nToo few judged tickets to rank request types (at least 5 each).`;
  const lines = types.slice(0, HOME_WORST_TYPES).map((type, index) => {
    const { current } = type;
    return (
      `${index + 1}. *${escapeMrkdwn(truncateText(type.displayName, TYPE_NAME_CHARS))}* — ${percent(current.attainment)} within ${type.slaHours} h` +
      ` · ${count.format(current.breached)} breached · ${count.format(current.backlog)} open`
    );
  });
  return `${title}\n${lines.join('\n')}`;
}

function buildWorklistBlocks(worklist: HomeWorklist): KnownBlock[] {
  if (worklist.kind === 'no_model') {
    return [
      mrkdwnSection(
        '*At-risk worklist*\nNo model trained yet (run `civicops train`; it also runs nightly), so tickets cannot be ranked by breach risk.',
        'home_worklist',
      ),
    ];
  }
  const shown = worklist.tickets.slice(0, HOME_WORKLIST_TICKETS);
  if (shown.length === 0) {
    return [mrkdwnSection('*At-risk worklist*\nNo open ticket is at risk of missing its SLA right now.', 'home_worklist')];
  }
  const blocks: KnownBlock[] = [
    mrkdwnSection(
      `*At-risk worklist* — top ${shown.length} of ${count.format(worklist.atRiskTotal)} at risk, likeliest breach per hour left first`,
      'home_worklist',
    ),
  ];
  shown.forEach((ticket, index) => {
    const type = escapeMrkdwn(truncateText(ticket.request_type, TYPE_NAME_CHARS));
    const where = ticket.address ? ` · ${escapeMrkdwn(truncateText(ticket.address, 200))}` : '';
    blocks.push(
      mrkdwnSection(
        `*${index + 1}.* ${linkTicket(ticket)} · ${type}${where}\n` +
          `${describeTimeLeft(ticket.hours_left)} · ${Math.round(ticket.sla_breach_probability * 100)}% breach risk · ${ticket.risk_level}`,
        `home_ticket_${index}`,
      ),
    );
  });
  blocks.push(
    context(
      `Model ${escapeMrkdwn(truncateText(worklist.modelVersion, 100))}. The full list: \`civicops worklist\` or GET /api/v1/worklist.`,
    ),
  );
  return blocks;
}

/** The Home tab view for `views.publish`. */
export function buildHomeView(input: HomeViewInput): HomeView {
  const { timeZone } = input;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateText('CivicOps-311 — 311 operations', MAX_HEADER_CHARS), emoji: true } },
    context(describeDataAge(input.dataClock, timeZone)),
    buildHeadlineFields(input),
    { type: 'divider' },
    mrkdwnSection(describeWorstTypes(input.worstTypes, input.headline.windowDays), 'home_worst_types'),
    { type: 'divider' },
    ...buildWorklistBlocks(input.worklist),
    { type: 'divider' },
    mrkdwnSection(
      `*Workload forecast*\n${input.forecast ? describeForecastLine(input.forecast) : 'Nothing to forecast from yet: the warehouse is empty.'}`,
      'home_forecast',
    ),
    context(
      'Computed each time you open this tab: open it again to refresh. `/sla` and a request type for one type, `/score` to estimate a new ticket.',
    ),
  ];
  return { type: 'home', blocks: blocks.slice(0, MAX_HOME_BLOCKS) };
}

/** The Home tab when its figures could not be gathered: the sentence for people, and how to retry. */
export function buildHomeErrorView(message: string): HomeView {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'CivicOps-311 — 311 operations', emoji: true } },
      mrkdwnSection(message, 'home_error'),
      context('Open this tab again to retry.'),
    ],
  };
}
