import type { ChartConfiguration } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { TypeTrendChartInput } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import {
  COLOR,
  FONT,
  LEGEND_LABELS,
  SMALL_CHART_SIZE,
  buildAxisTitle,
  buildTitleOptions,
  formatDayLabel,
  formatDayRange,
  requireNumber,
  toPercent,
} from './chart-style.js';

const DEFAULT_TARGET = 0.8;

/**
 * Small chart for one request type (Slack `/sla`): weekly tickets as bars on the left axis and
 * the share closed within SLA as a line on a 0–100 % right axis.
 */
export function buildTypeTrendChart(input: TypeTrendChartInput): ChartSpec {
  const { weeks } = input;
  if (weeks.length === 0) {
    throw new InputError('A trend chart needs at least one week.', [{ path: 'weeks', message: 'empty' }]);
  }
  const target = requireNumber(input.target ?? DEFAULT_TARGET, 'target', 0, 1);
  const labels = weeks.map((week, index) => formatDayLabel(week.weekStart, `weeks[${index}].weekStart`));
  const counts = weeks.map((week, index) => requireNumber(week.count, `weeks[${index}].count`));
  const attainment = weeks.map((week, index) =>
    week.attainment === null ? null : toPercent(requireNumber(week.attainment, `weeks[${index}].attainment`, 0, 1)),
  );

  const config: ChartConfiguration<'bar' | 'line', (number | null)[], string> = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'line',
          label: 'Closed within SLA (%)',
          data: attainment,
          yAxisID: 'attainment',
          borderColor: COLOR.usualLine,
          backgroundColor: COLOR.usualLine,
          borderWidth: 3,
          pointRadius: 4,
          pointStyle: 'circle',
          spanGaps: true,
          order: 1,
        },
        {
          type: 'bar',
          label: 'Tickets per week',
          data: counts,
          yAxisID: 'tickets',
          backgroundColor: COLOR.volumeBar,
          borderWidth: 0,
          pointStyle: 'rect',
          order: 2,
        },
      ],
    },
    options: {
      layout: { padding: { top: 4, right: 12, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(
          input.title,
          `Weeks of ${formatDayRange(weeks[0].weekStart, weeks[weeks.length - 1].weekStart)} · target ${toPercent(target)}%`,
        ),
        legend: { position: 'top', labels: { ...LEGEND_LABELS, usePointStyle: false, boxWidth: 18 } },
      },
      scales: {
        x: {
          title: buildAxisTitle('Week starting (city time)'),
          ticks: { font: FONT.tick, color: COLOR.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 },
          grid: { display: false },
        },
        tickets: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          title: buildAxisTitle('Tickets per week'),
          ticks: { font: FONT.tick, color: COLOR.text, precision: 0 },
          grid: { color: COLOR.grid },
        },
        attainment: {
          type: 'linear',
          position: 'right',
          min: 0,
          max: 100,
          title: buildAxisTitle('Within SLA (%)'),
          ticks: { font: FONT.tick, color: COLOR.usualLine, stepSize: 25 },
          grid: { display: false },
        },
      },
    },
  };
  return { kind: 'type-trend', config, ...SMALL_CHART_SIZE, backgroundColor: COLOR.background };
}
