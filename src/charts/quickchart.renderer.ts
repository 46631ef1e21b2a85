import { request } from 'undici';
import { ConfigError, asError } from '../shared/errors.js';
import type { ChartRenderer } from './chart-renderer.js';
import { ChartRenderError } from './chart-errors.js';
import { CHART_JS_VERSION, type ChartSpec } from './chart-spec.js';
import { isPng } from './png-image.js';

const DEFAULT_TIMEOUT_MS = 15_000;

/** The JSON body QuickChart's POST /chart expects. */
export interface QuickChartRequestBody {
  chart: ChartSpec['config'];
  width: number;
  height: number;
  backgroundColor: string;
  format: 'png';
  version: string;
  devicePixelRatio: number;
}

/** The POST /chart body for a spec: Chart.js 4 and pixel ratio 1, so the PNG matches in-process output. */
export function buildQuickChartRequest(spec: ChartSpec): QuickChartRequestBody {
  return {
    chart: spec.config,
    width: spec.width,
    height: spec.height,
    backgroundColor: spec.backgroundColor,
    format: 'png',
    // QuickChart would otherwise render with Chart.js 2 and at 2x pixel ratio.
    version: CHART_JS_VERSION,
    devicePixelRatio: 1,
  };
}

/**
 * Renders on a QuickChart server (self-hosted, or quickchart.io when configured explicitly)
 * by POSTing the spec to `${host}/chart`. Non-200 answers and non-PNG bodies are ChartRenderErrors.
 */
export function createQuickChartRenderer(options: { host: string; timeoutMs?: number }): ChartRenderer {
  const endpoint = buildEndpoint(options.host);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'quickchart',
    async render(spec: ChartSpec): Promise<Buffer> {
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'image/png' },
          body: JSON.stringify(buildQuickChartRequest(spec)),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (error) {
        throw new ChartRenderError(`QuickChart at ${endpoint} could not be reached: ${asError(error).message}`, {
          failure: 'network',
          url: endpoint,
          cause: error,
        });
      }
      const body = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== 200) {
        throw new ChartRenderError(
          `QuickChart at ${endpoint} answered HTTP ${response.statusCode} for the ${spec.kind} chart: ${excerpt(body)}`,
          { failure: 'http-status', status: response.statusCode, url: endpoint },
        );
      }
      if (!isPng(body)) {
        const type = response.headers['content-type'] ?? 'no content type';
        throw new ChartRenderError(
          `QuickChart at ${endpoint} returned ${String(type)} instead of a PNG for the ${spec.kind} chart: ${excerpt(body)}`,
          { failure: 'not-png', status: response.statusCode, url: endpoint },
        );
      }
      return body;
    },
  };
}

function buildEndpoint(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new ConfigError(`CHART_HOST must be a URL such as https://charts.example.org, got "${host}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`CHART_HOST must use http or https, got "${host}".`);
  }
  return `${url.href.replace(/\/+$/, '')}/chart`;
}

/** First bytes of an error body as text, for the error message. */
function excerpt(body: Buffer): string {
  const text = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? '(empty body)' : text;
}
