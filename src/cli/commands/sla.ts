import type { AppConfig } from '../../config/config.js';
import { cityDateKey, cityLocalToInstant, toCityParts } from '../../shared/city-time.js';
import { InputError } from '../../shared/errors.js';
import type { AnalyticsWindow } from '../../analytics/report-window.js';
import type { SlaReport, Trend } from '../../analytics/sla-report.js';
import { getSlaReport } from '../../warehouse/sla-report.repository.js';
import { getTicketTimeRange } from '../../warehouse/volume.repository.js';
import { resolveRequestType } from '../../warehouse/request-type.repository.js';
import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { resolveDataClock, type DataClock } from '../../analytics/data-clock.js';
import { findLatestEventAt } from '../../warehouse/worklist.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import { writeLine, type CliCommand, type CliOption } from '../command.js';

const DEFAULT_DAYS = 90;
const DATE_ARGUMENT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** --since / --until / --json, shared by `civicops sla` and `civicops report`. */
export const windowOptions: Record<string, CliOption> = {
  since: { type: 'string', description: `first city-local day, YYYY-MM-DD (default: ${DEFAULT_DAYS} days before --until)` },
  until: {
    type: 'string',
    description:
      "last city-local day, YYYY-MM-DD, included (default: up to now, or the warehouse's last event when the data is older than 48 h)",
  },
  json: { type: 'boolean', description: 'print one JSON object (last line of stdout) instead of text' },
};

function parseDay(text: string, option: string, timeZone: string): Date {
  const match = DATE_ARGUMENT.exec(text.trim());
  const instant = match
    ? cityLocalToInstant(
        { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: 0, minute: 0, second: 0 },
        timeZone,
      )
    : null;
  if (!instant || Number.isNaN(instant.getTime()) || cityDateKey(instant, timeZone) !== text.trim()) {
    throw new InputError(`--${option} must be a date such as 2023-05-01 (got "${text}").`, [{ path: option, message: 'not YYYY-MM-DD' }]);
  }
  return instant;
}

function shiftDays(instant: Date, days: number, timeZone: string): Date {
  const p = toCityParts(instant, timeZone);
  return cityLocalToInstant({ year: p.year, month: p.month, day: p.day + days, hour: 0, minute: 0, second: 0 }, timeZone);
}

/**
 * The report window from --since/--until (city-local days, --until included); by default the
 * last 90 days up to now. Judged as of now.
 */
export function parseReportWindow(values: Record<string, string | boolean | undefined>, config: AppConfig, now: Date): AnalyticsWindow {
  const timeZone = config.cityTimeZone;
  const until = typeof values.until === 'string' ? shiftDays(parseDay(values.until, 'until', timeZone), 1, timeZone) : now;
  const since =
    typeof values.since === 'string'
      ? parseDay(values.since, 'since', timeZone)
      : shiftDays(new Date(until.getTime() - 1), -DEFAULT_DAYS, timeZone);
  if (since.getTime() >= until.getTime()) {
    throw new InputError(`--since must be before --until.`, [{ path: 'since', message: 'after until' }]);
  }
  return { since, until, now, slaHours: config.slaHours, timeZone };
}

/** The data clock of a report: as of the warehouse's last event when the data stops before today. */
export async function readDataClock(db: Kysely<WarehouseSchema>, now: Date = new Date()): Promise<DataClock> {
  return resolveDataClock(await findLatestEventAt(db), now);
}

/**
 * The window of --since/--until judged by the data clock: without --until it ends at the clock's
 * `asOf` (the warehouse's last event when the data is stale), so the default window holds the
 * latest data instead of the empty last 90 days.
 */
export async function resolveReportWindow(
  db: Kysely<WarehouseSchema>,
  values: Record<string, string | boolean | undefined>,
  config: AppConfig,
  now: Date = new Date(),
): Promise<{ window: AnalyticsWindow; clock: DataClock | null }> {
  if (typeof values.until === 'string') return { window: parseReportWindow(values, config, now), clock: null };
  const clock = await readDataClock(db, now);
  return { window: parseReportWindow(values, config, clock.asOf), clock };
}

/** as_of, data_through, stale and notice for --json (the clock's notice joined with the empty-window one). */
export function dataClockFields(window: AnalyticsWindow, clock: DataClock | null, emptyNotice?: string) {
  const notice = [clock?.stale ? clock.notice : null, emptyNotice].filter(Boolean).join(' ');
  return {
    as_of: window.now.toISOString(),
    data_through: clock?.dataThrough?.toISOString() ?? null,
    stale: clock?.stale ?? false,
    ...(notice ? { notice } : {}),
  };
}

/** The clock's notice as the first line of text output, when the data is stale. */
export function writeDataClockNotice(stream: Writable, clock: DataClock | null): void {
  if (clock?.stale && clock.notice) writeLine(stream, clock.notice);
}

/** "2023-04-01 → 2023-06-29" in city days (until is exclusive). */
export function describeWindow(window: { since: Date; until: Date }, timeZone: string): string {
  return `${cityDateKey(window.since, timeZone)} → ${cityDateKey(window.until.getTime() - 1, timeZone)}`;
}

/**
 * A sentence for a window without tickets: where the data is, and a --since that would show it
 * (the bundled snapshot ends in 2023, so the default last-90-days window is empty).
 */
