import { describe, expect, it } from 'vitest';
import type { ChartDataset } from 'chart.js';
import { InputError } from '../src/shared/errors.js';
import { buildVolumeChart } from '../src/charts/volume-chart.js';
import { buildSlaChart, classifyAttainment, NAME_LINE_CHARS, wrapLabel } from '../src/charts/sla-chart.js';
import { buildSurgeChart, labelSurgeType } from '../src/charts/surge-chart.js';
import { buildTypeTrendChart } from '../src/charts/type-trend-chart.js';
import { toQuickChart, type ChartSpec } from '../src/charts/chart-spec.js';
import { COLOR, formatDayLabel, formatDayRange } from '../src/charts/chart-style.js';

/** Reads a nested option without caring about Chart.js' deep-partial types. */
function option(spec: ChartSpec, ...path: (string | number)[]): unknown {
  let value: unknown = spec.config.options;
  for (const key of path) value = (value as Record<string | number, unknown> | undefined)?.[key];
  return value;
}

function datasets(spec: ChartSpec): ChartDataset[] {
  return spec.config.data.datasets as ChartDataset[];
}

function consecutiveDays(first: string, count: number): { date: string; count: number }[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, index) => ({
    date: new Date(start + index * 86_400_000).toISOString().slice(0, 10),
    count: 40 + ((index * 7) % 11),
  }));
}

describe('city-day labels', () => {
  it('formats a city-local day key as "Nov 3" without shifting it by the server zone', () => {
    expect(formatDayLabel('2024-11-03')).toBe('Nov 3');
    expect(formatDayLabel('2025-01-01')).toBe('Jan 1');
    expect(formatDayLabel('2024-03-10')).toBe('Mar 10');
  });

  it('names the year once in a range, and both years across New Year', () => {
    expect(formatDayRange('2024-11-03', '2024-12-01')).toBe('Nov 3 – Dec 1, 2024');
    expect(formatDayRange('2024-12-20', '2025-01-05')).toBe('Dec 20, 2024 – Jan 5, 2025');
  });

  it('rejects text that is not a real calendar day', () => {
    expect(() => formatDayLabel('2024-02-30')).toThrow(InputError);
    expect(() => formatDayLabel('11/03/2024')).toThrow(InputError);
  });
});

describe('buildVolumeChart', () => {
  const days = consecutiveDays('2024-10-28', 14);
  const rolling7d = days.map((day) => day.count - 1.234);
  const usual = days.map(() => 45);
  const spec = buildVolumeChart({ title: 'Daily intake', days, rolling7d, usual, timeZone: 'America/New_York' });

  it('labels the x axis with city-local days and the y axis with tickets per day', () => {
    expect(spec.config.data.labels?.slice(0, 7)).toEqual(['Oct 28', 'Oct 29', 'Oct 30', 'Oct 31', 'Nov 1', 'Nov 2', 'Nov 3']);
    expect(option(spec, 'scales', 'y', 'title', 'text')).toBe('Tickets per day');
    expect(option(spec, 'scales', 'x', 'title', 'text')).toMatch(/city time/);
  });

  it('carries the title, and a subtitle with the date range and city zone', () => {
    expect(option(spec, 'plugins', 'title', 'text')).toBe('Daily intake');
    expect(option(spec, 'plugins', 'subtitle', 'text')).toBe('Oct 28 – Nov 10, 2024 · city time (America/New_York)');
  });

  it('draws counts as bars, the rolling mean as a solid line and the usual level dashed', () => {
    const [bars, rolling, usualLine] = datasets(spec);
    expect(bars).toMatchObject({ type: 'bar', data: days.map((day) => day.count) });
    expect(rolling).toMatchObject({ type: 'line', label: '7-day average' });
    expect(rolling.data[0]).toBe(Math.round(rolling7d[0] * 10) / 10);
    expect(rolling).not.toHaveProperty('borderDash');
    expect(usualLine).toMatchObject({ type: 'line', label: 'Usual level', data: usual });
    expect((usualLine as { borderDash?: number[] }).borderDash?.length).toBeGreaterThan(0);
  });

  it('uses fonts legible at Slack preview size', () => {
    expect(spec.width).toBe(800);
    expect(spec.height).toBe(450);
    expect(option(spec, 'plugins', 'title', 'font', 'size')).toBeGreaterThanOrEqual(18);
    expect(option(spec, 'scales', 'x', 'ticks', 'font', 'size')).toBeGreaterThanOrEqual(14);
    expect(option(spec, 'scales', 'y', 'ticks', 'font', 'size')).toBeGreaterThanOrEqual(14);
  });

  it('omits the optional lines when not given', () => {
    const barsOnly = buildVolumeChart({ title: 'Intake', days });
    expect(datasets(barsOnly)).toHaveLength(1);
  });

  it('rejects series that do not line up with the days', () => {
    expect(() => buildVolumeChart({ title: 'x', days, rolling7d: rolling7d.slice(1) })).toThrow(InputError);
    expect(() => buildVolumeChart({ title: 'x', days: [] })).toThrow(InputError);
  });

  it('is plain JSON, so QuickChart renders exactly the same config', () => {
    expect(JSON.parse(JSON.stringify(spec.config))).toEqual(spec.config);
  });
});

