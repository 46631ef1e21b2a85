import { cityLocalToInstant, parseCityLocalTimestamp, toCityParts } from '../../shared/city-time.js';
import { InputError } from '../../shared/errors.js';
import {
  buildWorklist,
  DEFAULT_WORKLIST_LIMIT,
  MAX_WORKLIST_LIMIT,
  WORKLIST_RANKING_RULE,
  type WorklistResponse,
} from '../../worklist/build-worklist.js';
import type { WorklistStatusFilter } from '../../analytics/worklist-ranking.js';
import { writeLine, type CliCommand } from '../command.js';
import { parseIntegerOption } from '../parse-integer-option.js';

const STATUSES: readonly WorklistStatusFilter[] = ['at_risk', 'breached', 'all'];
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const REASON_WIDTH = 90;

/** --limit: a whole number from 1 to MAX_WORKLIST_LIMIT. */
export function parseLimit(text: string): number {
  return parseIntegerOption('limit', text, { min: 1, max: MAX_WORKLIST_LIMIT });
}

/** --as-of: an ISO instant with a zone, or city-local 'YYYY-MM-DD' (its 00:00) / 'YYYY-MM-DDTHH:MM'. */
export function parseAsOf(text: string, timeZone: string): Date {
  const trimmed = text.trim();
  let instant: Date | null = null;
  if (HAS_ZONE.test(trimmed) && trimmed.includes('T')) instant = new Date(trimmed);
  else {
    const local = parseCityLocalTimestamp(DATE_ONLY.test(trimmed) ? `${trimmed}T00:00:00` : trimmed);
    instant = local ? cityLocalToInstant(local, timeZone) : null;
  }
  if (!instant || Number.isNaN(instant.getTime())) {
    throw new InputError(`--as-of must be a date such as 2023-07-01 or 2023-07-01T08:00 (city time) (got "${text}").`, [
      { path: 'as-of', message: 'not a date' },
    ]);
  }
  return instant;
}

/** "2023-07-09 19:47" in city time. */
function cityMinute(iso: string, timeZone: string): string {
  const p = toCityParts(new Date(iso), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

/** "-12 h" once breached, "in 5 h" before; days past 48 h ("-3.5 d", "in 2.9 d"). */
export function formatHoursLeft(hours: number): string {
  const size = Math.abs(hours);
  const text = size >= 48 ? `${(size / 24).toFixed(1)} d` : `${Math.round(size)} h`;
  return hours < 0 ? `-${text}` : `in ${text}`;
}

function shorten(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Columns two spaces apart, each padded left ('r') or right ('l') as `align` says. */
function alignColumns(rows: string[][], align: string): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (align[column] === 'r' ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

/** The worklist as a terminal table, with where the data ends above it. */
export function formatWorklist(result: WorklistResponse, timeZone: string): string[] {
  const scope = [result.request_type?.display_name, result.district].filter(Boolean).join(', ');
  const through = result.data_through ? cityMinute(result.data_through, timeZone) : 'no data';
  const lines = [
    `Worklist${scope ? ` — ${scope}` : ''}: ${result.total} open ticket(s) ${result.status === 'all' ? '' : `${result.status.replace('_', '-')} `}` +
      `as of ${cityMinute(result.as_of, timeZone)} (data ends ${through}${result.stale ? '; not today' : ''}), ${timeZone}; model ${result.model_version}.`,
  ];
  if (result.tickets.length === 0) {
    lines.push('', 'No open tickets match.');
  } else {
    lines.push(
      '',
      ...alignColumns(
        [
          ['#', 'Ticket', 'Type', 'Created', 'Due', 'Left', 'P(breach)', 'Risk', 'Top reason'],
          ...result.tickets.map((ticket) => [
            String(ticket.rank),
            ticket.ticket_id,
            shorten(ticket.request_type, 28),
            cityMinute(ticket.created_at, timeZone),
            cityMinute(ticket.due_at, timeZone),
            formatHoursLeft(ticket.hours_left),
            `${Math.round(ticket.sla_breach_probability * 100)}%`,
            ticket.risk_level,
            shorten(ticket.top_factors[0] ?? '–', REASON_WIDTH),
          ]),
        ],
        'rlllllrll',
      ),
    );
    if (result.total > result.tickets.length) lines.push('', `Showing ${result.tickets.length} of ${result.total}; use --limit for more.`);
  }
  lines.push('', `Order: ${result.ranking}`);
  if (result.notice) lines.push(result.notice);
  return lines;
}

export const worklistCommand: CliCommand = {
  name: 'worklist',
  summary: 'Open tickets ranked for action: breached first, then the likeliest to breach soon',
  usage: 'civicops worklist [--type T] [--district D] [--status at_risk|breached|all] [--limit N] [--json] [--as-of DATE]',
  options: {
    type: { type: 'string', description: 'one request type (matched like `civicops sla`)' },
    district: { type: 'string', description: 'one commission district, e.g. "District 2"' },
    status: {
      type: 'string',
      description: 'breached, at_risk (not yet breached: probability ≥ RISK_MEDIUM_THRESHOLD or due within 24 h) or all',
      default: 'all',
    },
    limit: { type: 'string', description: `most tickets shown, 1–${MAX_WORKLIST_LIMIT}`, default: String(DEFAULT_WORKLIST_LIMIT) },
    json: { type: 'boolean', description: 'print one JSON object (last line of stdout) instead of the table' },
    'as-of': {
      type: 'string',
      description:
        "judge at this instant: YYYY-MM-DD or YYYY-MM-DDTHH:MM city time, or ISO with a zone (default: now, or the warehouse's last event when the data is older than 48 h)",
    },
  },
  details: [
    `Order: ${WORKLIST_RANKING_RULE}`,
    "Each ticket is due its type's SLA hours after creation (sla_policy); the probability and reasons are the promoted",
    "model's, scored with what was known when the ticket was created (as the high-risk alerts are).",
    'Examples:',
    '  civicops worklist',
    '  civicops worklist --type "road repair" --status breached --limit 20',
    '  civicops worklist --json --as-of 2023-07-01',
  ].join('\n'),
  async run({ values }, context) {
    const typeText = typeof values.type === 'string' ? values.type.trim() : undefined;
    if (typeText === '')
      throw new InputError('--type needs a request type, e.g. --type "road repair".', [{ path: 'type', message: 'empty' }]);
    const district = typeof values.district === 'string' ? values.district.trim() : undefined;
    if (district === '')
      throw new InputError('--district needs a district, e.g. --district "District 2".', [{ path: 'district', message: 'empty' }]);
    const statusText = typeof values.status === 'string' ? values.status.trim() : 'all';
    if (!(STATUSES as readonly string[]).includes(statusText)) {
      throw new InputError(`--status must be one of ${STATUSES.join(', ')} (got "${statusText}").`, [
        { path: 'status', message: 'unknown status' },
      ]);
    }
    const limit = typeof values.limit === 'string' ? parseLimit(values.limit) : DEFAULT_WORKLIST_LIMIT;
    const timeZone = context.config.cityTimeZone;
    const asOf = typeof values['as-of'] === 'string' ? parseAsOf(values['as-of'], timeZone) : undefined;
    const app = await context.openApp();
    try {
      const scorer = await app.scorer();
      const result = await buildWorklist(
        { db: app.warehouse.db, scorer, config: context.config },
        { type: typeText, district, status: statusText as WorklistStatusFilter, limit, asOf },
      );
      if (values.json) writeLine(context.stdout, JSON.stringify(result));
      else for (const line of formatWorklist(result, timeZone)) writeLine(context.stdout, line);
      return 0;
    } finally {
      await app.close();
    }
  },
};
