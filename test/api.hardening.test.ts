/**
 * The HTTP server against clients that misbehave: a body that never ends, headers sent one line at
 * a time, sockets that never send anything, more connections than allowed; and bodies of the
 * wrong type or with values no city could have. Timeouts are small in the config here; the bounds
 * the tests wait for are generous, so a loaded machine does not make them flaky.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../src/api/api-server.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';

const EXAMPLE = { request_type: 'Road Repair', status: 'Open', rolling_7d_volume: 12, backlog_at_creation: 40 };
/** How long a test waits for the server to cut a client whose timeout is 1–2 s. */
const CUT_BOUND_MS = 15_000;

const logger = createLogger({ level: 'silent' });

interface Running {
  api: ApiServer;
  port: number;
  base: string;
}

async function start(config: AppConfig, warehouse: TestWarehouse, scorer: Scorer): Promise<Running> {
  const api = createApiServer({ config, logger, warehouse, scorer });
  const { port } = await api.listen(0, '127.0.0.1');
  return { api, port, base: `http://127.0.0.1:${port}` };
}

/** A raw TCP client; resolves once connected. Errors (a reset when the server cuts it) are expected. */
async function openSocket(port: number): Promise<Socket & { whenClosed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const openedAt = Date.now();
  const whenClosed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - openedAt)));
  await once(socket, 'connect');
  return Object.assign(socket, { whenClosed });
}

/** Resolves with the ms until `closed` settles, or rejects when it takes longer than `boundMs`. */
async function closedWithin(closed: Promise<number>, boundMs: number, what: string): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was still open after ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes `text` every `everyMs` until the socket closes: a client that is slow but never silent. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(text);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

