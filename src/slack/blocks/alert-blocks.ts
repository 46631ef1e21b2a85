/**
 * Block Kit for high-risk alerts (pure builders): one parent message per alert run, then one
 * thread reply per ticket; a long list (more than TICKETS_PER_REPLY tickets) is paged several
 * tickets per reply so it stays within Slack's limits (50 blocks per message, 3,000 characters
 * per text field) and within its posting rate.
 */
import type { KnownBlock } from '@slack/web-api';

/** action_id of the Acknowledge button; its value is the ticket id. */
export const ALERT_ACKNOWLEDGE_ACTION_ID = 'alert_acknowledge';
/** block_id prefix of a ticket's section (`alert_<ticketId>`), so a handler can find and update it. */
export const ALERT_BLOCK_ID_PREFIX = 'alert_';
/** Tickets per thread reply: 3 blocks each (section, context, divider) keeps a reply at ≤ 30 of 50 blocks. */
export const TICKETS_PER_REPLY = 10;
/**
 * The most tickets one reply can carry whatever happens to it: once every ticket is acknowledged
 * it has 4 blocks each (section, context, "Acknowledged by", divider; the heading stands in for
 * the last divider), and 4 × 12 = 48 ≤ 50.
 */
export const MAX_TICKETS_PER_REPLY = 12;
/** Slack's limits. */
export const MAX_BLOCKS_PER_MESSAGE = 50;
export const MAX_TEXT_CHARS = 3000;

/** One high-risk ticket as the alert shows it. */
export interface AlertItem {
  ticketId: string;
  requestType: string;
  createdAt: Date;
  /** Street address (location_detail) when the city has one. */
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  commissionDistrict: string | null;
  description: string | null;
  probability: number;
  riskLevel: string;
  topFactors: readonly string[];
  modelVersion: string;
  /** Link to the ticket on the city portal (TICKET_URL_TEMPLATE with {id}). */
  ticketUrl: string;
  /** Who acknowledged it (from the warehouse): shown instead of the Acknowledge button. */
  acknowledgement?: { userId: string; at: Date } | null;
}

export interface AlertMessage {
  /** Notification / fallback text. */
  text: string;
  blocks: KnownBlock[];
}

/** TICKET_URL_TEMPLATE with `{id}` replaced by the URL-encoded ticket id. */
export function buildTicketUrl(template: string, ticketId: string): string {
  return template.split('{id}').join(encodeURIComponent(ticketId));
}

/** "7 new high-risk tickets" / "1 new high-risk ticket". */
export function describeAlertCount(count: number): string {
  return `${count} new high-risk ticket${count === 1 ? '' : 's'}`;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

/**
 * Slack mrkdwn control characters in user or city text (descriptions come from the public):
 * `&`, `<` and `>` become entities, as Slack's formatting rules ask, so `<!channel>`, `<@U…>` or
 * `<https://…|link>` typed by someone are shown, never acted on. The one escaper for every
 * piece of user or city data in message text, fallback text and blocks.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to `max` characters with an ellipsis. */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

function formatCityTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(at);
}

/** Where the ticket is, in words: the address, else coordinates, plus the commission district. */
export function describeAlertLocation(item: Pick<AlertItem, 'address' | 'latitude' | 'longitude' | 'commissionDistrict'>): string {
  const place =
    item.address?.trim() ||
    (item.latitude !== null && item.longitude !== null ? `${item.latitude.toFixed(5)}, ${item.longitude.toFixed(5)}` : 'no location given');
  return item.commissionDistrict ? `${place} · District ${item.commissionDistrict}` : place;
}

/**
 * The parent message of one alert run: how many, which types, the threshold and the model,
 * with the tickets in the thread below it.
 */
