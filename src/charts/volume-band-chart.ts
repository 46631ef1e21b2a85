import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { VolumeBandChartInput } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import {
  CHART_SIZE,
  COLOR,
  LEGEND_LABELS,
  buildTitleOptions,
  formatDayRange,
  requireNumber,
  buildCountOverTimeScales,
} from './chart-style.js';
import { labelIncreasingDays, round1 } from './day-series.js';

type BandValue = number | [number, number] | null;

/**
 * Weekly intake as a line with points over the range it usually falls in (a shaded band of
 * touching floating bars, one legend entry). Weeks above the range get a red triangle of their
 * own dataset, so the legend explains the colour and the shape survives greyscale.
 */
export function buildVolumeBandChart(input: VolumeBandChartInput): ChartSpec {
  const { weeks } = input;
  if (weeks.length === 0) {
    throw new InputError('A volume band chart needs at least one week.', [{ path: 'weeks', message: 'empty' }]);
  }
  const labels = labelIncreasingDays(
    weeks.map((week) => week.weekStart),
    (index) => `weeks[${index}].weekStart`,
  );
  weeks.forEach((week, index) => {
    requireNumber(week.count, `weeks[${index}].count`);
    requireNumber(week.usualLow, `weeks[${index}].usualLow`);
    requireNumber(week.usualHigh, `weeks[${index}].usualHigh`, week.usualLow);
  });
  const above = weeks.map((week) => week.count > week.usualHigh);
  const aboveCount = above.filter(Boolean).length;

  const datasets: ChartDataset<'bar' | 'line', BandValue[]>[] = [
    {
      type: 'line',
      label: 'Tickets that week',
      data: weeks.map((week) => week.count),
      borderColor: COLOR.rollingLine,
      backgroundColor: COLOR.rollingLine,
      borderWidth: 3,
      // No dot under a week's triangle, so the marker reads cleanly.
      pointRadius: above.map((isAbove) => (isAbove ? 0 : 4)),
      pointStyle: 'circle',
      tension: 0,
      order: 1,
    },
    {
      type: 'bar',
      label: 'Usual range',
      data: weeks.map((week): [number, number] => [round1(week.usualLow), round1(week.usualHigh)]),
      backgroundColor: COLOR.usualBand,
      borderWidth: 0,
      grouped: false,
      categoryPercentage: 1,
      barPercentage: 1,
      pointStyle: 'rect',
      order: 3,
    },
  ];
  if (aboveCount > 0) {
    datasets.splice(1, 0, {
      type: 'line',
      label: 'Above usual range',
      data: weeks.map((week, index) => (above[index] ? week.count : null)),
      showLine: false,
      borderColor: COLOR.surging,
      backgroundColor: COLOR.surging,
      pointRadius: 8,
      pointHoverRadius: 9,
      pointStyle: 'triangle',
      order: 2,
    });
  }

  const lastWeekStart = weeks[weeks.length - 1].weekStart;
  const lastDay = new Date(Date.parse(`${lastWeekStart}T00:00:00Z`) + 6 * 86_400_000).toISOString().slice(0, 10);
  const status =
    aboveCount === 0
      ? 'every week within or below the usual range'
      : `${aboveCount} week${aboveCount === 1 ? '' : 's'} above the usual range`;

  const config: ChartConfiguration<'bar' | 'line', BandValue[], string> = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      layout: { padding: { top: 4, right: 16, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title ?? 'Weekly intake vs usual range', `${formatDayRange(weeks[0].weekStart, lastDay)} · ${status}`),
        legend: { position: 'top', labels: { ...LEGEND_LABELS, boxHeight: 10 } },
      },
      scales: buildCountOverTimeScales('Week starting (city time)', 'Tickets per week', 12),
    },
  };
  return { kind: 'volume-band', config, ...CHART_SIZE, backgroundColor: COLOR.background };
}
