import type { ChartSpec } from './chart-spec.js';
import { createInProcessRenderer } from './in-process.renderer.js';
import { createQuickChartRenderer } from './quickchart.renderer.js';

/** Turns a chart spec into PNG bytes; Slack uploads them with files.uploadV2, the CLI writes them. */
export interface ChartRenderer {
  readonly kind: 'in-process' | 'quickchart';
  render(chart: ChartSpec): Promise<Buffer>;
}

/**
 * In-process rendering unless a QuickChart host is configured (CHART_HOST): the city's own
 * server, or public quickchart.io only when someone sets it explicitly.
 */
export function createChartRenderer(options: { chartHost?: string; timeoutMs?: number } = {}): ChartRenderer {
  return options.chartHost
    ? createQuickChartRenderer({ host: options.chartHost, timeoutMs: options.timeoutMs })
    : createInProcessRenderer();
}