export function buildAlertParentMessage(input: {
  items: readonly AlertItem[];
  threshold: number;
  /** How many of the items are retried from an earlier run whose post failed. */
  retried?: number;
}): AlertMessage {
  const { items } = input;
  const title = describeAlertCount(items.length);
  const byType = new Map<string, number>();
  for (const item of items) byType.set(item.requestType, (byType.get(item.requestType) ?? 0) + 1);
  const types = [...byType].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shownTypes = types.slice(0, 8).map(([name, count]) => `${escapeMrkdwn(name)} ${count}`);
  if (types.length > 8) shownTypes.push(`${types.length - 8} more types`);
  const highest = items.reduce<AlertItem | undefined>(
    (best, item) => (!best || item.probability > best.probability ? item : best),
    undefined,
  );
  const versions = [...new Set(items.map((item) => item.modelVersion))];
  const summary = [
    `Open tickets with at least a *${percent(input.threshold)}* chance of missing their SLA, by the breach model.`,
    `*By type:* ${shownTypes.join(', ')}`,
    highest
      ? `*Highest:* ${escapeMrkdwn(highest.requestType)} (#${escapeMrkdwn(highest.ticketId)}) at ${percent(highest.probability)}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const context = [`Details and Acknowledge buttons in the thread.`, `Model ${versions.join(', ')}.`];
  if (input.retried) context.push(`${input.retried} retried from an earlier run that could not post.`);
  return {
    text: truncateText(`:rotating_light: ${title}`, MAX_TEXT_CHARS),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncateText(`🚨 ${title}`, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncateText(summary, MAX_TEXT_CHARS) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateText(context.join(' '), MAX_TEXT_CHARS) }] },
    ],
  };
}

/** The blocks of one ticket: a section with the Acknowledge button, then its top factors. */
export function buildAlertTicketBlocks(item: AlertItem, timeZone: string): KnownBlock[] {
  // Cut before escaping, so a cut never splits an entity (`&amp;`).
  const heading = `*<${item.ticketUrl}|#${escapeMrkdwn(truncateText(item.ticketId, 100))}> ${escapeMrkdwn(truncateText(item.requestType, 300))}* — *${percent(item.probability)}* breach risk (${item.riskLevel})`;
  const lines = [
    heading,
    `:round_pushpin: ${escapeMrkdwn(truncateText(describeAlertLocation(item), 500))}`,
    `:clock3: opened ${formatCityTime(item.createdAt, timeZone)}`,
  ];
  if (item.description) lines.push(`> ${escapeMrkdwn(truncateText(item.description.replace(/\s+/g, ' ').trim(), 400))}`);
  const factors = item.topFactors.length
    ? item.topFactors.map((factor) => `• ${escapeMrkdwn(truncateText(factor, 300))}`).join('\n')
    : '• No single factor stands out.';
  const section: KnownBlock = {
    type: 'section',
    block_id: truncateText(`${ALERT_BLOCK_ID_PREFIX}${item.ticketId}`, 255),
    text: { type: 'mrkdwn', text: truncateText(lines.join('\n'), MAX_TEXT_CHARS) },
  };
  const why: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: truncateText(`*Why:*\n${factors}`, MAX_TEXT_CHARS) }] };
  if (item.acknowledgement) {
    return [
      section,
      {
        type: 'context',
        block_id: acknowledgedBlockId(item.ticketId),
        elements: [{ type: 'mrkdwn', text: describeAcknowledgement(item.acknowledgement, timeZone) }],
      },
      why,
    ];
  }
  return [
    {
      ...section,
      accessory: {
        type: 'button',
        action_id: ALERT_ACKNOWLEDGE_ACTION_ID,
        text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
        value: item.ticketId,
      },
    },
    why,
  ];
}

/** block_id of the "Acknowledged by" line under a ticket. */
export const acknowledgedBlockId = (ticketId: string): string => `alert_ack_${ticketId}`.slice(0, 255);

