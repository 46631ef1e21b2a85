/**
 * What a browser needs, beyond Chart.js itself, to draw a ChartSpec the way the in-process
 * renderer draws its PNG. Safe to bundle for the page: besides types it imports only the
 * constants of chart-style.ts; no Node built-ins, no quickchart-js, no canvas package.
 *
 * In the page:
 *   import { Chart, registerables } from 'chart.js';
 *   import { toBrowserChartConfig } from '../../charts/browser-plugins.js';
 *   Chart.register(...registerables); // the renderer registers all of them too (Filler included)
 *   new Chart(canvas, toBrowserChartConfig(spec));
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { ChartSpec } from './chart-spec.js';
import { FONT_FAMILY } from './chart-style.js';

/** Id of the background plugin; Chart.js needs ids to be unique per chart. */
export const BACKGROUND_PLUGIN_ID = 'civicopsBackground';

/**
 * Font stack used in the page: the bundled DejaVu Sans when the page loads it (@font-face from
 * the dejavu-fonts-ttf package), else a close sans-serif rather than the browser's serif default.
 */
export const BROWSER_FONT_FAMILY = `"${FONT_FAMILY}", "Verdana", "Helvetica Neue", Arial, sans-serif`;

/**
 * Paints the spec's background under everything Chart.js draws (Chart.js leaves the canvas
 * transparent). Used by the in-process renderer and in the page, so both look the same.
 */
export function createBackgroundPlugin(color: string): Plugin {
  return {
    id: BACKGROUND_PLUGIN_ID,
    beforeDraw(chart) {
      const { ctx, width, height } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, width, height);
      ctx.restore();
    },
  };
}

export interface BrowserChartOptions {
  /**
   * true (default): the chart fills its container at the spec's width:height ratio.
   * false: drawn at exactly the spec's pixel size, like the PNG.
   */
  responsive?: boolean;
}

/**
 * A fresh Chart.js config for `new Chart(canvas, …)` in the browser: the spec's config (copied;
 * Chart.js mutates what it is given) plus the background plugin, the spec's aspect ratio, and
 * font families widened to a fallback stack. Leaves the spec untouched.
 */
export function toBrowserChartConfig(spec: ChartSpec, options: BrowserChartOptions = {}): ChartConfiguration {
  const config = widenFontFamilies(structuredClone(spec.config)) as ChartConfiguration;
  const responsive = options.responsive ?? true;
  config.options = {
    ...config.options,
    responsive,
    maintainAspectRatio: true,
    aspectRatio: spec.width / spec.height,
  };
  config.plugins = [...(config.plugins ?? []), createBackgroundPlugin(spec.backgroundColor)];
  return config;
}

/** Replaces every `family: FONT_FAMILY` in a plain-JSON config with BROWSER_FONT_FAMILY. */
function widenFontFamilies(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(widenFontFamilies);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    result[key] = key === 'family' && entry === FONT_FAMILY ? BROWSER_FONT_FAMILY : widenFontFamilies(entry);
  }
  return result;
}
