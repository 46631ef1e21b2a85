import { readFileSync } from 'node:fs';
import type { ChartDataset } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { buildBacklogChart } from '../src/charts/backlog-chart.js';
import { BACKGROUND_PLUGIN_ID, BROWSER_FONT_FAMILY, toBrowserChartConfig } from '../src/charts/browser-plugins.js';
import { buildCalibrationChart } from '../src/charts/calibration-chart.js';
import type { ChartSpec } from '../src/charts/chart-spec.js';
import { COLOR, FONT_FAMILY } from '../src/charts/chart-style.js';
import { buildForecastChart } from '../src/charts/forecast-chart.js';
import { buildSlaChart } from '../src/charts/sla-chart.js';
import { buildSurgeChart } from '../src/charts/surge-chart.js';
import { buildTypeTrendChart } from '../src/charts/type-trend-chart.js';
import { buildVolumeBandChart } from '../src/charts/volume-band-chart.js';
import { buildVolumeChart } from '../src/charts/volume-chart.js';

function option(spec: ChartSpec, ...path: (string | number)[]): unknown {
  let value: unknown = spec.config.options;
  for (const key of path) value = (value as Record<string | number, unknown> | undefined)?.[key];
  return value;
}

function datasets(spec: ChartSpec): ChartDataset[] {
  return spec.config.data.datasets as ChartDataset[];
}

