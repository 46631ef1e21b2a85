import type { ChartConfiguration } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { SurgeChartInput, TypeSurge } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import { CHART_SIZE, COLOR, FONT, buildAxisTitle, buildTitleOptions, requireNumber } from './chart-style.js';

const DEFAULT_MAX_TYPES = 12;

/** Marker put in front of a surging type's label, so the highlight survives greyscale and colour blindness. */
export const SURGE_MARKER = '▲';

/** Axis label of a type: surging ones are marked '▲ Name (surging)'. */
export function labelSurgeType(type: Pick<TypeSurge, 'name' | 'surging'>): string {
  return type.surging ? `${SURGE_MARKER} ${type.name} (surging)` : type.name;
}

/**
 * Grouped horizontal bars per request type: tickets in the last 7 days next to the usual weekly
 * rate. Surging types come first, their recent bar and label in red; the rest by volume.
 */
export function buildSurgeChart(input: SurgeChartInput): ChartSpec {
  if (input.types.length === 0) {
    throw new InputError('A surge chart needs at least one request type.', [{ path: 'types', message: 'empty' }]);
  }
  input.types.forEach((type, index) => {
    requireNumber(type.last7d, `types[${index}].last7d`);
    requireNumber(type.usualWeekly, `types[${index}].usualWeekly`);
  });
  const maxTypes = input.maxTypes ?? DEFAULT_MAX_TYPES;
  const shown = [...input.types]
    .sort((a, b) => Number(b.surging) - Number(a.surging) || surgeRatio(b) - surgeRatio(a) || b.last7d - a.last7d)
    .slice(0, maxTypes);
  const surgingCount = input.types.filter((type) => type.surging).length;

  const labels = shown.map(labelSurgeType);
  const round = (value: number) => Math.round(value * 10) / 10;
  // Surging and normal recent counts share one stack, so each row shows a single recent bar whose
  // colour (and legend entry) says whether it surged.
  const config: ChartConfiguration<'bar', (number | null)[], string> = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'Last 7 days (surging)',
          data: shown.map((type) => (type.surging ? type.last7d : null)),
          backgroundColor: COLOR.surging,
          stack: 'recent',
        },
        {
          label: 'Last 7 days',
          data: shown.map((type) => (type.surging ? null : type.last7d)),
          backgroundColor: COLOR.recent,
          stack: 'recent',
        },
        {
          label: 'Usual week',
          data: shown.map((type) => round(type.usualWeekly)),
          backgroundColor: COLOR.usual,
          stack: 'usual',
        },
      ],
    },
    options: {
      indexAxis: 'y',
      datasets: { bar: { barPercentage: 0.9, categoryPercentage: 0.8, borderWidth: 0 } },
      layout: { padding: { top: 4, right: 20, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(
          input.title,
          surgingCount > 0
            ? `${surgingCount} type${surgingCount === 1 ? '' : 's'} surging (${SURGE_MARKER}) · last 7 days vs usual week`
            : 'No type surging · last 7 days vs usual week',
        ),
        legend: { position: 'top', labels: { font: FONT.legend, color: COLOR.text, boxWidth: 18 } },
      },
      scales: {
        x: {
          stacked: true,
          beginAtZero: true,
          title: buildAxisTitle('Tickets per week'),
          ticks: { font: FONT.tick, color: COLOR.text, precision: 0 },
          grid: { color: COLOR.grid },
        },
        y: {
          stacked: true,
          title: buildAxisTitle('Request type'),
          ticks: {
            font: { ...FONT.tick, weight: 'bold' },
            // Indexable per row: surging labels in the same red as their bar.
            color: shown.map((type) => (type.surging ? COLOR.surging : COLOR.text)),
            autoSkip: false,
          },
          grid: { display: false },
        },
      },
    },
  };
  const height = Math.max(CHART_SIZE.height, 150 + shown.length * 32);
  return { kind: 'surge', config, width: CHART_SIZE.width, height, backgroundColor: COLOR.background };
}

function surgeRatio(type: TypeSurge): number {
  return type.last7d / Math.max(type.usualWeekly, 1);
}
