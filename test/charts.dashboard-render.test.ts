import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { buildBacklogChart } from '../src/charts/backlog-chart.js';
import { buildCalibrationChart } from '../src/charts/calibration-chart.js';
import type { ChartSpec } from '../src/charts/chart-spec.js';
import { buildForecastChart } from '../src/charts/forecast-chart.js';
import { buildSlaChart } from '../src/charts/sla-chart.js';
import { buildSurgeChart } from '../src/charts/surge-chart.js';
import { buildTypeTrendChart } from '../src/charts/type-trend-chart.js';
import { createInProcessRenderer } from '../src/charts/in-process.renderer.js';
import { readPngSize } from '../src/charts/png-image.js';
import { buildVolumeBandChart } from '../src/charts/volume-band-chart.js';
import { buildVolumeChart } from '../src/charts/volume-chart.js';

/** Git-ignored; the PNGs stay for a person to look at after the run. */
const OUTPUT_DIR = fileURLToPath(new URL('../test-output/charts/', import.meta.url));

function dayKey(first: string, offset: number): string {
  return new Date(Date.parse(`${first}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}

/** Shaped like the warehouse's answers: weekday-heavy intake, a backlog that builds then drains. */
const weekdayLoad = (day: string) => ([0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay()) ? 24 : 58);
const history = Array.from({ length: 28 }, (_, index) => {
  const date = dayKey('2024-11-03', index);
  return { date, count: Math.round(weekdayLoad(date) + 6 * Math.sin(index * 1.3)) };
});
const horizon = Array.from({ length: 14 }, (_, index) => {
  const date = dayKey('2024-12-01', index);
  const expected = weekdayLoad(date) + 2;
  const spread = 6 + index * 0.8;
  return { date, expected, low: Math.max(0, expected - spread), high: expected + spread * 1.2 };
});

const charts: Record<string, () => ChartSpec> = {
  backlog: () =>
    buildBacklogChart({
      points: Array.from({ length: 60 }, (_, index) => ({
        date: dayKey('2024-10-03', index),
        open: Math.round(1200 + 400 * Math.sin(index / 12) + index * 4 + 30 * Math.sin(index * 2.1)),
      })),
      timeZone: 'America/New_York',
    }),
  forecast: () => buildForecastChart({ history, horizon, timeZone: 'America/New_York' }),
  calibration: () =>
    buildCalibrationChart({
      bins: [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95].map((mid, index) => ({
        meanPredicted: mid - 0.01,
        observedRate: Math.min(1, mid * 0.85 + 0.03),
        count: Math.round(1400 / (index + 1)),
      })),
    }),
  'volume-band': () =>
    buildVolumeBandChart({
      weeks: Array.from({ length: 16 }, (_, index) => ({
        weekStart: dayKey('2024-08-12', index * 7),
        count: index === 13 ? 470 : index === 14 ? 430 : 330 + ((index * 37) % 50),
        usualLow: 300 + (index % 4) * 4,
        usualHigh: 390 + (index % 4) * 4,
      })),
    }),
};

async function decode(png: Buffer): Promise<Uint8ClampedArray> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, image.width, image.height).data;
}

/** Distinct colours among the pixels (coarsely quantised): a blank or one-colour image has 1–2. */
function colourCount(pixels: Uint8ClampedArray): number {
  const seen = new Set<number>();
  for (let offset = 0; offset < pixels.length; offset += 4) {
    seen.add(((pixels[offset] >> 4) << 8) | ((pixels[offset + 1] >> 4) << 4) | (pixels[offset + 2] >> 4));
  }
  return seen.size;
}

/** Share of non-white pixels in the first rows: above the title nothing should be drawn. */
function topEdgeInk(pixels: Uint8ClampedArray, width: number, rows: number): number {
  return share(pixels.subarray(0, width * rows * 4), (r, g, b) => r + g + b < 740);
}

function share(pixels: Uint8ClampedArray, matches: (r: number, g: number, b: number) => boolean): number {
  let hits = 0;
  for (let offset = 0; offset < pixels.length; offset += 4) {
    if (matches(pixels[offset], pixels[offset + 1], pixels[offset + 2])) hits++;
  }
  return hits / (pixels.length / 4);
}

describe('dashboard charts render in-process', () => {
  const renderer = createInProcessRenderer();

  for (const [name, build] of Object.entries(charts)) {
    it(`draws the ${name} chart as a non-blank PNG of the spec size`, async () => {
      const spec = build();
      const png = await renderer.render(spec);
      await mkdir(OUTPUT_DIR, { recursive: true });
      await writeFile(`${OUTPUT_DIR}${name}.png`, png);
      expect(readPngSize(png)).toEqual({ width: spec.width, height: spec.height });
      const pixels = await decode(png);
      expect(Array.from(pixels.slice(0, 4))).toEqual([255, 255, 255, 255]);
      expect(colourCount(pixels)).toBeGreaterThan(20);
      const ink = share(pixels, (r, g, b) => r + g + b < 600);
      expect(ink).toBeGreaterThan(0.01);
      expect(ink).toBeLessThan(0.6);
    });
  }

  it('shades the forecast interval visibly (orange band pixels, not just the line)', async () => {
    const pixels = await decode(await renderer.render(charts.forecast()));
    // The band: light orange, red high, blue clearly lower.
    expect(share(pixels, (r, g, b) => r > 240 && g > 190 && g < 230 && b > 150 && b < 210)).toBeGreaterThan(0.03);
  });

  it('shades the usual range band visibly', async () => {
    const pixels = await decode(await renderer.render(charts['volume-band']()));
    expect(share(pixels, (r, g, b) => r === g && g === b && r > 195 && r < 225)).toBeGreaterThan(0.05);
  });

  it('draws nothing along the top edge of any chart, old or new (no stray axis border above the title)', async () => {
    const all: ChartSpec[] = [
      ...Object.values(charts).map((build) => build()),
      buildVolumeChart({ title: 'Volume', days: history }),
      buildSlaChart({
        title: 'SLA',
        slaHours: 72,
        types: [
          { name: 'Road Repair', attainment: 0.7, p90Hours: 100, tickets: 40 },
          { name: 'Noise', attainment: 0.9, p90Hours: 10, tickets: 12 },
        ],
      }),
      buildSurgeChart({ title: 'Surges', types: [{ name: 'Other', last7d: 44, usualWeekly: 46, surging: true }] }),
      buildTypeTrendChart({ title: 'Trend', weeks: [{ weekStart: '2024-11-04', count: 5, attainment: 0.5 }] }),
    ];
    for (const spec of all) {
      const pixels = await decode(await renderer.render(spec));
      expect({ kind: spec.kind, ink: topEdgeInk(pixels, spec.width, 3) }).toEqual({ kind: spec.kind, ink: 0 });
    }
  });
});
