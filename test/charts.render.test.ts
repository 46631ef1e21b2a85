import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobalFonts, createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/shared/errors.js';
import { ChartRenderError } from '../src/charts/chart-errors.js';
import { createChartRenderer } from '../src/charts/chart-renderer.js';
import { writeChartPng } from '../src/charts/chart-file.js';
import type { ChartSpec } from '../src/charts/chart-spec.js';
import { COLOR, FONT_FAMILY } from '../src/charts/chart-style.js';
import { createInProcessRenderer } from '../src/charts/in-process.renderer.js';
import { createQuickChartRenderer } from '../src/charts/quickchart.renderer.js';
import { isPng, readPngSize } from '../src/charts/png-image.js';
import { buildSlaChart } from '../src/charts/sla-chart.js';
import { buildSurgeChart } from '../src/charts/surge-chart.js';
import { buildTypeTrendChart } from '../src/charts/type-trend-chart.js';
import { buildVolumeChart } from '../src/charts/volume-chart.js';

const days = Array.from({ length: 28 }, (_, index) => ({
  date: new Date(Date.UTC(2024, 9, 28) + index * 86_400_000).toISOString().slice(0, 10),
  count: 30 + ((index * 13) % 25),
}));

const surgeTypes = [
  { name: 'Road Repair', last7d: 42, usualWeekly: 53, surging: false },
  { name: 'Streetlight/Lamp', last7d: 92, usualWeekly: 48, surging: true },
  { name: 'Other', last7d: 44, usualWeekly: 46, surging: false },
];

/** RGBA pixels of a PNG, decoded with the same canvas library. */
async function decodePixels(png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: context.getImageData(0, 0, image.width, image.height).data };
}

/** Pixels within a row band that are clearly not white (ink). */
function countInk(pixels: { width: number; data: Uint8ClampedArray }, fromRow: number, toRow: number): number {
  let ink = 0;
  for (let row = fromRow; row < toRow; row++) {
    for (let col = 0; col < pixels.width; col++) {
      const offset = (row * pixels.width + col) * 4;
      if (pixels.data[offset] + pixels.data[offset + 1] + pixels.data[offset + 2] < 600) ink++;
    }
  }
  return ink;
}

/** Pixels of exactly one colour such as '#d62728'. */
function countColour(pixels: { data: Uint8ClampedArray }, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => Number.parseInt(hex.slice(start, start + 2), 16));
  let count = 0;
  for (let offset = 0; offset < pixels.data.length; offset += 4) {
    if (pixels.data[offset] === r && pixels.data[offset + 1] === g && pixels.data[offset + 2] === b) count++;
  }
  return count;
}

