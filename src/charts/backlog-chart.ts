import type { ChartConfiguration } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { BacklogChartInput } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import {
  CHART_SIZE,
  COLOR,
  buildTitleOptions,
  formatDayLabel,
  formatDayRange,
  requireNumber,
  buildCountOverTimeScales,
} from './chart-style.js';
import { labelIncreasingDays } from './day-series.js';

/** Above this many days the points are hidden: the line alone reads better than a row of dots. */
const MAX_DAYS_WITH_POINTS = 31;

/**
 * Open tickets at the end of each city-local day as a line over a light fill down to zero.
 * The subtitle names the range, the city zone and the latest backlog.
 */
export function buildBacklogChart(input: BacklogChartInput): ChartSpec {
  const { points } = input;
  if (points.length === 0) {
    throw new InputError('A backlog chart needs at least one day.', [{ path: 'points', message: 'empty' }]);
  }
  const labels = labelIncreasingDays(
    points.map((point) => point.date),
    (index) => `points[${index}].date`,
  );
  const open = points.map((point, index) => requireNumber(point.open, `points[${index}].open`));
  const last = points[points.length - 1];
  const zone = input.timeZone ? ` (${input.timeZone})` : '';
  const subtitle =
    `${formatDayRange(points[0].date, last.date)} · city time${zone} · ` +
    `${last.open.toLocaleString('en-US')} open at the end of ${formatDayLabel(last.date)}`;
  const showPoints = points.length <= MAX_DAYS_WITH_POINTS;

  const config: ChartConfiguration<'line', number[], string> = {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: 'Open tickets',
          data: open,
          borderColor: COLOR.backlogLine,
          backgroundColor: COLOR.backlogFill,
          pointBackgroundColor: COLOR.backlogLine,
          borderWidth: 3,
          pointRadius: showPoints ? 3 : 0,
          // A single day has no line to draw; its point must show.
          ...(points.length === 1 ? { pointRadius: 5 } : {}),
          tension: 0.2,
          fill: 'origin',
        },
      ],
    },
    options: {
      layout: { padding: { top: 4, right: 16, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title ?? 'Open backlog', subtitle),
        // One series: the title and y axis already say what it is.
        legend: { display: false },
      },
      scales: buildCountOverTimeScales('Day (city time)', 'Open tickets'),
    },
  };
  return { kind: 'backlog', config, ...CHART_SIZE, backgroundColor: COLOR.background };
}
