import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { VolumeChartInput } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import {
  CHART_SIZE,
  COLOR,
  LEGEND_LABELS,
  buildTitleOptions,
  formatDayLabel,
  formatDayRange,
  requireNumber,
  buildCountOverTimeScales,
} from './chart-style.js';

/**
 * Daily intake bars with the rolling 7-day mean as a line and, when given, the usual level as a
 * dashed line. X labels are city-local days ('Nov 3'); the subtitle names the range and zone.
 */
export function buildVolumeChart(input: VolumeChartInput): ChartSpec {
  const { days } = input;
  if (days.length === 0) throw new InputError('A volume chart needs at least one day.', [{ path: 'days', message: 'empty' }]);
  for (const [name, series] of [
    ['rolling7d', input.rolling7d],
    ['usual', input.usual],
  ] as const) {
    if (series && series.length !== days.length) {
      throw new InputError(`${name} must have one value per day (${days.length}), got ${series.length}.`, [
        { path: name, message: 'length differs from days' },
      ]);
    }
  }
  const labels = days.map((day, index) => formatDayLabel(day.date, `days[${index}].date`));
  const counts = days.map((day, index) => requireNumber(day.count, `days[${index}].count`));

  const datasets: ChartDataset<'bar' | 'line', number[]>[] = [
    {
      type: 'bar',
      label: 'Tickets created',
      data: counts,
      backgroundColor: COLOR.volumeBar,
      borderWidth: 0,
      categoryPercentage: 0.9,
      barPercentage: 0.95,
      pointStyle: 'rect',
      order: 3,
    },
  ];
  if (input.rolling7d) {
    datasets.push({
      type: 'line',
      label: '7-day average',
      data: input.rolling7d.map((value) => round1(value)),
      borderColor: COLOR.rollingLine,
      backgroundColor: COLOR.rollingLine,
      borderWidth: 3,
      pointRadius: 0,
      tension: 0.25,
      pointStyle: 'line',
      order: 1,
    });
  }
  if (input.usual) {
    datasets.push({
      type: 'line',
      label: 'Usual level',
      data: input.usual.map((value) => round1(value)),
      borderColor: COLOR.usualLine,
      backgroundColor: COLOR.usualLine,
      borderWidth: 2.5,
      borderDash: [8, 6],
      pointRadius: 0,
      pointStyle: 'line',
      order: 2,
    });
  }

  const zone = input.timeZone ? ` (${input.timeZone})` : '';
  const config: ChartConfiguration<'bar' | 'line', number[], string> = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      layout: { padding: { top: 4, right: 16, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title, `${formatDayRange(days[0].date, days[days.length - 1].date)} · city time${zone}`),
        legend: {
          display: datasets.length > 1,
          position: 'top',
          // Wide point style so the dashed 'usual' line reads as dashed in the legend.
          labels: { ...LEGEND_LABELS, pointStyleWidth: 28 },
        },
      },
      scales: buildCountOverTimeScales('Day created (city time)', 'Tickets per day'),
    },
  };
  return { kind: 'volume', config, ...CHART_SIZE, backgroundColor: COLOR.background };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
