import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { createApiServer, type ApiServer } from '../src/api/api-server.js';
import { MAX_BATCH_TICKETS, scoreTicketRequestSchema } from '../src/api/score-ticket.schema.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { ModelNotTrainedError } from '../src/shared/errors.js';
import { createLogger, type Logger } from '../src/shared/logger.js';
import { openPostgres, type Warehouse } from '../src/warehouse/database.js';
import type { LogEntry, OpenApiDocumentView, ScoringReply } from './helpers/api-replies.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const API_KEY = 'test-api-key-5f1c9e';
const SLACK_SIGNATURE = 'v0=deadbeefcafe0123456789';
const EXAMPLE = { request_type: 'Road Repair', status: 'Open', rolling_7d_volume: 12, backlog_at_creation: 40 };

interface CapturedLog {
  logger: Logger;
  lines: string[];
}

function captureLog(): CapturedLog {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }) };
}

interface Running {
  api: ApiServer;
  base: string;
}

async function start(deps: Parameters<typeof createApiServer>[0]): Promise<Running> {
  const api = createApiServer(deps);
  const { port } = await api.listen(0, '127.0.0.1');
  return { api, base: `http://127.0.0.1:${port}` };
}

async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as ScoringReply };
}

/** A warehouse holding the 5,000 bundled real rows and a trained, promoted model. */
async function trainOn(warehouse: TestWarehouse, config: AppConfig, logger: Logger): Promise<Scorer> {
  const rows = await readSodaSnapshot(bundledSnapshotPath);
  await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, rows, { source: 'file:bundled-snapshot' });
  await trainAndRegister({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone });
  return createScorer({ db: warehouse.db, logger, slaHours: config.slaHours, timeZone: config.cityTimeZone, risk: config.risk });
}

