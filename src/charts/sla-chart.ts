import type { ChartConfiguration } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { SlaChartInput, TypeAttainment } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import { CHART_SIZE, COLOR, FONT, buildAxisTitle, buildTitleOptions, requireNumber, toPercent } from './chart-style.js';

/** Attainment below target minus this margin is red rather than amber. */
const RED_MARGIN = 0.2;
const DEFAULT_TARGET = 0.8;
const DEFAULT_MAX_TYPES = 10;
const PERCENT_STEP = 20;
const PERCENT_TICKS = [0, 20, 40, 60, 80, 100];

/** Which colour band an attainment falls in. */
export type AttainmentBand = 'meets' | 'below' | 'far-below';

/** 'meets' at or above target, 'below' within 20 points under it, 'far-below' further down. */
export function classifyAttainment(attainment: number, target = DEFAULT_TARGET): AttainmentBand {
  if (attainment >= target) return 'meets';
  return attainment >= target - RED_MARGIN ? 'below' : 'far-below';
}

/**
 * Horizontal bars of the share closed within the SLA per request type, worst at the top.
 * Colour carries the target: green meets it, amber below, red far below (one dataset per band,
 * so the legend explains the colours). Labels carry ticket count and p90 hours to close.
 */
export function buildSlaChart(input: SlaChartInput): ChartSpec {
  const target = requireNumber(input.target ?? DEFAULT_TARGET, 'target', 0, 1);
  const slaHours = requireNumber(input.slaHours, 'slaHours', Number.MIN_VALUE);
  if (input.types.length === 0) {
    throw new InputError('An SLA chart needs at least one request type.', [{ path: 'types', message: 'empty' }]);
  }
  input.types.forEach((type, index) => {
    requireNumber(type.attainment, `types[${index}].attainment`, 0, 1);
    requireNumber(type.tickets, `types[${index}].tickets`);
  });
  const maxTypes = input.maxTypes ?? DEFAULT_MAX_TYPES;
  const sorted = [...input.types].sort((a, b) => a.attainment - b.attainment || b.tickets - a.tickets);
  const shown = sorted.slice(0, maxTypes);

  const labels = shown.map(describeSlaType);
  const bandData = (band: AttainmentBand): (number | null)[] =>
    shown.map((type) => (classifyAttainment(type.attainment, target) === band ? toPercent(type.attainment) : null));
  const targetPercent = toPercent(target);
  const redBelow = toPercent(Math.max(0, target - RED_MARGIN));

  const hidden = input.types.length - shown.length;
  const subtitle =
    `Share closed within ${formatHours(slaHours)} · target ${targetPercent}%` +
    (PERCENT_TICKS.includes(targetPercent) ? ' (black line)' : '') +
    (hidden > 0 ? ` · worst ${shown.length} of ${input.types.length} types` : '');

  const config: ChartConfiguration<'bar', (number | null)[], string[]> = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: `Meets target (≥ ${targetPercent}%)`, data: bandData('meets'), backgroundColor: COLOR.good },
        { label: `Below target (${redBelow}–${targetPercent}%)`, data: bandData('below'), backgroundColor: COLOR.amber },
        { label: `Far below (< ${redBelow}%)`, data: bandData('far-below'), backgroundColor: COLOR.bad },
      ],
    },
    options: {
      indexAxis: 'y',
      // One non-null value per row: stacking puts it at full bar thickness instead of a third.
      datasets: { bar: { barPercentage: 0.85, categoryPercentage: 0.85, borderWidth: 0 } },
      layout: { padding: { top: 4, right: 20, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title, subtitle),
        legend: { position: 'top', labels: { font: FONT.legend, color: COLOR.text, boxWidth: 18 } },
      },
      scales: {
        x: {
          stacked: true,
          min: 0,
          max: 100,
          title: buildAxisTitle(`Closed within ${formatHours(slaHours)} SLA (%)`),
          ticks: { font: FONT.tick, color: COLOR.text, stepSize: PERCENT_STEP },
          // Indexable per tick: the grid line at the target (when it falls on a tick) is the target line.
          grid: {
            color: PERCENT_TICKS.map((tick) => (tick === targetPercent ? COLOR.text : COLOR.grid)),
            lineWidth: PERCENT_TICKS.map((tick) => (tick === targetPercent ? 2 : 1)),
            // Above the bars, so the target line crosses them.
            z: 1,
          },
          // With the grid on layer z: 1 Chart.js also strokes this axis' border along the top edge
          // of the canvas, a stray line above the title; the y axis' border already closes the plot.
          border: { display: false },
        },
        y: {
          stacked: true,
          title: buildAxisTitle('Request type'),
          ticks: { font: FONT.tick, color: COLOR.text, autoSkip: false },
          grid: { display: false },
        },
      },
    },
  };
  // Rows are evenly spaced, so each gets the room of the tallest label: ~17 px a line (14 px
  // ticks) and a gap, at least 40 px; grow past the default height.
  const rowHeight = Math.max(40, Math.max(...labels.map((label) => label.length)) * 17 + 10);
  const height = Math.max(CHART_SIZE.height, 150 + shown.length * rowHeight);
  return { kind: 'sla', config, width: CHART_SIZE.width, height, backgroundColor: COLOR.background };
}

/**
 * Axis label: the name wrapped to lines of at most NAME_LINE_CHARS, then attainment, tickets and
 * p90 time to close. Chart.js never wraps a label and lets the y axis take at most half the
 * chart's width, so a long name on one line ran off the canvas' left edge; wrapped, every word
 * stays on the canvas, and the tooltip (which shows the label's lines) has the full name.
 */
export function describeSlaType(type: TypeAttainment): string[] {
  const p90 = type.p90Hours === null ? 'p90 n/a' : `p90 ${formatDuration(type.p90Hours)}`;
  return [
    ...wrapLabel(type.name, NAME_LINE_CHARS),
    `${toPercent(type.attainment)}% · ${type.tickets.toLocaleString('en-US')} tickets · ${p90}`,
  ];
}

/** Longest name line: about 250 px of the 14 px tick font, no wider than the stats line. */
export const NAME_LINE_CHARS = 30;

/**
 * Greedy word wrap: breaks at spaces (and after a slash or hyphen, as in "Traffic / Pedestrian"
 * or "Non-Operational"); a single word longer than a line is cut into line-sized pieces.
 */
export function wrapLabel(text: string, maxChars: number): string[] {
  // Each piece keeps what follows it (a space, or nothing after a slash or hyphen).
  const pieces = text
    .trim()
    .replace(/\s+/g, ' ')
    .split(/(?<= )|(?<=[/-])(?=[^ ])/)
    .flatMap((piece) => (piece.trimEnd().length > maxChars ? chunk(piece, maxChars) : [piece]));
  const lines: string[] = [];
  let line = '';
  for (const piece of pieces) {
    if (line !== '' && (line + piece).trimEnd().length > maxChars) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += piece;
  }
  lines.push(line.trimEnd());
  return lines;
}

function chunk(word: string, size: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < word.length; start += size) parts.push(word.slice(start, start + size));
  return parts;
}

function formatHours(hours: number): string {
  return hours >= 100 ? `${Math.round(hours)} h` : `${Math.round(hours * 10) / 10} h`;
}

/** Hours up to two days, then days: '36 h', '12.5 d'. */
function formatDuration(hours: number): string {
  if (hours <= 48) return formatHours(hours);
  const days = hours / 24;
  return days >= 100 ? `${Math.round(days)} d` : `${Math.round(days * 10) / 10} d`;
}