describe('in-process renderer', () => {
  const renderer = createInProcessRenderer();

  it('renders every chart kind to a PNG of the requested size', async () => {
    const specs: ChartSpec[] = [
      buildVolumeChart({ title: 'Volume', days, rolling7d: days.map((day) => day.count), usual: days.map(() => 40) }),
      buildSlaChart({
        title: 'SLA',
        slaHours: 72,
        types: [
          { name: 'Road Repair', attainment: 0.7, p90Hours: 100, tickets: 40 },
          { name: 'Noise', attainment: 0.9, p90Hours: 10, tickets: 12 },
        ],
      }),
      buildSurgeChart({ title: 'Surges', types: surgeTypes }),
      buildTypeTrendChart({ title: 'Trend', weeks: [{ weekStart: '2024-11-04', count: 5, attainment: 0.5 }] }),
    ];
    expect(renderer.kind).toBe('in-process');
    for (const spec of specs) {
      const png = await renderer.render(spec);
      expect(isPng(png)).toBe(true);
      expect(readPngSize(png)).toEqual({ width: spec.width, height: spec.height });
    }
  });

  it('paints a white background, not transparency', async () => {
    const png = await renderer.render(buildVolumeChart({ title: 'Volume', days }));
    const pixels = await decodePixels(png);
    expect(Array.from(pixels.data.slice(0, 4))).toEqual([255, 255, 255, 255]);
  });

  it('actually draws title text with the bundled font', async () => {
    expect(GlobalFonts.has(FONT_FAMILY)).toBe(true);
    const withTitle = await decodePixels(await renderer.render(buildVolumeChart({ title: 'Daily 311 requests', days })));
    const withoutTitle = await decodePixels(await renderer.render(buildVolumeChart({ title: '', days })));
    // The title sits in the top ~28 px; the subtitle below it is present in both.
    const titleInk = countInk(withTitle, 0, 28);
    expect(titleInk).toBeGreaterThan(300);
    expect(countInk(withoutTitle, 0, 28)).toBeLessThan(titleInk / 4);
  });

  it('shows the surging highlight colour only when a type surges', async () => {
    const surging = await decodePixels(await renderer.render(buildSurgeChart({ title: 'Surges', types: surgeTypes })));
    const calm = await decodePixels(
      await renderer.render(buildSurgeChart({ title: 'Surges', types: surgeTypes.map((type) => ({ ...type, surging: false })) })),
    );
    expect(countColour(surging, COLOR.surging)).toBeGreaterThan(1000);
    expect(countColour(calm, COLOR.surging)).toBeLessThan(countColour(surging, COLOR.surging) / 10);
  });

  it('leaves the spec untouched so it can be rendered again', async () => {
    const spec = buildSurgeChart({ title: 'Surges', types: surgeTypes });
    const before = JSON.stringify(spec.config);
    const first = await renderer.render(spec);
    expect(JSON.stringify(spec.config)).toBe(before);
    const second = await renderer.render(spec);
    expect(second.equals(first)).toBe(true);
  });

  it('writes the PNG to a file for the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'civicops-charts-'));
    try {
      const spec = buildTypeTrendChart({ title: 'Trend', weeks: [{ weekStart: '2024-11-04', count: 5, attainment: 0.5 }] });
      const written = await writeChartPng(renderer, spec, join(dir, 'nested', 'trend.png'));
      const bytes = await readFile(written.path);
      expect(written.bytes).toBe(bytes.length);
      expect(readPngSize(bytes)).toEqual({ width: spec.width, height: spec.height });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

interface FakeReply {
  status: number;
  contentType: string;
  body: Buffer;
  /** A QuickChart server names a render failure in this header (and draws it into the image). */
  quickchartError?: string;
}

describe('QuickChart renderer against a loopback server', () => {
  let server: Server;
  let host: string;
  let reply: FakeReply;
  const received: { url?: string; method?: string; contentType?: string; body: unknown }[] = [];
  let tinyPng: Buffer;

  async function readJson(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }

  beforeAll(async () => {
    tinyPng = await createCanvas(3, 2).encode('png');
    server = createServer((request, response) => {
      readJson(request)
        .then((body) => {
          received.push({ url: request.url, method: request.method, contentType: request.headers['content-type'], body });
          response.writeHead(reply.status, {
            'content-type': reply.contentType,
            ...(reply.quickchartError ? { 'x-quickchart-error': reply.quickchartError } : {}),
          });
          response.end(reply.body);
        })
        .catch((error: unknown) => {
          response.writeHead(400);
          response.end(String(error));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  const spec = buildSurgeChart({ title: 'Surges', types: surgeTypes });

  it('POSTs the Chart.js 4 config at the spec size and returns the PNG bytes', async () => {
    reply = { status: 200, contentType: 'image/png', body: tinyPng };
    received.length = 0;
    const renderer = createQuickChartRenderer({ host: `${host}/` });
    expect(renderer.kind).toBe('quickchart');
    const png = await renderer.render(spec);
    expect(png.equals(tinyPng)).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ url: '/chart', method: 'POST', contentType: 'application/json' });
    // quickchart-js sends the chart config as text (QuickChart parses strings and objects alike).
    const body = received[0].body as Record<string, unknown>;
    expect(typeof body.chart).toBe('string');
    expect({ ...body, chart: JSON.parse(body.chart as string) }).toEqual({
      chart: JSON.parse(JSON.stringify(spec.config)),
      width: spec.width,
      height: spec.height,
      backgroundColor: 'white',
      format: 'png',
      version: '4',
      devicePixelRatio: 1,
    });
  });

  it('keeps a path prefix of the host', async () => {
    reply = { status: 200, contentType: 'image/png', body: tinyPng };
    received.length = 0;
    await createQuickChartRenderer({ host: `${host}/quickchart` }).render(spec);
    expect(received[0].url).toBe('/quickchart/chart');
  });

  it('fails with a typed error carrying the status on a non-200 answer', async () => {
    reply = {
      status: 500,
      contentType: 'text/plain',
      body: Buffer.from('Chart error: bad config'),
      quickchartError: 'Chart error: bad config',
    };
    const error = await createQuickChartRenderer({ host })
      .render(spec)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChartRenderError);
    expect(error).toMatchObject({ code: 'CHART_RENDER_FAILED', failure: 'http-status', status: 500 });
    expect((error as Error).message).toContain('Chart error: bad config');
  });

  it('fails with a typed error when a 200 answer is not a PNG', async () => {
    reply = { status: 200, contentType: 'text/html', body: Buffer.from('<html>captive portal</html>') };
    const error = await createQuickChartRenderer({ host })
      .render(spec)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ failure: 'not-png', status: 200 });
    expect((error as Error).message).toContain('text/html');
  });

  it('fails with a typed network error when the server does not answer in time', async () => {
    const silent = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const error = await createQuickChartRenderer({ host: `http://127.0.0.1:${port}`, timeoutMs: 200 })
        .render(spec)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ChartRenderError);
      expect(error).toMatchObject({ failure: 'network' });
      expect((error as Error).message).toContain('200 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('fails with a typed network error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await createQuickChartRenderer({ host: `http://127.0.0.1:${port}` })
      .render(spec)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChartRenderError);
    expect(error).toMatchObject({ failure: 'network' });
  });
});

describe('createChartRenderer', () => {
  it('renders in-process when no chart host is configured', () => {
    expect(createChartRenderer({}).kind).toBe('in-process');
    expect(createChartRenderer().kind).toBe('in-process');
  });

  it('uses QuickChart only when a host is set, public quickchart.io included', () => {
    expect(createChartRenderer({ chartHost: 'http://charts.city.internal:3400' }).kind).toBe('quickchart');
    expect(createChartRenderer({ chartHost: 'https://quickchart.io' }).kind).toBe('quickchart');
  });

  it('rejects a chart host that is not an http(s) URL', () => {
    expect(() => createChartRenderer({ chartHost: 'charts.city.internal' })).toThrow(ConfigError);
    expect(() => createChartRenderer({ chartHost: 'ftp://charts.city.internal' })).toThrow(ConfigError);
  });
});
