import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts, createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type ChartItem } from 'chart.js';
import { createBackgroundPlugin } from './browser-plugins.js';
import type { ChartRenderer } from './chart-renderer.js';
import { asError } from '../shared/errors.js';
import { ChartRenderError } from './chart-errors.js';
import type { ChartSpec } from './chart-spec.js';
import { FONT_FAMILY } from './chart-style.js';

/** Font files registered under FONT_FAMILY; Skia picks the bold face for bold text. */
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

let chartJsPrepared = false;

/**
 * Registers Chart.js controllers and the bundled DejaVu Sans once per process. The font ships
 * from npm (dejavu-fonts-ttf), so text renders on a bare server without system fonts.
 */
function prepareChartJs(): void {
  if (chartJsPrepared) return;
  const fontDir = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  for (const file of FONT_FILES) {
    const path = join(fontDir, file);
    if (!GlobalFonts.registerFromPath(path, FONT_FAMILY)) {
      throw new ChartRenderError(`Could not register chart font ${path}.`, { failure: 'font' });
    }
  }
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT_FAMILY;
  Chart.defaults.color = '#222222';
  chartJsPrepared = true;
}

/**
 * Renders specs to PNG with Chart.js on @napi-rs/canvas, in this process: no network, no
 * third-party service. Each render uses its own canvas and destroys its chart afterwards.
 */
export function createInProcessRenderer(): ChartRenderer {
  prepareChartJs();
  return {
    kind: 'in-process',
    async render(spec: ChartSpec): Promise<Buffer> {
      const canvas = createCanvas(spec.width, spec.height);
      // Chart.js mutates the config it is given (resolved options, data listeners); keep the spec reusable.
      const config: ChartConfiguration = structuredClone(spec.config);
      config.options = { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 };
      config.plugins = [...(config.plugins ?? []), createBackgroundPlugin(spec.backgroundColor)];
      let chart: Chart | undefined;
      try {
        // Without a DOM, Chart.js uses its BasicPlatform and draws synchronously on construction.
        chart = new Chart(canvas as unknown as ChartItem, config);
        return await canvas.encode('png');
      } catch (error) {
        throw new ChartRenderError(`Rendering the ${spec.kind} chart failed: ${asError(error).message}`, {
          failure: 'render',
          cause: error,
        });
      } finally {
        chart?.destroy();
      }
    },
  };
}