function dayKey(first: string, offset: number): string {
  return new Date(Date.parse(`${first}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}

function expectPlainJson(spec: ChartSpec): void {
  expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
}

const backlogPoints = Array.from({ length: 30 }, (_, index) => ({ date: dayKey('2024-11-01', index), open: 400 + index * 3 }));
const history = Array.from({ length: 28 }, (_, index) => ({ date: dayKey('2024-11-03', index), count: 50 + (index % 7) }));
const horizon = Array.from({ length: 14 }, (_, index) => ({
  date: dayKey('2024-12-01', index),
  expected: 52.26,
  low: 40.04,
  high: 66.66,
}));
const bins = [
  { meanPredicted: 0.55, observedRate: 0.5, count: 40 },
  { meanPredicted: 0.05, observedRate: 0.04, count: 900 },
  { meanPredicted: 0.25, observedRate: 0.31, count: 200 },
  { meanPredicted: 0.95, observedRate: 0.8, count: 0 },
];
const weeks = Array.from({ length: 12 }, (_, index) => ({
  weekStart: dayKey('2024-09-02', index * 7),
  count: index === 10 ? 420 : 300 + index,
  usualLow: 260,
  usualHigh: 360.04,
}));

describe('buildBacklogChart', () => {
  const spec = buildBacklogChart({ points: backlogPoints, timeZone: 'America/New_York' });

  it('draws the open backlog as one lightly filled line over city-day labels', () => {
    expect(spec.kind).toBe('backlog');
    expect(spec.config.type).toBe('line');
    expect(spec.config.data.labels?.slice(0, 2)).toEqual(['Nov 1', 'Nov 2']);
    const [line] = datasets(spec);
    expect(datasets(spec)).toHaveLength(1);
    expect(line).toMatchObject({ label: 'Open tickets', fill: 'origin', backgroundColor: COLOR.backlogFill });
    expect(line.data).toEqual(backlogPoints.map((point) => point.open));
  });

  it('titles the chart and axes, and names range, zone and latest backlog in the subtitle', () => {
    expect(option(spec, 'plugins', 'title', 'text')).toBe('Open backlog');
    expect(option(spec, 'plugins', 'subtitle', 'text')).toBe(
      'Nov 1 – Nov 30, 2024 · city time (America/New_York) · 487 open at the end of Nov 30',
    );
    expect(option(spec, 'scales', 'y', 'title', 'text')).toBe('Open tickets');
    expect(option(spec, 'scales', 'x', 'title', 'text')).toBe('Day (city time)');
    expect(option(spec, 'scales', 'y', 'beginAtZero')).toBe(true);
    expect(buildBacklogChart({ points: backlogPoints, title: 'Backlog, Streets' }).config.options?.plugins?.title?.text).toBe(
      'Backlog, Streets',
    );
  });

  it('is plain JSON', () => expectPlainJson(spec));

  it('rejects an empty series, repeated or backwards days and negative counts', () => {
    expect(() => buildBacklogChart({ points: [] })).toThrow(InputError);
    expect(() => buildBacklogChart({ points: [backlogPoints[1], backlogPoints[0]] })).toThrow(/points\[1\]\.date must come after/);
    expect(() => buildBacklogChart({ points: [backlogPoints[0], backlogPoints[0]] })).toThrow(InputError);
    expect(() => buildBacklogChart({ points: [{ date: '2024-11-01', open: -1 }] })).toThrow(InputError);
    expect(() => buildBacklogChart({ points: [{ date: '2024-11-31', open: 1 }] })).toThrow(InputError);
  });

  it('shows the point of a single day', () => {
    expect(datasets(buildBacklogChart({ points: [backlogPoints[0]] }))[0]).toMatchObject({ pointRadius: 5 });
  });
});

describe('buildForecastChart', () => {
  const spec = buildForecastChart({ history, horizon, timeZone: 'America/New_York' });

  it('puts history then horizon days on one city-day axis', () => {
    expect(spec.kind).toBe('forecast');
    const labels = spec.config.data.labels as string[];
    expect(labels).toHaveLength(42);
    expect(labels[0]).toBe('Nov 3');
    expect(labels[28]).toBe('Dec 1');
  });

  it('draws actuals as bars, the expected count as a line and the 80% interval as one band dataset', () => {
    const [actual, expected, band] = datasets(spec);
    expect(actual).toMatchObject({ type: 'bar', label: 'Actual tickets', grouped: false });
    expect(actual.data.slice(0, 28)).toEqual(history.map((day) => day.count));
    expect(actual.data.slice(28).every((value) => value === null)).toBe(true);
    expect(expected).toMatchObject({ type: 'line', label: 'Forecast (expected)' });
    expect(expected.data.slice(0, 28).every((value) => value === null)).toBe(true);
    expect(expected.data[28]).toBe(52.3);
    expect(band).toMatchObject({ type: 'bar', label: '80% interval', grouped: false, categoryPercentage: 1, barPercentage: 1 });
    expect(band.data[28]).toEqual([40, 66.7]);
    expect(datasets(spec)).toHaveLength(3);
  });

  it('titles the chart and names both ranges in the subtitle', () => {
    expect(option(spec, 'plugins', 'title', 'text')).toBe('Intake forecast');
    expect(option(spec, 'plugins', 'subtitle', 'text')).toBe(
      'Actual Nov 3 – Nov 30, 2024 · forecast Dec 1 – Dec 14, 2024 · city time (America/New_York)',
    );
    expect(option(spec, 'scales', 'y', 'title', 'text')).toBe('Tickets per day');
  });

  it('is plain JSON', () => expectPlainJson(spec));

  it('draws a forecast without history', () => {
    const alone = buildForecastChart({ history: [], horizon });
    expect(datasets(alone).map((dataset) => dataset.label)).toEqual(['Forecast (expected)', '80% interval']);
    expect(option(alone, 'plugins', 'subtitle', 'text')).toBe('Forecast Dec 1 – Dec 14, 2024 · city time');
  });

  it('rejects an empty horizon, a horizon overlapping history and an inverted interval', () => {
    expect(() => buildForecastChart({ history, horizon: [] })).toThrow(InputError);
    expect(() => buildForecastChart({ history, horizon: [{ ...horizon[0], date: '2024-11-30' }] })).toThrow(/horizon\[0\]\.date/);
    expect(() => buildForecastChart({ history, horizon: [{ ...horizon[0], low: 5, high: 4 }] })).toThrow(/horizon\[0\]\.high/);
    expect(() => buildForecastChart({ history, horizon: [{ ...horizon[0], expected: Number.NaN }] })).toThrow(/horizon\[0\]\.expected/);
  });

  it('draws a whole-ticket interval that lies below a small expected count (a quiet type: 0.03 a day, 0–0)', () => {
    const quiet = buildForecastChart({ history, horizon: [{ date: horizon[0]!.date, expected: 0.03, low: 0, high: 0 }] });
    expect(quiet.kind).toBe('forecast');
  });
});

describe('buildCalibrationChart', () => {
  const spec = buildCalibrationChart({ bins });

  it('draws the diagonal and the model in percent on 0–100 axes', () => {
    expect(spec.kind).toBe('calibration');
    const [diagonal, model] = datasets(spec);
    expect(diagonal).toMatchObject({ label: 'Perfect calibration', showLine: true, pointRadius: 0 });
    expect(diagonal.data).toEqual([
      { x: 0, y: 0 },
      { x: 100, y: 100 },
    ]);
    expect(model.label).toBe('Model');
    // Sorted by prediction, the empty bin left out.
    expect(model.data).toEqual([
      { x: 5, y: 4 },
      { x: 25, y: 31 },
      { x: 55, y: 50 },
    ]);
    for (const axis of ['x', 'y']) {
      expect(option(spec, 'scales', axis, 'min')).toBe(0);
      expect(option(spec, 'scales', axis, 'max')).toBe(100);
    }
    expect(option(spec, 'scales', 'x', 'title', 'text')).toBe('Predicted probability (%)');
    expect(option(spec, 'scales', 'y', 'title', 'text')).toBe('Observed rate (%)');
  });

  it('sizes points by tickets, the largest bin biggest', () => {
    const radii = (datasets(spec)[1] as { pointRadius?: unknown }).pointRadius as number[];
    expect(radii[0]).toBe(11);
    expect(radii[2]).toBeLessThan(radii[1]);
    expect(option(spec, 'plugins', 'subtitle', 'text')).toBe('1,140 tickets in 3 bins · larger points hold more tickets');
  });

  it('is plain JSON and nearly square', () => {
    expectPlainJson(spec);
    expect(Math.abs(spec.width - spec.height)).toBeLessThan(80);
  });

  it('rejects no bins, only empty bins and probabilities outside 0..1', () => {
    expect(() => buildCalibrationChart({ bins: [] })).toThrow(InputError);
    expect(() => buildCalibrationChart({ bins: [{ meanPredicted: 0.5, observedRate: 0.5, count: 0 }] })).toThrow(InputError);
    expect(() => buildCalibrationChart({ bins: [{ meanPredicted: 1.2, observedRate: 0.5, count: 3 }] })).toThrow(/meanPredicted/);
  });
});

describe('buildVolumeBandChart', () => {
  const spec = buildVolumeBandChart({ weeks });

  it('draws weekly counts as a line over the usual range band, weeks above it marked', () => {
    expect(spec.kind).toBe('volume-band');
    expect(spec.config.data.labels?.slice(0, 2)).toEqual(['Sep 2', 'Sep 9']);
    const [line, marked, band] = datasets(spec);
    expect(line).toMatchObject({ type: 'line', label: 'Tickets that week' });
    expect(line.data).toEqual(weeks.map((week) => week.count));
    expect(marked).toMatchObject({ label: 'Above usual range', showLine: false, pointStyle: 'triangle', borderColor: COLOR.surging });
    expect(marked.data.filter((value) => value !== null)).toEqual([420]);
    expect(band).toMatchObject({ type: 'bar', label: 'Usual range', grouped: false });
    expect(band.data[0]).toEqual([260, 360]);
  });

  it('titles the chart and says how many weeks were above the range', () => {
    expect(option(spec, 'plugins', 'title', 'text')).toBe('Weekly intake vs usual range');
    expect(option(spec, 'plugins', 'subtitle', 'text')).toBe('Sep 2 – Nov 24, 2024 · 1 week above the usual range');
    expect(option(spec, 'scales', 'y', 'title', 'text')).toBe('Tickets per week');
    expect(option(spec, 'scales', 'x', 'title', 'text')).toBe('Week starting (city time)');
  });

  it('leaves out the marker dataset when every week is within range', () => {
    const calm = buildVolumeBandChart({ weeks: weeks.map((week) => ({ ...week, count: 300 })) });
    expect(datasets(calm).map((dataset) => dataset.label)).toEqual(['Tickets that week', 'Usual range']);
    expect(option(calm, 'plugins', 'subtitle', 'text')).toMatch(/every week within or below/);
  });

  it('is plain JSON', () => expectPlainJson(spec));

  it('rejects no weeks and a range whose high end is below its low end', () => {
    expect(() => buildVolumeBandChart({ weeks: [] })).toThrow(InputError);
    expect(() => buildVolumeBandChart({ weeks: [{ ...weeks[0], usualHigh: 100 }] })).toThrow(/usualHigh/);
  });
});

describe('browser plugins', () => {
  const specs: ChartSpec[] = [
    buildVolumeChart({ title: 'Volume', days: history, rolling7d: history.map((day) => day.count) }),
    buildSlaChart({ title: 'SLA', slaHours: 72, types: [{ name: 'Noise', attainment: 0.9, p90Hours: 10, tickets: 12 }] }),
    buildSurgeChart({ title: 'Surges', types: [{ name: 'Other', last7d: 44, usualWeekly: 46, surging: false }] }),
    buildTypeTrendChart({ title: 'Trend', weeks: [{ weekStart: '2024-11-04', count: 5, attainment: 0.5 }] }),
    buildBacklogChart({ points: backlogPoints }),
    buildForecastChart({ history, horizon }),
    buildCalibrationChart({ bins }),
    buildVolumeBandChart({ weeks }),
  ];

  it('gives every spec the background plugin, its aspect ratio and a fallback font stack, leaving the spec untouched', () => {
    for (const spec of specs) {
      const before = JSON.stringify(spec);
      const config = toBrowserChartConfig(spec);
      expect(JSON.stringify(spec)).toBe(before);
      expect(config.plugins?.map((plugin) => plugin.id)).toEqual([BACKGROUND_PLUGIN_ID]);
      expect(config.options).toMatchObject({ responsive: true, maintainAspectRatio: true, aspectRatio: spec.width / spec.height });
      const text = JSON.stringify(config);
      expect(text).not.toContain(`"family":"${FONT_FAMILY}"`);
      expect(text).toContain(JSON.stringify(BROWSER_FONT_FAMILY));
      expect(toBrowserChartConfig(spec, { responsive: false }).options?.responsive).toBe(false);
    }
  });

  it('has no Node or canvas imports, so the dashboard can bundle it', () => {
    const source = readFileSync(new URL('../src/charts/browser-plugins.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?.*from\s+'([^']+)';$/gm)].map((match) => ({
      typeOnly: Boolean(match[1]),
      from: match[2],
    }));
    expect(imports.filter((entry) => !entry.typeOnly).map((entry) => entry.from)).toEqual(['./chart-style.js']);
    const style = readFileSync(new URL('../src/charts/chart-style.ts', import.meta.url), 'utf8');
    expect(style).not.toMatch(/from '(node:|@napi-rs|quickchart)/);
  });
});
