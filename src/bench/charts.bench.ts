import { pathToFileURL } from 'node:url';
import type { ChartRenderer } from '../charts/chart-renderer.js';
import type { ChartKind, ChartSpec } from '../charts/chart-spec.js';
import { createInProcessRenderer } from '../charts/in-process.renderer.js';
import { buildSlaChart } from '../charts/sla-chart.js';
import { buildSurgeChart } from '../charts/surge-chart.js';
import { buildTypeTrendChart } from '../charts/type-trend-chart.js';
import { buildVolumeChart } from '../charts/volume-chart.js';

const ITERATIONS = 30;
const WARMUP = 3;
const TARGET_MS = 100;

const TYPE_NAMES = [
  'Trash/Debris (Private Property)',
  'Road Repair',
  'General Code Issue',
  'Streetlight/Lamp',
  'Other',
  'Vehicle (Abandoned/Non-Operational)',
  'Grass (Overgrown)',
  'Trash/Debris (Public Property)',
  'Tree/Limbs (Public Property)',
  'Street Sign',
  'Traffic/Pedestrian Signal',
  'Parking in Yard (Other Than Driveway)',
];

/** Charts shaped like a real digest: 90 days of intake, 12 types, 12 weeks. */
function buildBenchSpecs(): Record<ChartKind, ChartSpec> {
  const start = Date.UTC(2024, 8, 2);
  const days = Array.from({ length: 90 }, (_, index) => {
    const weekday = new Date(start + index * 86_400_000).getUTCDay();
    const base = weekday === 0 || weekday === 6 ? 22 : 58;
    return {
      date: new Date(start + index * 86_400_000).toISOString().slice(0, 10),
      count: Math.round(base + 8 * Math.sin(index * 1.7) + (index > 80 ? 40 : 0)),
    };
  });
  const rolling7d = days.map((_, index) => {
    const window = days.slice(Math.max(0, index - 6), index + 1);
    return window.reduce((sum, day) => sum + day.count, 0) / window.length;
  });
  return {
    volume: buildVolumeChart({
      title: 'Daily 311 requests',
      days,
      rolling7d,
      usual: days.map(() => 48),
      timeZone: 'America/New_York',
    }),
    sla: buildSlaChart({
      title: 'SLA attainment by request type',
      slaHours: 72,
      types: TYPE_NAMES.map((name, index) => ({
        name,
        attainment: 0.3 + ((index * 0.37) % 0.7),
        p90Hours: 20 + index * 31,
        tickets: 400 - index * 25,
      })),
    }),
    surge: buildSurgeChart({
      title: 'Request types surging this week',
      types: TYPE_NAMES.map((name, index) => ({
        name,
        usualWeekly: 50 - index * 3,
        last7d: index % 5 === 2 ? 120 - index * 3 : 45 - index * 3,
        surging: index % 5 === 2,
      })),
    }),
    'type-trend': buildTypeTrendChart({
      title: 'Road Repair: weekly volume and SLA',
      weeks: Array.from({ length: 12 }, (_, index) => ({
        weekStart: new Date(start + index * 7 * 86_400_000).toISOString().slice(0, 10),
        count: 30 + ((index * 7) % 13),
        attainment: index === 11 ? null : 0.9 - (index % 4) * 0.05,
      })),
    }),
  };
}

function percentile(sortedMs: number[], share: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil(share * sortedMs.length) - 1)];
}

async function timeRenders(renderer: ChartRenderer, spec: ChartSpec): Promise<{ meanMs: number; p95Ms: number }> {
  for (let index = 0; index < WARMUP; index++) await renderer.render(spec);
  const samples: number[] = [];
  for (let index = 0; index < ITERATIONS; index++) {
    const started = performance.now();
    await renderer.render(spec);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { meanMs: samples.reduce((sum, ms) => sum + ms, 0) / samples.length, p95Ms: percentile(samples, 0.95) };
}

/**
 * Renders each chart kind in-process (build + PNG encode) and reports mean and p95 ms per chart,
 * plus the cold first render (font registration and Chart.js setup). Target: under 100 ms.
 */
export async function runChartsBench(): Promise<Record<string, number>> {
  const coldStarted = performance.now();
  const renderer = createInProcessRenderer();
  const specs = buildBenchSpecs();
  await renderer.render(specs.volume);
  const results: Record<string, number> = { 'charts.coldFirstRenderMs': round(performance.now() - coldStarted) };
  console.log(`charts: in-process renderer, ${ITERATIONS} renders per kind after ${WARMUP} warm-up (target < ${TARGET_MS} ms)`);
  for (const [kind, spec] of Object.entries(specs)) {
    const { meanMs, p95Ms } = await timeRenders(renderer, spec);
    results[`charts.${kind}.meanMs`] = round(meanMs);
    results[`charts.${kind}.p95Ms`] = round(p95Ms);
    const verdict = p95Ms < TARGET_MS ? 'ok' : 'OVER TARGET';
    console.log(`  ${kind.padEnd(10)} ${spec.width}x${spec.height}  mean ${meanMs.toFixed(1)} ms  p95 ${p95Ms.toFixed(1)} ms  ${verdict}`);
  }
  console.log(`  cold first render (fonts + Chart.js setup): ${results['charts.coldFirstRenderMs']} ms`);
  return results;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runChartsBench();
}
