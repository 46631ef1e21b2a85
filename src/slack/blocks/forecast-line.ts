/** The workload forecast as one sentence (pure), shared by the Home tab and the daily digest. */
import type { ForecastTotal } from '../../forecast/forecast-summary.js';

function formatDay(dateKey: string, withYear: boolean): string {
  return new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${dateKey}T12:00:00Z`));
}

/** "Jul 10–16, 2023" style range of the horizon's days. */
function formatDays(first: string, last: string): string {
  if (first === last) return formatDay(first, true);
  if (first.slice(0, 7) === last.slice(0, 7)) return `${formatDay(first, false)}–${Number(last.slice(8))}, ${last.slice(0, 4)}`;
  return `${formatDay(first, first.slice(0, 4) !== last.slice(0, 4))} – ${formatDay(last, true)}`;
}

/** A rate people can act on: one decimal below 10 a day, else rounded up ("close ≥ 12/day"). */
function formatRate(perDay: number): string {
  return perDay < 10 ? perDay.toFixed(1) : String(Math.ceil(perDay - 1e-9));
}

/**
 * "Next 7 days (Jul 10–16, 2023): ~84 tickets expected (80%: 70–99); close ≥ 12/day to keep the
 * backlog flat". Plain text: no mrkdwn control characters, so it needs no escaping.
 */
export function describeForecastLine(forecast: ForecastTotal): string {
  return (
    `Next ${forecast.days} day${forecast.days === 1 ? '' : 's'} (${formatDays(forecast.firstDay, forecast.lastDay)}): ` +
    `~${Math.round(forecast.expected)} tickets expected (80%: ${forecast.low}–${forecast.high}); ` +
    `close ≥ ${formatRate(forecast.keepFlatPerDay)}/day to keep the backlog flat`
  );
}
