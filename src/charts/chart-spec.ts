import type { ChartConfiguration } from 'chart.js';
import quickchartModule from 'quickchart-js';

export type ChartKind = 'volume' | 'sla' | 'surge' | 'type-trend';

/** Charts drawn for the browser dashboard (and its PNG exports), kept apart from the Slack kinds above. */
export type DashboardChartKind = 'backlog' | 'forecast' | 'calibration' | 'volume-band';

/**
 * A chart ready to render anywhere: a plain-JSON Chart.js 4 configuration (no functions, so the
 * same object renders in-process and on a QuickChart server) plus its pixel size.
 */
export interface ChartSpec {
  readonly kind: ChartKind | DashboardChartKind;
  readonly config: ChartConfiguration;
  readonly width: number;
  readonly height: number;
  readonly backgroundColor: string;
}

/** Chart.js major version the configs are written for; QuickChart defaults to v2 unless told. */
export const CHART_JS_VERSION = '4';

type QuickChartClass = typeof quickchartModule.default;
export type QuickChart = InstanceType<QuickChartClass>;

/**
 * quickchart-js ships ESM code with CommonJS-style typings, so TypeScript sees the class under
 * `.default` while Node's ESM loader hands over the class itself. Accept either.
 */
function resolveQuickChartClass(): QuickChartClass {
  const loaded: unknown = quickchartModule;
  return (typeof loaded === 'function' ? loaded : quickchartModule.default) as QuickChartClass;
}

/**
 * The spec held in a quickchart-js `QuickChart` (for callers that want its post data or a URL on
 * a self-hosted QuickChart). The host is only used if such a URL is asked for.
 */
export function toQuickChart(spec: ChartSpec, host?: string): QuickChart {
  const QuickChartCtor = resolveQuickChartClass();
  const chart = new QuickChartCtor()
    .setConfig(spec.config)
    .setWidth(spec.width)
    .setHeight(spec.height)
    .setBackgroundColor(spec.backgroundColor)
    .setVersion(CHART_JS_VERSION)
    .setFormat('png');
  if (host) {
    const url = new URL(host);
    chart.setScheme(url.protocol.replace(':', '')).setHost(url.host);
  }
  return chart;
}
