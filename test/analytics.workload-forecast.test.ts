import { describe, expect, it } from 'vitest';
import { backtestForecast } from '../src/analytics/forecast-backtest.js';
import { addCalendarDays } from '../src/analytics/report-window.js';
import {
  countDistribution,
  densifyDailyCounts,
  forecastDailyCounts,
  isoWeekdayOf,
  type DailySeries,
} from '../src/analytics/workload-forecast.js';
import { createSeededRandom } from '../src/shared/seeded-random.js';

/** Poisson draw by inversion (means here are small). */
function drawPoisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random();
  while (product > limit) {
    k += 1;
    product *= random();
  }
  return k;
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1) with the boost for shape < 1. */
function drawGamma(random: () => number, shape: number): number {
  if (shape < 1) return drawGamma(random, shape + 1) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal.
      x = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    const u = random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Negative binomial with mean μ and size r: Poisson with a gamma-distributed mean. */
function drawNegativeBinomial(random: () => number, mean: number, size: number): number {
  return drawPoisson(random, (mean * drawGamma(random, size)) / size);
}

const WEEKDAY_PATTERN = [1.3, 1.2, 1.1, 1.1, 1.0, 0.6, 0.7]; // Monday … Sunday

/** `days` days ending on `origin`, weekday pattern × level, NB noise. */
function syntheticSeries(options: { origin: string; days: number; level: number; size: number; seed: number }): DailySeries {
  const random = createSeededRandom(options.seed);
  const average = WEEKDAY_PATTERN.reduce((a, b) => a + b, 0) / 7;
  const counts = Array.from({ length: options.days }, (_, index) => {
    const date = addCalendarDays(options.origin, index - (options.days - 1));
    const mean = (options.level * WEEKDAY_PATTERN[isoWeekdayOf(date) - 1]!) / average;
    return drawNegativeBinomial(random, mean, options.size);
  });
  return { origin: options.origin, counts };
}

describe('workload forecast model', () => {
  it('recovers the weekday pattern and the level from two years of busy days', () => {
    const series = syntheticSeries({ origin: '2023-07-09', days: 728, level: 40, size: 30, seed: 7 });
    const forecast = forecastDailyCounts(series, 7);
    expect(forecast.fit.method).toBe('negative-binomial');
    expect(forecast.fit.level).toBeGreaterThan(34);
    expect(forecast.fit.level).toBeLessThan(46);
    const average = WEEKDAY_PATTERN.reduce((a, b) => a + b, 0) / 7;
    // One year of 52 days per weekday: each factor within sampling error of the truth.
    for (const [weekday, factor] of forecast.fit.weekdayFactors.entries())
      expect(Math.abs(factor - WEEKDAY_PATTERN[weekday]! / average)).toBeLessThan(0.08);
    // Horizon: the seven days after the origin, Monday first here, each with low ≤ expected ≤ high.
    expect(forecast.days.map((day) => day.date)).toEqual([
      '2023-07-10',
      '2023-07-11',
      '2023-07-12',
      '2023-07-13',
      '2023-07-14',
      '2023-07-15',
      '2023-07-16',
    ]);
    expect(forecast.days[0]!.isoWeekday).toBe(1);
    for (const day of forecast.days) {
      expect(Number.isInteger(day.low) && Number.isInteger(day.high)).toBe(true);
      expect(day.low).toBeLessThanOrEqual(day.expected);
      expect(day.high).toBeGreaterThanOrEqual(day.expected);
    }
    expect(forecast.days[0]!.expected).toBeGreaterThan(forecast.days[5]!.expected * 1.6);
  });

  it('keeps weekday factors near 1 when there are only a few tickets a year', () => {
    const series = syntheticSeries({ origin: '2023-07-09', days: 364, level: 0.05, size: 5, seed: 11 });
    const forecast = forecastDailyCounts(series, 7);
    for (const factor of forecast.fit.weekdayFactors) expect(Math.abs(factor - 1)).toBeLessThan(0.25);
    for (const day of forecast.days) expect(day).toMatchObject({ low: 0 });
  });

  it('forecasts zeros without history and the one day it has with one day of history', () => {
    const empty = forecastDailyCounts({ origin: '2023-07-09', counts: [] }, 7);
    expect(empty.fit.method).toBe('no-history');
    expect(empty.days).toHaveLength(7);
    expect(empty.days.every((day) => day.expected === 0 && day.low === 0 && day.high === 0)).toBe(true);
    const oneDay = forecastDailyCounts({ origin: '2023-07-09', counts: [3] }, 7);
    expect(oneDay.fit.level).toBeCloseTo(3, 6);
    expect(oneDay.fit.method).toBe('poisson');
    expect(oneDay.days.every((day) => Math.abs(day.expected - 3) < 1e-9 && day.low <= 3 && day.high >= 3)).toBe(true);
    const allZero = forecastDailyCounts({ origin: '2023-07-09', counts: [0, 0, 0] }, 7);
    expect(allZero.days.every((day) => day.expected === 0 && day.high === 0)).toBe(true);
  });

  it('gives seven distinct city days across the DST changes', () => {
    for (const origin of ['2023-03-09', '2023-03-11', '2023-11-03', '2023-11-04']) {
      const forecast = forecastDailyCounts({ origin, counts: [1, 2, 3] }, 7);
      const dates = forecast.days.map((day) => day.date);
      expect(new Set(dates).size).toBe(7);
      expect(dates[0]).toBe(addCalendarDays(origin, 1));
      expect(new Set(forecast.days.map((day) => day.isoWeekday)).size).toBe(7);
    }
    expect(addCalendarDays('2023-03-11', 1)).toBe('2023-03-12');
    expect(addCalendarDays('2023-11-04', 2)).toBe('2023-11-06');
    expect(densifyDailyCounts([{ date: '2023-03-12', count: 2 }], '2023-03-11', '2023-03-13')).toEqual([0, 2, 0]);
  });

  it('has negative-binomial percentiles that match the distribution', () => {
    const poisson = countDistribution(2, null);
    expect(poisson.cdf(0)).toBeCloseTo(Math.exp(-2), 9);
    expect(poisson.quantile(0.1)).toBe(0);
    expect(poisson.quantile(0.9)).toBe(4);
    const nb = countDistribution(10, 2);
    // NB(μ = 10, r = 2): P(0) = (2/12)^2.
    expect(nb.cdf(0)).toBeCloseTo((2 / 12) ** 2, 9);
    expect(nb.quantile(0.9)).toBeGreaterThan(poisson.quantile(0.9));
    // Large means do not underflow.
    const big = countDistribution(5_000, null);
    expect(big.quantile(0.5)).toBeGreaterThanOrEqual(4_995);
    expect(big.quantile(0.5)).toBeLessThanOrEqual(5_005);
  });
});

describe('rolling-origin backtest', () => {
  it('beats seasonal-naive with calibrated 80% ranges on negative-binomial data', () => {
    const series = syntheticSeries({ origin: '2023-07-09', days: 3 * 364, level: 6, size: 8, seed: 42 });
    const result = backtestForecast(series);
    expect(result.origins).toBeGreaterThan(140);
    expect(result.points).toBe(result.origins * 7);
    expect(result.beatsSeasonalNaive).toBe(true);
    expect(result.modelMae).toBeLessThan(result.seasonalNaiveMae * 0.85);
    expect(result.coverage80).toBeGreaterThan(0.7);
    expect(result.coverage80).toBeLessThan(0.9);
    expect(result.pitCoverage80).toBeGreaterThan(0.75);
    expect(result.pitCoverage80).toBeLessThan(0.85);
  });

  it('beats seasonal-naive on sparse data too, where the integer ranges hold more than 80%', () => {
    const series = syntheticSeries({ origin: '2023-07-09', days: 2 * 364, level: 0.8, size: 3, seed: 5 });
    const result = backtestForecast(series);
    expect(result.beatsSeasonalNaive).toBe(true);
    expect(Math.abs(result.coverage80 - result.nominalCoverage80)).toBeLessThan(0.05);
    expect(result.pitCoverage80).toBeGreaterThan(0.72);
    expect(result.pitCoverage80).toBeLessThan(0.88);
  });

  it('uses only origins with enough history, and none in a short series', () => {
    expect(backtestForecast({ origin: '2023-07-09', counts: [] })).toMatchObject({
      origins: 0,
      points: 0,
      beatsSeasonalNaive: false,
      firstOrigin: null,
    });
    expect(backtestForecast({ origin: '2023-07-09', counts: new Array(62).fill(1) }).origins).toBe(0);
    const result = backtestForecast({ origin: '2023-07-09', counts: new Array(63).fill(1) });
    expect(result).toMatchObject({
      origins: 1,
      points: 7,
      firstOrigin: '2023-07-02',
      lastOrigin: '2023-07-02',
      modelMae: 0,
      seasonalNaiveMae: 0,
    });
  });
});
