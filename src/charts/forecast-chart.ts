import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { ForecastChartInput } from './chart-inputs.js';
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

type ForecastValue = number | [number, number] | null;

/**
 * Recent daily intake as bars, then the forecast: the expected count as a line with points over
 * its 80% interval. The interval is drawn as floating bars ([low, high] per day) touching each
 * other, so it reads as one shaded band and needs one dataset (and one legend entry), with no
 * legend filter callback and no fill between hidden datasets.
 */
export function buildForecastChart(input: ForecastChartInput): ChartSpec {
  const { history, horizon } = input;
  if (horizon.length === 0) {
    throw new InputError('A forecast chart needs at least one forecast day.', [{ path: 'horizon', message: 'empty' }]);
  }
  const dayKeys = [...history.map((day) => day.date), ...horizon.map((day) => day.date)];
  const field = (index: number) => (index < history.length ? `history[${index}].date` : `horizon[${index - history.length}].date`);
  const labels = labelIncreasingDays(dayKeys, field);
  const counts = history.map((day, index) => requireNumber(day.count, `history[${index}].count`));
  horizon.forEach((day, index) => {
    const path = `horizon[${index}]`;
    // The interval is of whole tickets (10th–90th percentile of a count), so for a quiet type it can
    // lie below a small mean (expected 0.03, interval 0–0): only low ≤ high is required.
    requireNumber(day.low, `${path}.low`);
    requireNumber(day.expected, `${path}.expected`);
    requireNumber(day.high, `${path}.high`, day.low);
  });

  const blanks = (length: number): null[] => Array.from({ length }, () => null);
  const datasets: ChartDataset<'bar' | 'line', ForecastValue[]>[] = [
    {
      type: 'line',
      label: 'Forecast (expected)',
      data: [...blanks(history.length), ...horizon.map((day) => round1(day.expected))],
      borderColor: COLOR.forecastLine,
      backgroundColor: COLOR.forecastLine,
      borderWidth: 3,
      pointRadius: 3,
      pointStyle: 'circle',
      // Straight segments: a curve would overshoot between weekday and weekend levels.
      tension: 0,
      order: 2,
    },
    {
      type: 'bar',
      label: '80% interval',
      data: [...blanks(history.length), ...horizon.map((day): [number, number] => [round1(day.low), round1(day.high)])],
      backgroundColor: COLOR.forecastBand,
      borderWidth: 0,
      // Full-width, ungrouped: neighbouring days touch and the band does not share slots with the bars.
      grouped: false,
      categoryPercentage: 1,
      barPercentage: 1,
      pointStyle: 'rect',
      order: 3,
    },
  ];
  if (history.length > 0) {
    datasets.unshift({
      type: 'bar',
      label: 'Actual tickets',
      data: [...counts, ...blanks(horizon.length)],
      backgroundColor: COLOR.volumeBar,
      borderWidth: 0,
      grouped: false,
      categoryPercentage: 0.9,
      barPercentage: 0.95,
      pointStyle: 'rect',
      order: 1,
    });
  }

  const first = horizon[0].date;
  const last = horizon[horizon.length - 1].date;
  const zone = input.timeZone ? ` (${input.timeZone})` : '';
  const forecastRange = `forecast ${formatDayRange(first, last)}`;
  const subtitle =
    history.length > 0
      ? `Actual ${formatDayRange(history[0].date, history[history.length - 1].date)} · ${forecastRange} · city time${zone}`
      : `${forecastRange.charAt(0).toUpperCase()}${forecastRange.slice(1)} · city time${zone}`;

  const config: ChartConfiguration<'bar' | 'line', ForecastValue[], string> = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      layout: { padding: { top: 4, right: 16, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title ?? 'Intake forecast', subtitle),
        // Legend order follows `order`: actuals, forecast line, band. Round markers stay round.
        legend: { position: 'top', labels: { ...LEGEND_LABELS, boxHeight: 10 } },
      },
      scales: buildCountOverTimeScales('Day (city time)', 'Tickets per day'),
    },
  };
  return { kind: 'forecast', config, ...CHART_SIZE, backgroundColor: COLOR.background };
}