describe('buildSlaChart', () => {
  const types = [
    { name: 'Road Repair', attainment: 0.72, p90Hours: 110, tickets: 423 },
    { name: 'Streetlight/Lamp', attainment: 0.35, p90Hours: 1190.5, tickets: 387 },
    { name: 'Noise Complaint', attainment: 0.95, p90Hours: 20.25, tickets: 77 },
    { name: 'Grass (Overgrown)', attainment: 0.81, p90Hours: null, tickets: 246 },
  ];
  const spec = buildSlaChart({ title: 'SLA by type', types, slaHours: 72 });

  it('sorts types worst first with attainment, tickets and p90 in the label', () => {
    const labels = spec.config.data.labels as string[][];
    expect(labels.map((label) => label[0])).toEqual(['Streetlight/Lamp', 'Road Repair', 'Grass (Overgrown)', 'Noise Complaint']);
    expect(labels[0][1]).toBe('35% · 387 tickets · p90 49.6 d');
    expect(labels[2][1]).toContain('p90 n/a');
    expect(labels[3][1]).toContain('p90 20.3 h');
  });

  it('colours each bar by its band against the target: green, amber, red', () => {
    const [meets, below, farBelow] = datasets(spec);
    expect(meets.backgroundColor).toBe(COLOR.good);
    expect(below.backgroundColor).toBe(COLOR.amber);
    expect(farBelow.backgroundColor).toBe(COLOR.bad);
    expect(farBelow.data).toEqual([35, null, null, null]);
    expect(below.data).toEqual([null, 72, null, null]);
    expect(meets.data).toEqual([null, null, 81, 95]);
  });

  it('labels the percentage axis with the SLA and shows the target', () => {
    expect(option(spec, 'indexAxis')).toBe('y');
    expect(option(spec, 'scales', 'x', 'title', 'text')).toBe('Closed within 72 h SLA (%)');
    expect(option(spec, 'scales', 'x', 'max')).toBe(100);
    expect(option(spec, 'plugins', 'subtitle', 'text')).toContain('target 80% (black line)');
  });

  it('draws the target as a dark grid line at its tick, above the bars', () => {
    expect(option(spec, 'scales', 'x', 'grid', 'color')).toEqual([COLOR.grid, COLOR.grid, COLOR.grid, COLOR.grid, COLOR.text, COLOR.grid]);
    expect(option(spec, 'scales', 'x', 'grid', 'z')).toBe(1);
    const offTick = buildSlaChart({ title: 'x', types, slaHours: 72, target: 0.75 });
    expect(option(offTick, 'scales', 'x', 'grid', 'color')).not.toContain(COLOR.text);
    expect(option(offTick, 'plugins', 'subtitle', 'text')).not.toContain('black line');
  });

  it('moves the band edges with a different target', () => {
    expect(classifyAttainment(0.85, 0.9)).toBe('below');
    expect(classifyAttainment(0.65, 0.9)).toBe('far-below');
    expect(classifyAttainment(0.9, 0.9)).toBe('meets');
  });

  it('keeps only the worst types when there are too many, and says so', () => {
    const many = Array.from({ length: 14 }, (_, index) => ({
      name: `Type ${index}`,
      attainment: index / 20,
      p90Hours: 10,
      tickets: 5,
    }));
    const capped = buildSlaChart({ title: 'x', types: many, slaHours: 48, maxTypes: 5 });
    expect((capped.config.data.labels as string[][]).map((label) => label[0])).toEqual(['Type 0', 'Type 1', 'Type 2', 'Type 3', 'Type 4']);
    expect(option(capped, 'plugins', 'subtitle', 'text')).toContain('worst 5 of 14 types');
  });

  it('wraps a long type name over lines of at most 30 characters, losing no word, and grows the rows to fit', () => {
    const name = 'Traffic / Pedestrian Signal within City Limits (Downtown and University Districts)';
    const long = buildSlaChart({ title: 'x', types: [{ name, attainment: 0.1, p90Hours: 60, tickets: 2 }, ...types], slaHours: 72 });
    const label = (long.config.data.labels as string[][])[0];
    const nameLines = label.slice(0, -1);
    expect(nameLines).toEqual(['Traffic / Pedestrian Signal', 'within City Limits (Downtown', 'and University Districts)']);
    expect(nameLines.every((line) => line.length <= NAME_LINE_CHARS)).toBe(true);
    expect(label.at(-1)).toBe('10% · 2 tickets · p90 2.5 d');
    // Rows are evenly spaced, so every row gets the four-line label's room.
    expect(long.height).toBeGreaterThanOrEqual(150 + 5 * 4 * 17);
    expect(wrapLabel('Vehicle (Abandoned/Non-Operational)', 24)).toEqual(['Vehicle (Abandoned/Non-', 'Operational)']);
    expect(wrapLabel('A'.repeat(35), 30)).toEqual(['A'.repeat(30), 'A'.repeat(5)]);
  });

  it('rejects an attainment outside 0..1', () => {
    expect(() => buildSlaChart({ title: 'x', types: [{ ...types[0], attainment: 72 }], slaHours: 72 })).toThrow(InputError);
  });
});

