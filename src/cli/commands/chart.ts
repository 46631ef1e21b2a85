import type { Kysely } from 'kysely';
import { writeChartPng } from '../../charts/chart-file.js';
import type { ChartSpec } from '../../charts/chart-spec.js';
import { buildSlaChart } from '../../charts/sla-chart.js';
import { buildSurgeChart } from '../../charts/surge-chart.js';
import { buildVolumeChart } from '../../charts/volume-chart.js';
import { cityDateKey } from '../../shared/city-time.js';
import { InputError } from '../../shared/errors.js';
import type { AnalyticsWindow } from '../../analytics/report-window.js';
import { selectWorstTypes } from '../../analytics/worst-types.js';
import { listTypeReports } from '../../warehouse/sla-report.repository.js';
import { assessTypeSurges } from '../../warehouse/surge.repository.js';
import { getDailyVolume } from '../../warehouse/volume.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import { writeLine, type CliCommand } from '../command.js';
import { asOutputPathError } from '../cli-failure.js';
import { describeEmptyWindow, describeWindow, parseReportWindow, resolveReportWindow, writeDataClockNotice } from './sla.js';

export const chartKinds = ['sla', 'volume', 'surges'] as const;
export type ChartCommandKind = (typeof chartKinds)[number];

const SLA_CHART_TYPES = 15;
const SURGE_CHART_TYPES = 12;

/**
 * The chart of one kind over a window, from the same builders the Slack digest uses:
 * volume = daily intake with its 7-day mean; sla = attainment of the worst types;
 * surges = the 7 days before the window's end against each type's usual week.
 * Throws InputError (saying where the data is) when the window has nothing to draw.
 */
export async function buildChartForWindow(
  db: Kysely<WarehouseSchema>,
  kind: ChartCommandKind,
  window: AnalyticsWindow,
): Promise<ChartSpec> {
  const range = describeWindow(window, window.timeZone);
  if (kind === 'volume') {
    const days = await getDailyVolume(db, window);
    if (days.every((day) => day.count === 0)) throw new InputError(await describeEmptyWindow(db, window));
    return buildVolumeChart({
      title: 'Tickets created per day',
      days: days.map((day) => ({ date: day.date, count: day.count })),
      rolling7d: days.map((day) => day.rolling7dCount / 7),
      timeZone: window.timeZone,
    });
  }
  if (kind === 'sla') {
    const worst = selectWorstTypes(await listTypeReports(db, window), SLA_CHART_TYPES).filter((type) => type.current.attainment !== null);
    if (worst.length === 0) {
      throw new InputError(`No request type has 5 or more judged tickets created ${range}. ${await describeEmptyWindow(db, window)}`);
    }
    return buildSlaChart({
      title: `SLA attainment by request type (${range})`,
      slaHours: window.slaHours,
      types: worst.map((type) => ({
        name: type.displayName,
        attainment: type.current.attainment ?? 0,
        p90Hours: type.current.p90HoursToClose,
        tickets: type.current.withKnownOutcome,
      })),
    });
  }
  const end = new Date(Math.min(window.until.getTime(), window.now.getTime()));
  const surges = (await assessTypeSurges(db, { now: end })).filter((type) => type.last7Days > 0 || type.surging);
  if (surges.length === 0)
    throw new InputError(`No tickets in the 7 days before ${cityDateKey(end, window.timeZone)}. ${await describeEmptyWindow(db, window)}`);
  return buildSurgeChart({
    title: `Last 7 days vs usual week (to ${cityDateKey(end.getTime() - 1, window.timeZone)})`,
    maxTypes: SURGE_CHART_TYPES,
    types: surges.map((type) => ({ name: type.displayName, last7d: type.last7Days, usualWeekly: type.weeklyMean, surging: type.surging })),
  });
}

/** `civicops chart sla|volume|surges --out FILE.png`: the digest's charts, written locally. */
export const chartCommand: CliCommand = {
  name: 'chart',
  summary: 'Write an SLA, volume or surge chart as a PNG file (the same images the Slack digest posts)',
  usage: 'civicops chart sla|volume|surges --out FILE.png [--since YYYY-MM-DD] [--until YYYY-MM-DD]',
  options: {
    out: { type: 'string', description: 'PNG file to write (folders are created)' },
    since: { type: 'string', description: 'first city-local day, YYYY-MM-DD (default: 90 days before --until)' },
    until: {
      type: 'string',
      description:
        "last city-local day, YYYY-MM-DD, included (default: today, or the warehouse's last event when the data is older than 48 h)",
    },
  },
  details: [
    'Examples:',
    '  civicops chart volume --out volume.png --since 2023-04-01 --until 2023-06-30',
    '  civicops chart sla --out sla.png --since 2023-01-01 --until 2023-06-30',
    '  civicops chart surges --out surges.png --until 2023-07-09   (the 7 days up to --until)',
    'Rendered in-process, or by the QuickChart server named by CHART_HOST.',
  ].join('\n'),
  async run({ values, positionals }, context) {
    const kind = positionals[0];
    if (!kind || !(chartKinds as readonly string[]).includes(kind) || positionals.length > 1) {
      throw new InputError(`Say which chart: civicops chart ${chartKinds.join('|')} --out FILE.png (got "${positionals.join(' ')}").`);
    }
    const out = values.out;
    if (typeof out !== 'string' || out.trim() === '') throw new InputError('Give the file to write: --out FILE.png');
    if (!/\.png$/i.test(out)) throw new InputError(`--out must name a .png file (got "${out}").`);
    parseReportWindow(values, context.config, new Date());
    const app = await context.openApp();
    const { warehouse } = app;
    const renderer = app.chartRenderer();
    try {
      const { window, clock } = await resolveReportWindow(warehouse.db, values, context.config);
      const spec = await buildChartForWindow(warehouse.db, kind as ChartCommandKind, window);
      let written: { path: string; bytes: number };
      try {
        written = await writeChartPng(renderer, spec, out);
      } catch (error) {
        throw asOutputPathError(out, error, '--out');
      }
      writeDataClockNotice(context.stdout, clock);
      writeLine(
        context.stdout,
        `Wrote ${written.path} (${kind} chart, ${spec.width}×${spec.height} PNG, ${written.bytes} bytes, ${renderer.kind} renderer).`,
      );
      return 0;
    } finally {
      await app.close();
    }
  },
};