async function scoreOnce(base: string): Promise<number> {
  const response = await fetch(`${base}/score_ticket`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(EXAMPLE),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('HTTP server hardening', () => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let strict: Running;

  beforeAll(async () => {
    const config = loadConfig({});
    warehouse = await createTestWarehouse('pglite');
    const rows = await readSodaSnapshot(bundledSnapshotPath);
    await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, rows, { source: 'file:bundled-snapshot' });
    await trainAndRegister({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone });
    scorer = await createScorer({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone, risk: config.risk });
    strict = await start(
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' }),
      warehouse,
      scorer,
    );
  }, 120_000);
  afterAll(async () => {
    await strict?.api.close();
    await warehouse?.dispose();
  });

  describe('timeouts and the connection cap', () => {
    it('cuts a chunked body that never ends, while scoring goes on', async () => {
      const socket = await openSocket(strict.port);
      socket.write(
        'POST /score_ticket HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n',
      );
      trickle(socket, '1\r\n \r\n', 200);
      const scored = await Promise.all([scoreOnce(strict.base), scoreOnce(strict.base), scoreOnce(strict.base)]);
      expect(scored).toEqual([200, 200, 200]);
      await closedWithin(socket.whenClosed, CUT_BOUND_MS, 'the never-ending body');
      expect(await scoreOnce(strict.base)).toBe(200);
    });

    it('cuts a client that sends its headers one line at a time (slowloris)', async () => {
      const socket = await openSocket(strict.port);
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      trickle(socket, 'X-Slow: 1\r\n', 200);
      expect(await scoreOnce(strict.base)).toBe(200);
      await closedWithin(socket.whenClosed, CUT_BOUND_MS, 'the slowloris client');
    });

    it('closes 200 sockets that never send a byte, and keep-alive sockets left idle', async () => {
      const idle = await Promise.all(Array.from({ length: 200 }, () => openSocket(strict.port)));
      const keptAlive = await openSocket(strict.port);
      const body = JSON.stringify(EXAMPLE);
      keptAlive.write(
        `POST /score_ticket HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      const [firstBytes] = (await once(keptAlive, 'data')) as [Buffer];
      expect(firstBytes.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
      expect(await scoreOnce(strict.base)).toBe(200);
      await closedWithin(
        Promise.all(idle.map((socket) => socket.whenClosed)).then((times) => Math.max(...times)),
        CUT_BOUND_MS,
        'an idle socket',
      );
      await closedWithin(keptAlive.whenClosed, CUT_BOUND_MS, 'the idle keep-alive socket');
    });

    it('closes connections beyond HTTP_MAX_CONNECTIONS as they arrive, and serves again once below it', async () => {
      const capped = await start(loadConfig({ HTTP_MAX_CONNECTIONS: '3' }), warehouse, scorer);
      try {
        const held = await Promise.all([openSocket(capped.port), openSocket(capped.port), openSocket(capped.port)]);
        // The server has seen all three before the fourth arrives.
        for (let waited = 0; (await countConnections(capped.api)) < 3 && waited < CUT_BOUND_MS; waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const extra = await openSocket(capped.port);
        await closedWithin(extra.whenClosed, CUT_BOUND_MS, 'the connection over the cap');
        expect(held.every((socket) => !socket.destroyed)).toBe(true);
        for (const socket of held) socket.destroy();
        await Promise.all(held.map((socket) => socket.whenClosed));
        for (let waited = 0; (await countConnections(capped.api)) > 0 && waited < CUT_BOUND_MS; waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(await scoreOnce(capped.base)).toBe(200);
      } finally {
        await capped.api.close();
      }
    });

    it('uses defaults of 10 s for headers, 30 s per request, 5 s keep-alive and 1,000 connections', () => {
      const { server } = createApiServer({ config: loadConfig({}), logger, warehouse, scorer });
      expect(server.headersTimeout).toBe(10_000);
      expect(server.requestTimeout).toBe(30_000);
      expect(server.keepAliveTimeout).toBe(5_000);
      expect(server.maxConnections).toBe(1_000);
    });

    it('refuses a headers timeout longer than the request timeout at start-up', () => {
      expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    });
  });

  describe('content type and bounds of the scoring bodies', () => {
    const post = async (path: string, body: string, headers: Record<string, string>) => {
      const response = await fetch(`${strict.base}${path}`, { method: 'POST', headers, body });
      return {
        status: response.status,
        json: (await response.json()) as { error?: { code: string; message: string; fields?: { path: string }[] } },
      };
    };

    it.each(['/score_ticket', '/score_tickets'])('answers %s sent as text/plain or without a content type with 415', async (path) => {
      const body = path === '/score_ticket' ? JSON.stringify(EXAMPLE) : JSON.stringify({ tickets: [EXAMPLE] });
      const plain = await post(path, body, { 'content-type': 'text/plain' });
      expect(plain.status).toBe(415);
      expect(plain.json.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(plain.json.error?.message).toContain('application/json');
      // fetch labels a string body text/plain; a Blob without a type sends no content type at all.
      const untyped = await fetch(`${strict.base}${path}`, { method: 'POST', body: new Blob([body]) });
      expect(untyped.status).toBe(415);
      expect(((await untyped.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      // JSON with a charset, or in any case, is still JSON.
      expect((await post(path, body, { 'content-type': 'Application/JSON; charset=utf-8' })).status).toBe(200);
    });

    it.each([
      ['backlog_at_creation', { backlog_at_creation: 1e308 }],
      ['rolling_7d_volume', { rolling_7d_volume: 5_000_000 }],
      ['created_at', { created_at: '0001-01-01T00:00:00Z' }],
      ['created_at', { created_at: '9999-12-31T23:59:59Z' }],
      ['created_at', { created_at: '1999-12-31T12:00:00' }],
    ])('answers a %s no city could have with 422 naming the field', async (field, values) => {
      const reply = await post('/score_ticket', JSON.stringify({ ...EXAMPLE, ...values }), { 'content-type': 'application/json' });
      expect(reply.status).toBe(422);
      expect(reply.json.error?.fields?.map((entry) => entry.path)).toEqual([field]);
      const batch = await post('/score_tickets', JSON.stringify({ tickets: [EXAMPLE, { ...EXAMPLE, ...values }] }), {
        'content-type': 'application/json',
      });
      expect(batch.status).toBe(422);
      expect(batch.json.error?.fields?.map((entry) => entry.path)).toEqual([`tickets.1.${field}`]);
    });

    it('still scores tickets dated from 2000 to tomorrow, with large but real counts', async () => {
      const tomorrow = new Date(Date.now() + 12 * 3_600_000).toISOString();
      for (const values of [
        { created_at: '2000-01-01T05:00:00Z', backlog_at_creation: 1_000_000 },
        { created_at: tomorrow, rolling_7d_volume: 1_000_000 },
      ]) {
        const reply = await post('/score_ticket', JSON.stringify({ ...EXAMPLE, ...values }), { 'content-type': 'application/json' });
        expect(reply.status).toBe(200);
      }
    });

    it('documents the bounds and the 415 in /openapi.json', async () => {
      const document = (await (await fetch(`${strict.base}/openapi.json`)).json()) as {
        paths: Record<string, { post: { responses: Record<string, unknown> } }>;
        components: { schemas: { ScoreTicketRequest: { properties: Record<string, { maximum?: number; description?: string }> } } };
      };
      const properties = document.components.schemas.ScoreTicketRequest.properties;
      expect(properties.backlog_at_creation?.maximum).toBe(1_000_000);
      expect(properties.rolling_7d_volume?.maximum).toBe(1_000_000);
      expect(properties.created_at?.description).toContain('2000-01-01');
      expect(document.paths['/score_ticket']?.post.responses['415']).toBeDefined();
      expect(document.paths['/score_tickets']?.post.responses['415']).toBeDefined();
    });
  });
});

function countConnections(api: ApiServer): Promise<number> {
  return new Promise((resolve, reject) => api.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}