/** "Acknowledged by @user at <time>", the time shown in each reader's zone (fallback: city time). */
export function describeAcknowledgement(ack: { userId: string; at: Date }, timeZone: string): string {
  const fallback = new Intl.DateTimeFormat('en-US', {
    timeZone,
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(ack.at);
  return `:white_check_mark: Acknowledged by <@${ack.userId}> at <!date^${Math.floor(ack.at.getTime() / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** A page of tickets for one thread reply, with the tickets it carries. */
export interface AlertReplyPage extends AlertMessage {
  ticketIds: string[];
}

/**
 * Thread replies for the tickets, in the order given (highest risk first): one reply per ticket,
 * or, for a list longer than TICKETS_PER_REPLY, `perReply` tickets per reply (default
 * TICKETS_PER_REPLY). Each page says which part of the list it is.
 */
export function buildAlertReplyPages(items: readonly AlertItem[], options: { timeZone: string; perReply?: number }): AlertReplyPage[] {
  const wanted = options.perReply ?? (items.length <= TICKETS_PER_REPLY ? 1 : TICKETS_PER_REPLY);
  // Whatever the setting, a reply must still fit in 50 blocks once all its tickets are acknowledged.
  const perReply = Math.max(1, Math.min(wanted, MAX_TICKETS_PER_REPLY));
  const pages: AlertReplyPage[] = [];
  for (let start = 0; start < items.length; start += perReply) {
    pages.push(buildAlertReplyPage(items.slice(start, start + perReply), { timeZone: options.timeZone, start, total: items.length }));
  }
  return pages;
}

/**
 * One thread reply: `items` are tickets `start + 1`… of a list of `total` (highest risk first).
 * Used to post a page and to rebuild it (from the warehouse) when a ticket is acknowledged.
 */
export function buildAlertReplyPage(
  items: readonly AlertItem[],
  options: { timeZone: string; start: number; total: number },
): AlertReplyPage {
  const chunk = items.slice(0, MAX_TICKETS_PER_REPLY);
  const { start, total } = options;
  const label =
    total > chunk.length
      ? `Tickets ${start + 1}–${start + chunk.length} of ${total}`
      : `${chunk.length === 1 ? 'Ticket' : `${chunk.length} tickets`}`;
  const blocks: KnownBlock[] = [{ type: 'context', elements: [{ type: 'mrkdwn', text: `*${label}*, highest risk first` }] }];
  chunk.forEach((item, index) => {
    blocks.push(...buildAlertTicketBlocks(item, options.timeZone));
    if (index < chunk.length - 1) blocks.push({ type: 'divider' });
  });
  // The fallback text is mrkdwn too (notifications, screen readers): city data is escaped there as well.
  const summary = chunk
    .map(
      (item) =>
        `#${escapeMrkdwn(truncateText(item.ticketId, 100))} ${escapeMrkdwn(truncateText(item.requestType, 150))} ${percent(item.probability)}`,
    )
    .join('; ');
  return { text: truncateText(`${label}: ${summary}`, MAX_TEXT_CHARS), blocks, ticketIds: chunk.map((item) => item.ticketId) };
}

/** Plain text of an alert run for `civicops alerts --dry-run`. */
export function formatAlertsText(input: {
  items: readonly AlertItem[];
  threshold: number;
  timeZone: string;
  channel?: string;
  retried?: number;
}): string[] {
  const { items } = input;
  if (items.length === 0) {
    return [`No new open tickets at or above the alert threshold (${percent(input.threshold)}); nothing would be posted.`];
  }
  const lines = [
    `Would post to ${input.channel ?? '(ALERT_CHANNEL not set)'}: "${describeAlertCount(items.length)}" (threshold ${percent(input.threshold)}${input.retried ? `, ${input.retried} retried` : ''}), then in its thread:`,
  ];
  for (const item of items) {
    lines.push('');
    lines.push(
      `  #${item.ticketId}  ${item.requestType}  ${percent(item.probability)} (${item.riskLevel})  opened ${formatCityTime(item.createdAt, input.timeZone)}`,
    );
    lines.push(`    ${describeAlertLocation(item)}`);
    for (const factor of item.topFactors) lines.push(`    - ${factor}`);
    lines.push(`    ${item.ticketUrl}`);
  }
  return lines;
}
