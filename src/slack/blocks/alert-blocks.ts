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

/** Slack mrkdwn control characters in user text (descriptions come from the public). */
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
    text: `:rotating_light: ${title}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncateText(`🚨 ${title}`, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncateText(summary, MAX_TEXT_CHARS) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: truncateText(context.join(' '), MAX_TEXT_CHARS) }] },
    ],
  };
}

/** The blocks of one ticket: a section with the Acknowledge button, then its top factors. */
export function buildAlertTicketBlocks(item: AlertItem, timeZone: string): KnownBlock[] {
  const heading = `*<${item.ticketUrl}|#${escapeMrkdwn(item.ticketId)}> ${escapeMrkdwn(item.requestType)}* — *${percent(item.probability)}* breach risk (${item.riskLevel})`;
  const lines = [
    heading,
    `:round_pushpin: ${escapeMrkdwn(describeAlertLocation(item))}`,
    `:clock3: opened ${formatCityTime(item.createdAt, timeZone)}`,
  ];
  if (item.description) lines.push(`> ${escapeMrkdwn(truncateText(item.description.replace(/\s+/g, ' ').trim(), 400))}`);
  const factors = item.topFactors.length
    ? item.topFactors.map((factor) => `• ${escapeMrkdwn(truncateText(factor, 300))}`).join('\n')
    : '• No single factor stands out.';
  return [
    {
      type: 'section',
      block_id: truncateText(`${ALERT_BLOCK_ID_PREFIX}${item.ticketId}`, 255),
      text: { type: 'mrkdwn', text: truncateText(lines.join('\n'), MAX_TEXT_CHARS) },
      accessory: {
        type: 'button',
        action_id: ALERT_ACKNOWLEDGE_ACTION_ID,
        text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
        value: item.ticketId,
      },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncateText(`*Why:*\n${factors}`, MAX_TEXT_CHARS) }] },
  ];
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
  // Three blocks per ticket plus a heading must fit in 50 blocks.
  const perReply = Math.max(1, Math.min(wanted, Math.floor((MAX_BLOCKS_PER_MESSAGE - 1) / 3)));
  const pages: AlertReplyPage[] = [];
  const pageCount = Math.ceil(items.length / perReply);
  for (let start = 0; start < items.length; start += perReply) {
    const chunk = items.slice(start, start + perReply);
    const label =
      pageCount > 1
        ? `Tickets ${start + 1}–${start + chunk.length} of ${items.length}`
        : `${chunk.length === 1 ? 'Ticket' : `${chunk.length} tickets`}`;
    const blocks: KnownBlock[] = [{ type: 'context', elements: [{ type: 'mrkdwn', text: `*${label}*, highest risk first` }] }];
    chunk.forEach((item, index) => {
      blocks.push(...buildAlertTicketBlocks(item, options.timeZone));
      if (index < chunk.length - 1) blocks.push({ type: 'divider' });
    });
    const text = `${label}: ${chunk.map((item) => `#${item.ticketId} ${item.requestType} ${percent(item.probability)}`).join('; ')}`;
    pages.push({ text: truncateText(text, MAX_TEXT_CHARS), blocks, ticketIds: chunk.map((item) => item.ticketId) });
  }
  return pages;
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
