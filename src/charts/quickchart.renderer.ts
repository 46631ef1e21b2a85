import { ConfigError, asError } from '../shared/errors.js';
import type { ChartRenderer } from './chart-renderer.js';
import { ChartRenderError } from './chart-errors.js';
import { type ChartSpec, toQuickChart } from './chart-spec.js';
import { isPng } from './png-image.js';

const DEFAULT_TIMEOUT_MS = 15_000;

/** How quickchart-js's toBinary() words a non-2xx answer; the X-quickchart-error header follows on the next line. */
const STATUS_FAILURE = /^Chart creation failed with status code (\d+)\n?([\s\S]*)$/;

interface QuickChartHost {
  scheme: 'http' | 'https';
  /** host[:port][/path prefix], as quickchart-js's setHost takes it. */
  host: string;
  /** `${scheme}://${host}/chart`, for messages. */
  endpoint: string;
}

/**
 * Renders on a QuickChart server (self-hosted, or quickchart.io when configured explicitly)
 * through quickchart-js's own client: `toBinary()` POSTs {chart, width, height, format,
 * version, backgroundColor, devicePixelRatio} to `${host}/chart`. Non-2xx answers, unreachable
 * hosts, timeouts and non-PNG bodies are ChartRenderErrors.
 */
export function createQuickChartRenderer(options: { host: string; timeoutMs?: number }): ChartRenderer {
  const target = parseHost(options.host);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'quickchart',
    async render(spec: ChartSpec): Promise<Buffer> {
      const chart = toQuickChart(spec)
        // The spec is plain JSON (chart-spec.ts); sent as JSON text it reaches the server exactly
        // as the in-process renderer draws it, instead of as javascript-stringify's JS literal.
        .setConfig(JSON.stringify(spec.config))
        .setScheme(target.scheme)
        .setHost(target.host)
        // A QuickChart server renders at 2x unless told; 1 gives the spec's size, as in-process.
        .setDevicePixelRatio(1);
      let body: Buffer;
      try {
        body = await withTimeout(chart.toBinary(), timeoutMs);
      } catch (error) {
        throw toRenderError(error, spec, target.endpoint, timeoutMs);
      }
      if (!isPng(body)) {
        // quickchart-js hands over the bytes only, not the headers, so the type is read from the bytes.
        throw new ChartRenderError(
          `QuickChart at ${target.endpoint} returned ${sniffType(body)} instead of a PNG for the ${spec.kind} chart: ${excerpt(body)}`,
          { failure: 'not-png', status: 200, url: target.endpoint },
        );
      }
      return body;
    },
  };
}

function parseHost(host: string): QuickChartHost {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new ConfigError(`CHART_HOST must be a URL such as https://charts.example.org, got "${host}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`CHART_HOST must use http or https, got "${host}".`);
  }
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  // A path prefix (a QuickChart behind a reverse proxy at /quickchart) stays part of the host.
  const hostWithPath = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return { scheme, host: hostWithPath, endpoint: `${scheme}://${hostWithPath}/chart` };
}

class RenderTimeout extends Error {}

/**
 * quickchart-js takes no abort signal, so a hung server is cut off here; the request itself is
 * left to end (or fail) on its own, its result ignored.
 */
function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RenderTimeout()), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function toRenderError(error: unknown, spec: ChartSpec, endpoint: string, timeoutMs: number): ChartRenderError {
  if (error instanceof RenderTimeout) {
    return new ChartRenderError(`QuickChart at ${endpoint} did not answer within ${timeoutMs} ms.`, { failure: 'network', url: endpoint });
  }
  const cause = asError(error);
  const status = STATUS_FAILURE.exec(cause.message);
  if (status) {
    const detail = status[2].replace(/\s+/g, ' ').trim();
    return new ChartRenderError(
      `QuickChart at ${endpoint} answered HTTP ${status[1]} for the ${spec.kind} chart: ${detail === '' ? '(no X-quickchart-error header)' : detail}`,
      { failure: 'http-status', status: Number(status[1]), url: endpoint },
    );
  }
  // node-fetch's FetchError (refused, DNS, reset) and anything else on the way there.
  return new ChartRenderError(`QuickChart at ${endpoint} could not be reached: ${cause.message}`, {
    failure: 'network',
    url: endpoint,
    cause: error,
  });
}

/** A guess at what a non-PNG body is (a captive portal's HTML, an SVG, a JSON error…), for the message. */
function sniffType(body: Buffer): string {
  const head = body.subarray(0, 256).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'text/html';
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'image/svg+xml';
  if (head.startsWith('{') || head.startsWith('[')) return 'application/json';
  if (body.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (body.subarray(0, 4).toString('latin1') === '%PDF') return 'application/pdf';
  return body.length === 0 ? 'an empty body' : 'bytes of an unknown type';
}

/** First bytes of a body as text, for the error message. */
function excerpt(body: Buffer): string {
  const text = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? '(empty body)' : text;
}