describe.each(engines)('HTTP scoring API on $name', ({ name }) => {
  const config = loadConfig({});
  const keyedConfig = loadConfig({ API_KEY });
  const quiet = createLogger({ level: 'silent' });
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let log: CapturedLog;
  let open: Running;
  let keyed: Running;
  const slackBodies: string[] = [];

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    scorer = await trainOn(warehouse, config, quiet);
    log = captureLog();
    open = await start({ config, logger: log.logger, warehouse, scorer });
    keyed = await start({
      config: keyedConfig,
      logger: log.logger,
      warehouse,
      scorer,
      // Stands in for the Slack app: reads the raw body itself and echoes it, proving it arrives untouched.
      slackHandler: (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          slackBodies.push(raw);
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(raw);
        });
      },
    });
  });

  afterAll(async () => {
    await open?.api.close();
    await keyed?.api.close();
    await warehouse?.dispose();
  });

  it("scores the seed README's example request", async () => {
    const { status, json } = await postJson(open.base, '/score_ticket', EXAMPLE);
    expect(status).toBe(200);
    expect(json.request_type).toBe('Road Repair');
    expect(json.sla_breach_probability).toBeGreaterThanOrEqual(0);
    expect(json.sla_breach_probability).toBeLessThanOrEqual(1);
    expect(['Low', 'Medium', 'High']).toContain(json.risk_level);
    expect(json.top_factors.length).toBeGreaterThan(0);
    for (const factor of json.top_factors) expect(factor).toMatch(/\w+ \w+/);
    expect(json.model_version).toBe(scorer.currentModelVersion());
    expect(json.sla_hours).toBeGreaterThan(0);
    expect(Object.keys(json).sort()).toEqual(
      [
        'model_version',
        'request_type',
        'risk_level',
        'sla_breach_probability',
        'sla_hours',
        'ticket_id',
        'top_factors',
        'scored_at',
        'created_at_assumed',
        'note',
      ].sort(),
    );
    expect(typeof json.ticket_id).toBe('string');
    expect(json.ticket_id.length).toBeGreaterThan(0);
  });

  it('answers exactly what the scorer computes for the same ticket, overrides included', async () => {
    const { json } = await postJson(open.base, '/score_ticket', EXAMPLE);
    const direct = await scorer.scoreTicket({ requestType: 'Road Repair', overrides: { rolling7dVolume: 12, backlogAtCreation: 40 } });
    expect(json.sla_breach_probability).toBeCloseTo(direct.slaBreachProbability, 12);
    expect(json.risk_level).toBe(direct.riskLevel);
    expect(json.sla_hours).toBe(direct.slaHours);
    expect(json.top_factors).toEqual(direct.topFactors);
  });

  it("echoes the caller's ticket_id and generates distinct ids otherwise", async () => {
    const mine = await postJson(open.base, '/score_ticket', { ...EXAMPLE, ticket_id: 'CRM-4711' });
    expect(mine.json.ticket_id).toBe('CRM-4711');
    const first = await postJson(open.base, '/score_ticket', EXAMPLE);
    const second = await postJson(open.base, '/score_ticket', EXAMPLE);
    expect(first.json.ticket_id).not.toBe(second.json.ticket_id);
  });

  it('ignores status, as documented', async () => {
    const opened = await postJson(open.base, '/score_ticket', { ...EXAMPLE, status: 'Open' });
    const closed = await postJson(open.base, '/score_ticket', { ...EXAMPLE, status: 'Closed' });
    expect(closed.json.sla_breach_probability).toBe(opened.json.sla_breach_probability);
  });

  it('scores the richer body, computing context from the warehouse as of created_at (local or with offset)', async () => {
    const rich = {
      request_type: 'road repair',
      created_at: '2019-06-04T10:15:00',
      latitude: 29.6516,
      longitude: -82.3248,
      commission_district: '1',
      police_sector: '2',
      description: 'Large pothole on NW 2nd Ave just after NW 10th.',
    };
    const local = await postJson(open.base, '/score_ticket', rich);
    expect(local.status).toBe(200);
    expect(local.json.request_type).toBe('Road Repair');
    // 10:15 in June is EDT (UTC-4): the same instant written with an offset scores the same.
    const offset = await postJson(open.base, '/score_ticket', { ...rich, created_at: '2019-06-04T14:15:00Z' });
    expect(offset.json.sla_breach_probability).toBe(local.json.sla_breach_probability);
    const direct = await scorer.scoreTicket({
      requestType: 'road repair',
      createdAt: new Date('2019-06-04T14:15:00Z'),
      latitude: rich.latitude,
      longitude: rich.longitude,
      commissionDistrict: '1',
      policeSector: '2',
      description: rich.description,
    });
    expect(local.json.sla_breach_probability).toBeCloseTo(direct.slaBreachProbability, 12);
  });

  it('scores a batch in request order, each as the single endpoint would', async () => {
    const tickets = [
      { ...EXAMPLE, ticket_id: 'a' },
      { request_type: 'Streetlight/Lamp', ticket_id: 'b', backlog_at_creation: 3 },
      { request_type: 'General Code Issue', ticket_id: 'c', created_at: '2020-01-15T09:00:00-05:00' },
    ];
    const { status, json } = await postJson(open.base, '/score_tickets', { tickets });
    expect(status).toBe(200);
    expect(json.count).toBe(3);
    expect(json.model_version).toBe(scorer.currentModelVersion());
    expect(json.results.map((result: { ticket_id: string }) => result.ticket_id)).toEqual(['a', 'b', 'c']);
    for (const [index, ticket] of tickets.entries()) {
      const single = await postJson(open.base, '/score_ticket', ticket);
      expect(json.results[index].sla_breach_probability).toBeCloseTo(single.json.sla_breach_probability, 12);
      expect(json.results[index].request_type).toBe(single.json.request_type);
    }
  });

  it(`accepts a batch of ${MAX_BATCH_TICKETS} and rejects ${MAX_BATCH_TICKETS + 1} or none with 422`, async () => {
    const full = await postJson(open.base, '/score_tickets', { tickets: Array.from({ length: MAX_BATCH_TICKETS }, () => EXAMPLE) });
    expect(full.status).toBe(200);
    expect(full.json.results).toHaveLength(MAX_BATCH_TICKETS);
    const over = await postJson(open.base, '/score_tickets', { tickets: Array.from({ length: MAX_BATCH_TICKETS + 1 }, () => EXAMPLE) });
    expect(over.status).toBe(422);
    expect(over.json.error.fields.map((field: { path: string }) => field.path)).toEqual(['tickets']);
    const empty = await postJson(open.base, '/score_tickets', { tickets: [] });
    expect(empty.status).toBe(422);
  });

  it('answers 400 to a body that is not JSON, or no body at all', async () => {
    const broken = await postJson(open.base, '/score_ticket', '{"request_type": "Road Repair",');
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('MALFORMED_JSON');
    const empty = await postJson(open.base, '/score_ticket', '');
    expect(empty.status).toBe(400);
  });

  it('answers 422 naming every bad field', async () => {
    const { status, json } = await postJson(open.base, '/score_ticket', {
      request_type: '',
      rolling_7d_volume: -1,
      backlog_at_creation: 'forty',
      latitude: 200,
      created_at: 'yesterday',
      priority: 'urgent',
    });
    expect(status).toBe(422);
    expect(json.error.code).toBe('INPUT_INVALID');
    const paths = json.error.fields.map((field: { path: string }) => field.path).sort();
    expect(paths).toEqual(['backlog_at_creation', 'created_at', 'latitude', 'priority', 'request_type', 'rolling_7d_volume']);
    const missing = await postJson(open.base, '/score_ticket', { status: 'Open' });
    expect(missing.json.error.fields.map((field: { path: string }) => field.path)).toEqual(['request_type']);
    const batch = await postJson(open.base, '/score_tickets', { tickets: [EXAMPLE, { request_type: 7 }] });
    expect(batch.status).toBe(422);
    expect(batch.json.error.fields.map((field: { path: string }) => field.path)).toEqual(['tickets.1.request_type']);
  });

  it('answers 422 with the closest known types to an unknown request type', async () => {
    // "Trash" could be either trash type, so the server must ask instead of guessing.
    const { status, json } = await postJson(open.base, '/score_ticket', { ...EXAMPLE, request_type: 'Trash' });
    expect(status).toBe(422);
    expect(json.error.code).toBe('UNKNOWN_REQUEST_TYPE');
    expect(json.error.suggestions).toEqual(expect.arrayContaining(['Trash/Debris (Private Property)', 'Trash/Debris (Public Property)']));
    expect(json.error.message).toContain('Trash');
    const batch = await postJson(open.base, '/score_tickets', { tickets: [EXAMPLE, { request_type: 'Trash' }] });
    expect(batch.status).toBe(422);
    expect(batch.json.error.code).toBe('UNKNOWN_REQUEST_TYPE');
  });

  it('answers 413 to a body over the limit', async () => {
    const { status, json, headers } = await postJson(open.base, '/score_ticket', { ...EXAMPLE, description: 'x'.repeat(1_200_000) });
    expect(status).toBe(413);
    expect(json.error.code).toBe('BODY_TOO_LARGE');
    expect(headers.get('connection')).toBe('close');
  });

  it('answers 404 to an unknown path and 405 with Allow to a wrong method', async () => {
    const missing = await fetch(`${open.base}/score`);
    expect(missing.status).toBe(404);
    const wrong = await fetch(`${open.base}/score_ticket`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    // Without a Slack handler the Slack path does not exist.
    expect((await fetch(`${open.base}/slack/events`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('requires a matching X-API-Key on scoring when API_KEY is set, leaving probes and docs open', async () => {
    expect((await postJson(keyed.base, '/score_ticket', EXAMPLE)).status).toBe(401);
    const wrong = await postJson(keyed.base, '/score_ticket', EXAMPLE, { 'x-api-key': `${API_KEY}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('UNAUTHORIZED');
    expect((await postJson(keyed.base, '/score_tickets', { tickets: [EXAMPLE] })).status).toBe(401);
    expect((await postJson(keyed.base, '/score_ticket', EXAMPLE, { 'x-api-key': API_KEY })).status).toBe(200);
    expect((await fetch(`${keyed.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${keyed.base}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${keyed.base}/docs`)).status).toBe(200);
  });

  it('passes Slack requests through untouched, without the API key', async () => {
    const raw = 'payload=%7B%22type%22%3A%22block_actions%22%7D&token=abc';
    const response = await fetch(`${keyed.base}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': SLACK_SIGNATURE,
        'x-slack-request-timestamp': '1700000000',
      },
      body: raw,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(raw);
    expect(slackBodies).toContain(raw);
    expect((await fetch(`${keyed.base}/slack/events`)).status).toBe(405);
  });

  it('writes one access log line per request and never logs the API key or Slack signature', async () => {
    const before = log.lines.length;
    await postJson(keyed.base, '/score_ticket', EXAMPLE, { 'x-api-key': API_KEY });
    await fetch(`${keyed.base}/slack/events`, { method: 'POST', headers: { 'x-slack-signature': SLACK_SIGNATURE }, body: 'a=1' });
    // The access line is written when the response closes, just after the client has the reply.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = log.lines.slice(before).map((line) => JSON.parse(line) as LogEntry);
    const access = entries.filter((entry) => entry.msg === 'http request');
    expect(access.map((entry) => [entry.method, entry.path, entry.status])).toEqual([
      ['POST', '/score_ticket', 200],
      ['POST', '/slack/events', 200],
    ]);
    for (const entry of access) expect(typeof entry.ms).toBe('number');
    expect(access[0].req.headers['x-api-key']).toBe('[redacted]');
    expect(access[1].req.headers['x-slack-signature']).toBe('[redacted]');
    const everything = log.lines.join('\n');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(SLACK_SIGNATURE);
  });

  it('keeps the API key, a bearer token and the Slack signature out of the access log even with a logger that redacts nothing', async () => {
    const lines: string[] = [];
    // A bare pino logger, without the shared redaction paths: only the server itself can keep the secrets out.
    const bare = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const wrongKey = 'wrong-key-7d1e2a';
    const bearer = 'Bearer token-93c0aa';
    const running = await start({ config: keyedConfig, logger: bare, warehouse, scorer, slackHandler: (_req, res) => res.end('ok') });
    try {
      const secrets = { 'x-api-key': API_KEY, authorization: bearer, 'x-slack-signature': SLACK_SIGNATURE };
      expect((await postJson(running.base, '/score_ticket', EXAMPLE, secrets)).status).toBe(200);
      expect((await postJson(running.base, '/score_ticket', EXAMPLE, { 'x-api-key': wrongKey })).status).toBe(401);
      expect((await fetch(`${running.base}/slack/events`, { method: 'POST', headers: secrets, body: 'a=1' })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await running.api.close();
    }
    const access = lines.map((line) => JSON.parse(line) as LogEntry).filter((entry) => entry.msg === 'http request');
    expect(access.map((entry) => entry.status)).toEqual([200, 401, 200]);
    expect(access[0].req.headers).toMatchObject({
      'content-type': 'application/json',
      'x-api-key': '[redacted]',
      authorization: '[redacted]',
      'x-slack-signature': '[redacted]',
    });
    expect(access[1].req.headers['x-api-key']).toBe('[redacted]');
    expect(access[2].req.headers).toMatchObject({
      'x-api-key': '[redacted]',
      authorization: '[redacted]',
      'x-slack-signature': '[redacted]',
    });
    const everything = lines.join('\n');
    for (const secret of [API_KEY, wrongKey, 'token-93c0aa', SLACK_SIGNATURE]) expect(everything).not.toContain(secret);
  });

  it('reports health: database reachable, model loaded, its version', async () => {
    const response = await fetch(`${open.base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      database: { reachable: true, engine: name },
      model: { loaded: true, version: scorer.currentModelVersion() },
    });
  });

  it('serves an OpenAPI 3.1 document generated from the validating zod schemas', async () => {
    const document = (await (await fetch(`${open.base}/openapi.json`)).json()) as OpenApiDocumentView;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/score_ticket', '/score_tickets', '/healthz']));
    const request = document.components.schemas.ScoreTicketRequest;
    const fromZod = z.toJSONSchema(scoreTicketRequestSchema, { io: 'input' });
    expect(request.properties).toEqual(fromZod.properties);
    expect(request.required).toEqual(['request_type']);
    expect(request.properties.status.description).toMatch(/ignored/);
    expect(document.components.schemas.ScoreTicketsRequest.properties.tickets.items).toEqual({
      $ref: '#/components/schemas/ScoreTicketRequest',
    });
    expect(document.components.schemas.ScoreTicketsRequest.properties.tickets.maxItems).toBe(MAX_BATCH_TICKETS);
    expect(document.paths['/score_ticket'].post.responses).toHaveProperty('422');
    expect(document.paths['/score_ticket'].post.responses).toHaveProperty('503');
  });

  it('serves self-contained docs at /docs: Swagger UI on /openapi.json, whose try-it covers POST /score_ticket', async () => {
    const response = await fetch(`${open.base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('swagger-ui-bundle.js');
    // What the hand-written page used to print, Swagger UI now renders from the document.
    const document = (await (await fetch(`${open.base}/openapi.json`)).json()) as OpenApiDocumentView;
    const text = JSON.stringify(document);
    for (const expected of ['/score_ticket', 'rolling_7d_volume', 'backlog_at_creation']) expect(text).toContain(expected);
    expect(document.components.schemas.ScoreTicketRequest.properties.status.description).toMatch(/ignored/);
    expect(document.paths['/score_ticket'].post.requestBody.content['application/json'].example).toBeTruthy();
    // Nothing loaded from elsewhere: no external scripts, styles, fonts or images.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
  });
});

describe.each(engines)('HTTP scoring API without a trained model on $name', ({ name }) => {
  const config = loadConfig({});
  let warehouse: TestWarehouse;
  let running: Running;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const scorer = await createScorer({
      db: warehouse.db,
      logger: createLogger({ level: 'silent' }),
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    running = await start({ config, logger: createLogger({ level: 'silent' }), warehouse, scorer });
  });

  afterAll(async () => {
    await running?.api.close();
    await warehouse?.dispose();
  });

  it('answers 503 telling the operator to run civicops train', async () => {
    const { status, json, headers } = await postJson(running.base, '/score_ticket', EXAMPLE);
    expect(status).toBe(503);
    expect(json.error.code).toBe(new ModelNotTrainedError().code);
    expect(json.error.message).toContain('civicops train');
    expect(headers.get('retry-after')).toBeTruthy();
    expect((await postJson(running.base, '/score_tickets', { tickets: [EXAMPLE] })).status).toBe(503);
  });

  it('reports itself degraded on /healthz with no model version', async () => {
    const response = await fetch(`${running.base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'degraded',
      database: { reachable: true },
      model: { loaded: false, version: null },
    });
  });
});

describe.each(engines)('HTTP scoring API when the database goes away on $name', ({ name }) => {
  const config = loadConfig({});
  let warehouse: TestWarehouse;
  let running: Running;
  let log: CapturedLog;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const quiet = createLogger({ level: 'silent' });
    await trainOn(warehouse, config, quiet);
    // The server gets its own handle, closed below; on PostgreSQL the test database itself
    // stays so that dispose() can drop it.
    const handle: Warehouse = name === 'postgres' && warehouse.url ? await openPostgres(warehouse.url, { max: 2 }) : warehouse;
    const scorer = await createScorer({
      db: handle.db,
      logger: quiet,
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    log = captureLog();
    running = await start({ config, logger: log.logger, warehouse: handle, scorer, healthTimeoutMs: 1_000 });
    // The scorer keeps the model in memory; the database it needs for past tickets is now gone.
    await handle.close();
  });

  afterAll(async () => {
    await running?.api.close();
    // On PGlite the in-memory database was the one closed above: nothing is left to drop.
    if (name === 'postgres') await warehouse?.dispose();
  });

  it('answers 500 with a generic message and a request id, never a stack trace, and logs the cause', async () => {
    const { status, json, headers } = await postJson(running.base, '/score_ticket', { ...EXAMPLE, created_at: '2019-06-04T10:15:00' });
    expect(status).toBe(500);
    expect(json.error.code).toBe('INTERNAL');
    expect(json.error.request_id).toBe(headers.get('x-request-id'));
    expect(JSON.stringify(json)).not.toMatch(/\bat .+\.(ts|js):\d+/);
    const logged = log.lines
      .map((line) => JSON.parse(line) as LogEntry)
      .find((entry) => entry.req_id === json.error.request_id && entry.err);
    expect(logged?.err?.stack).toBeTruthy();
  });

  it('reports the database unreachable on /healthz with 503', async () => {
    const response = await fetch(`${running.base}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'down', database: { reachable: false } });
  });
});