export async function describeEmptyWindow(db: Kysely<WarehouseSchema>, window: AnalyticsWindow): Promise<string> {
  const range = await getTicketTimeRange(db);
  const where = `No tickets were created in ${describeWindow(window, window.timeZone)}.`;
  if (!range.lastCreatedAt || !range.firstCreatedAt)
    return `${where} The warehouse is empty: run \`civicops ingest\` (or \`civicops demo --offline\`) first.`;
  const last = cityDateKey(range.lastCreatedAt, window.timeZone);
  const suggestedSince = cityDateKey(shiftDays(range.lastCreatedAt, -DEFAULT_DAYS, window.timeZone), window.timeZone);
  return `${where} The warehouse holds ${range.tickets} tickets created ${cityDateKey(range.firstCreatedAt, window.timeZone)} to ${last}; try --since ${suggestedSince} --until ${last}.`;
}

export const formatPercent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 100)}%`);
export const formatHours = (hours: number | null): string => (hours === null ? '–' : hours.toFixed(1));

/** Change of a trend as text: counts and hours signed, attainment in percentage points. */
export function formatChange(trend: Trend, kind: 'count' | 'share' | 'hours'): string {
  if (trend.change === null) return '–';
  const sign = trend.change > 0 ? '+' : trend.change < 0 ? '−' : '±';
  const size = Math.abs(trend.change);
  if (kind === 'share') return `${sign}${Math.round(size * 100)} pts`;
  const base = kind === 'hours' ? size.toFixed(1) : String(size);
  const relative =
    kind === 'count' && trend.relativeChange !== null ? ` (${sign}${Math.round(Math.abs(trend.relativeChange) * 100)}%)` : '';
  return `${sign}${base}${relative}`;
}

/** Left-aligned first column, right-aligned others, two spaces apart. */
export function formatTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

export function formatSlaReport(report: SlaReport): string[] {
  const tz = report.timeZone;
  const lines = [
    `${report.displayName} — SLA ${report.slaHours} h`,
    `Tickets created ${describeWindow(report.current, tz)} (${tz}); previous period ${describeWindow(report.previous, tz)}.`,
    '',
    ...formatTable([
      ['', 'this period', 'previous', 'change'],
      ['Tickets', String(report.current.tickets), String(report.previous.tickets), formatChange(report.trends.tickets, 'count')],
      [
        'SLA attainment',
        formatPercent(report.current.attainment),
        formatPercent(report.previous.attainment),
        formatChange(report.trends.attainment, 'share'),
      ],
      [
        '  judged (met / breached)',
        `${report.current.metSla} / ${report.current.breached}`,
        `${report.previous.metSla} / ${report.previous.breached}`,
        '',
      ],
      [
        'P50 hours to close',
        formatHours(report.current.p50HoursToClose),
        formatHours(report.previous.p50HoursToClose),
        formatChange(report.trends.p50HoursToClose, 'hours'),
      ],
      [
        'P90 hours to close',
        formatHours(report.current.p90HoursToClose),
        formatHours(report.previous.p90HoursToClose),
        formatChange(report.trends.p90HoursToClose, 'hours'),
      ],
      [
        'Backlog at period end',
        String(report.current.backlog),
        String(report.previous.backlog),
        formatChange(report.trends.backlog, 'count'),
      ],
    ]),
    '',
    'Weekly volume (city-local weeks from Monday):',
    ...formatTable([
      ['  week of', 'tickets', 'attainment', ''],
      ...report.weeklyVolume.map((week) => [
        `  ${week.weekStart}`,
        String(week.count),
        formatPercent(week.attainment),
        week.partial ? '(partial week)' : '',
      ]),
    ]),
  ];
  const lastDay = report.dailyVolume[report.dailyVolume.length - 1];
  if (lastDay) lines.push('', `Last 7 days to ${lastDay.date}: ${lastDay.rolling7dCount} tickets.`);
  lines.push(
    '',
    'Attainment counts tickets with a known outcome: closed, or still open past the SLA. Open tickets younger than',
    'the SLA, archived tickets without a close date and flagged durations are not judged.',
  );
  return lines;
}

export const slaCommand: CliCommand = {
  name: 'sla',
  summary: 'SLA attainment, time to close, volume and backlog of one request type',
  usage: 'civicops sla <request type> [--json] [--since YYYY-MM-DD] [--until YYYY-MM-DD]',
  options: windowOptions,
  details: [
    'Examples:',
    '  civicops sla "road repair"',
    '  civicops sla pothole --since 2023-04-01 --until 2023-06-30 --json',
    'The type is matched ignoring case and punctuation, by a city alias (pothole → Road Repair) or by the closest name.',
    "Without --until the window ends now, or at the warehouse's last event when the data stops more than 48 h ago",
    '(the shipped snapshot ends 2023-07-09): the output then says so.',
  ].join('\n'),
  async run({ values, positionals }, context) {
    const text = positionals.join(' ').trim();
    if (!text) throw new InputError('Give a request type, e.g. civicops sla "road repair" (`civicops report` lists every type).');
    parseReportWindow(values, context.config, new Date());
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      const { window, clock } = await resolveReportWindow(warehouse.db, values, context.config);
      const type = await resolveRequestType(warehouse.db, text);
      const report = await getSlaReport(warehouse.db, { ...window, typeKey: type.typeKey });
      const notice = report.current.tickets === 0 ? await describeEmptyWindow(warehouse.db, window) : undefined;
      if (values.json) {
        writeLine(context.stdout, JSON.stringify({ ...report, ...dataClockFields(window, clock, notice) }));
        return 0;
      }
      writeDataClockNotice(context.stdout, clock);
      for (const line of formatSlaReport(report)) writeLine(context.stdout, line);
      if (notice) writeLine(context.stdout, `\n${notice}`);
      return 0;
    } finally {
      await app.close();
    }
  },
};
