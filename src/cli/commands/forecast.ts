import {
  backtestWorkload,
  forecastWorkload,
  type WorkloadBacktestResult,
  type WorkloadForecastResult,
} from '../../forecast/forecast-workload.js';
import { InputError } from '../../shared/errors.js';
import { resolveRequestType } from '../../warehouse/request-type.repository.js';
import { writeLine, type CliCommand } from '../command.js';
import { formatTable } from './sla.js';

const formatCount = (value: number) => value.toFixed(value >= 10 ? 0 : value >= 1 ? 1 : 2);

function formatAsOf(result: { as_of: string; data_through: string | null; stale: boolean }): string {
  if (result.data_through === null) return `As of ${result.as_of} (the warehouse is empty).`;
  return `As of ${result.as_of} (data ends ${result.data_through}${result.stale ? ', older than 2 days: not a forecast from today' : ''}).`;
}

/** The forecast as text: the 7-day table, the closures line, the busiest types, and where the data ends. */
export function formatForecast(result: WorkloadForecastResult): string[] {
  const scope = result.request_type ? result.request_type.display_name : 'All request types';
  const lines = [
    `${scope} — expected new tickets, next ${result.horizon_days} city days (${result.time_zone})`,
    formatAsOf(result),
    '',
    ...formatTable([
      ['Date', 'Weekday', 'Expected', '80% range'],
      ...result.horizon.map((day) => [day.date, day.weekday, formatCount(day.expected), `${day.low}–${day.high}`]),
      ['Total', '', formatCount(result.expected_total), ''],
    ]),
    '',
    result.closures.explanation,
  ];
  if (result.by_type.length > 0) {
    lines.push('', 'Busiest types (each its own model; they need not add up to the total):');
    lines.push(
      ...formatTable([
        ['  Request type', `Next ${result.horizon_days} days`, 'Per day'],
        ...result.by_type.map((type) => [
          `  ${type.display_name}`,
          formatCount(type.expected_total),
          formatCount(type.expected_total / result.horizon_days),
        ]),
      ]),
    );
  }
  const factors = Object.entries(result.model.weekday_factors)
    .map(([day, factor]) => `${day.slice(0, 3)} ${factor.toFixed(2)}`)
    .join(', ');
  lines.push('', `Model: level ${result.model.level.toFixed(2)} a day × weekday factor (${factors}); ${result.model.method}.`);
  if (result.notice) lines.push('', result.notice);
  return lines;
}

export function formatBacktest(result: WorkloadBacktestResult): string[] {
  const scope = result.request_type ? result.request_type.display_name : 'All request types';
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const lines = [
    `${scope} — rolling-origin backtest of the ${result.horizon_days}-day forecast`,
    formatAsOf(result),
    '',
    ...formatTable([
      ['', 'MAE (tickets/day)'],
      ['Model', result.model_mae.toFixed(3)],
      ['Seasonal-naive (same weekday last week)', result.seasonal_naive_mae.toFixed(3)],
    ]),
    '',
    `${result.beats_seasonal_naive ? 'The model beats' : 'The model does NOT beat'} seasonal-naive over ${result.origins} origins (${result.points} days, ${result.first_origin ?? '–'} → ${result.last_origin ?? '–'}).`,
    `80% range coverage: ${percent(result.coverage_80)} of actual days (the integer ranges hold ${percent(result.nominal_coverage_80)} by the model; randomized-PIT coverage ${percent(result.pit_coverage_80)}, 80% when calibrated).`,
  ];
  if (result.notice) lines.push('', result.notice);
  return lines;
}

export const forecastCommand: CliCommand = {
  name: 'forecast',
  summary: 'Expected new tickets for the next 7 city days, with 80% ranges, and its backtest',
  usage: 'civicops forecast [--type T] [--json] [--backtest] [--as-of YYYY-MM-DD]',
  options: {
    type: { type: 'string', description: 'one request type (matched like `civicops sla`); default every type' },
    json: { type: 'boolean', description: 'print one JSON object (last line of stdout) instead of text' },
    backtest: { type: 'boolean', description: 'rolling-origin backtest against seasonal-naive (MAE, 80% coverage)' },
    'as-of': { type: 'string', description: "last city day of history, YYYY-MM-DD (default: the warehouse's last ticket)" },
  },
  details: [
    'Examples:',
    '  civicops forecast',
    '  civicops forecast --type "road repair" --json',
    '  civicops forecast --backtest --json',
    "The forecast starts the day after the warehouse's last ticket; the shipped snapshot ends 2023-07-09, so",
    'that is the forecast you get from it (the output says so).',
  ].join('\n'),
  async run({ values }, context) {
    const typeText = typeof values.type === 'string' ? values.type.trim() : undefined;
    if (typeText === '')
      throw new InputError('--type needs a request type, e.g. --type "road repair".', [{ path: 'type', message: 'empty' }]);
    const asOf = typeof values['as-of'] === 'string' ? values['as-of'].trim() : undefined;
    const app = await context.openApp();
    try {
      const db = app.warehouse.db;
      const typeKey = typeText === undefined ? undefined : (await resolveRequestType(db, typeText)).typeKey;
      const options = { timeZone: context.config.cityTimeZone, typeKey, asOf };
      if (values.backtest) {
        const result = await backtestWorkload(db, options);
        if (values.json) writeLine(context.stdout, JSON.stringify(result));
        else for (const line of formatBacktest(result)) writeLine(context.stdout, line);
        return 0;
      }
      const result = await forecastWorkload(db, options);
      if (values.json) writeLine(context.stdout, JSON.stringify(result));
      else for (const line of formatForecast(result)) writeLine(context.stdout, line);
      return 0;
    } finally {
      await app.close();
    }
  },
};
