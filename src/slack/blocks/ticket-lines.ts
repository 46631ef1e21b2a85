/**
 * One worklist ticket as a line of mrkdwn (pure), shared by the Home tab and `/sla <type>`:
 * the ticket id linked to its page, the time left against its SLA and the breach probability.
 */
import type { WorklistTicket } from '../../worklist/build-worklist.js';
import { escapeMrkdwn } from './alert-blocks.js';

const count = new Intl.NumberFormat('en-US');

/** "due in 5 h", "due in 3 d", "due in under 1 h", "7 h overdue", "1,204 d overdue" (no `<`: it is mrkdwn). */
export function describeTimeLeft(hoursLeft: number): string {
  const hours = Math.abs(hoursLeft);
  const size = hours < 1 ? 'under 1 h' : hours < 48 ? `${Math.round(hours)} h` : `${count.format(Math.round(hours / 24))} d`;
  return hoursLeft >= 0 ? `due in ${size}` : `${size} overdue`;
}

/** A URL for `<url|label>`: mrkdwn's control characters escaped, and no `|` to end the URL early. */
function linkTarget(url: string): string {
  return escapeMrkdwn(url).replace(/\|/g, '%7C');
}

/** The ticket id, linked to its page when it has one ("<https://…|3534220>"). */
export function linkTicket(ticket: Pick<WorklistTicket, 'ticket_id' | 'url'>, maxIdChars = 60): string {
  const label = escapeMrkdwn(ticket.ticket_id.length > maxIdChars ? `${ticket.ticket_id.slice(0, maxIdChars - 1)}…` : ticket.ticket_id);
  return ticket.url ? `<${linkTarget(ticket.url)}|${label}>` : label;
}

/** "<link|3534220> — due in 5 h — 72%" (the /sla wording; the type is the card's own). */
export function describeTicketLine(ticket: WorklistTicket): string {
  return `${linkTicket(ticket)} — ${describeTimeLeft(ticket.hours_left)} — ${Math.round(ticket.sla_breach_probability * 100)}%`;
}

/**
 * Cuts escaped mrkdwn to `max` characters with an ellipsis without splitting an entity
 * (`&amp;`) or a link (`<url|label>`), which Slack would show broken.
 */
export function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  cut = cut.replace(/&[a-z]*$/, '');
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  return `${cut.trimEnd()}…`;
}