describe('buildSurgeChart', () => {
  const types = [
    { name: 'Road Repair', last7d: 42, usualWeekly: 53, surging: false },
    { name: 'Streetlight/Lamp', last7d: 92, usualWeekly: 48.4, surging: true },
    { name: 'Other', last7d: 44, usualWeekly: 46, surging: false },
  ];
  const spec = buildSurgeChart({ title: 'Surges this week', types });

  it('puts surging types first and marks them in the label', () => {
    expect(spec.config.data.labels).toEqual(['▲ Streetlight/Lamp (surging)', 'Other', 'Road Repair']);
    expect(labelSurgeType({ name: 'Other', surging: false })).toBe('Other');
  });

  it('highlights surging types in a strong colour, bar and label alike', () => {
    const [surging, recent, usual] = datasets(spec);
    expect(surging.backgroundColor).toBe(COLOR.surging);
    expect(surging.data).toEqual([92, null, null]);
    expect(recent.backgroundColor).toBe(COLOR.recent);
    expect(recent.data).toEqual([null, 44, 42]);
    expect(usual.data).toEqual([48.4, 46, 53]);
    expect(option(spec, 'scales', 'y', 'ticks', 'color')).toEqual([COLOR.surging, COLOR.text, COLOR.text]);
  });

  it('groups last 7 days next to the usual week with a labelled count axis', () => {
    const stacks = datasets(spec).map((dataset) => (dataset as { stack?: string }).stack);
    expect(stacks).toEqual(['recent', 'recent', 'usual']);
    expect(option(spec, 'scales', 'x', 'title', 'text')).toBe('Tickets per week');
    expect(option(spec, 'plugins', 'subtitle', 'text')).toContain('1 type surging');
  });

  it('uses no highlight colour when nothing surges', () => {
    const calm = buildSurgeChart({ title: 'Calm', types: types.map((type) => ({ ...type, surging: false })) });
    expect(datasets(calm)[0].data.every((value) => value === null)).toBe(true);
    expect(option(calm, 'scales', 'y', 'ticks', 'color')).not.toContain(COLOR.surging);
    expect(option(calm, 'plugins', 'subtitle', 'text')).toContain('No type surging');
  });
});

describe('buildTypeTrendChart', () => {
  const weeks = [
    { weekStart: '2024-10-28', count: 31, attainment: 0.9 },
    { weekStart: '2024-11-04', count: 40, attainment: 0.755 },
    { weekStart: '2024-11-11', count: 12, attainment: null },
  ];
  const spec = buildTypeTrendChart({ title: 'Road Repair', weeks });

  it('shows weekly bars on the left axis and attainment % on a second axis', () => {
    const [line, bars] = datasets(spec);
    expect(bars).toMatchObject({ type: 'bar', yAxisID: 'tickets', data: [31, 40, 12] });
    expect(line).toMatchObject({ type: 'line', yAxisID: 'attainment', data: [90, 75.5, null] });
    expect(option(spec, 'scales', 'attainment', 'position')).toBe('right');
    expect(option(spec, 'scales', 'attainment', 'max')).toBe(100);
    expect(option(spec, 'scales', 'tickets', 'title', 'text')).toBe('Tickets per week');
  });

  it('labels weeks by their city-local start day', () => {
    expect(spec.config.data.labels).toEqual(['Oct 28', 'Nov 4', 'Nov 11']);
    expect(option(spec, 'plugins', 'title', 'text')).toBe('Road Repair');
  });
});

describe('toQuickChart', () => {
  it('holds the config for Chart.js 4 at the chart size', () => {
    const spec = buildTypeTrendChart({ title: 'Pothole trend', weeks: [{ weekStart: '2024-11-04', count: 3, attainment: 1 }] });
    const post = toQuickChart(spec).getPostData();
    expect(post).toMatchObject({ width: spec.width, height: spec.height, version: '4', format: 'png' });
    expect(post.chart).toContain('Pothole trend');
  });

  it('points URLs at the configured host', () => {
    const spec = buildTypeTrendChart({ title: 't', weeks: [{ weekStart: '2024-11-04', count: 3, attainment: 1 }] });
    expect(toQuickChart(spec, 'http://charts.city.internal:3400').getUrl()).toMatch(/^http:\/\/charts\.city\.internal:3400\/chart\?/);
  });
});
