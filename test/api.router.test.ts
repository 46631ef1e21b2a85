import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiServer, type ApiServer, type RouteGroup } from '../src/api/api-server.js';
import { HttpRequestError, parseWithSchema } from '../src/api/http-errors.js';
import { createRouter, jsonReply } from '../src/api/router.js';
import { loadConfig } from '../src/config/config.js';
import { createScorer } from '../src/model/score-ticket.js';
import { createLogger } from '../src/shared/logger.js';
import type { OpenApiDocumentView } from './helpers/api-replies.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const API_KEY = 'router-test-key-3c9a';
const ok = () => jsonReply(200, { ok: true });

describe('router', () => {
  const router = createRouter([
    {
      name: 'demo',
      routes: [
        { method: 'GET', path: '/things', access: 'public', handle: ok },
        { method: 'POST', path: '/things', access: 'api-key', handle: ok },
        { method: 'GET', path: '/things/:id', access: 'public', handle: ok },
        { method: 'GET', path: '/things/:id/parts/:part', access: 'public', handle: ok },
      ],
    },
  ]);

  it('finds exact paths by method, and answers HEAD with the GET route', () => {
    expect(router.resolve('GET', '/things').route.access).toBe('public');
    expect(router.resolve('POST', '/things').route.access).toBe('api-key');
    expect(router.resolve('HEAD', '/things').route).toBe(router.resolve('GET', '/things').route);
  });

  it('reads :name segments, percent-decoded', () => {
    expect(router.resolve('GET', '/things/42').params).toEqual({ id: '42' });
    expect(router.resolve('GET', '/things/a%20b/parts/7').params).toEqual({ id: 'a b', part: '7' });
  });

  it('throws 404 for an unknown path and 405 naming the allowed methods', () => {
    for (const path of ['/nothing', '/things/', '/things/1/parts', '/things/%E0%A4%A']) {
      expect(() => router.resolve('GET', path), path).toThrow(expect.objectContaining({ status: 404, code: 'NOT_FOUND' }));
    }
    const wrong = (() => {
      try {
        router.resolve('DELETE', '/things');
      } catch (error) {
        return error;
      }
    })();
    expect(wrong).toBeInstanceOf(HttpRequestError);
    expect(wrong).toMatchObject({ status: 405, headers: { allow: 'GET, POST' } });
    expect(() => router.resolve('POST', '/things/1')).toThrow(expect.objectContaining({ status: 405 }));
  });

  it('refuses the same method and path twice', () => {
    const twice: RouteGroup[] = [
      { name: 'a', routes: [{ method: 'GET', path: '/x/:id', access: 'public', handle: ok }] },
      { name: 'b', routes: [{ method: 'GET', path: '/x/:id', access: 'public', handle: ok }] },
    ];
    expect(() => createRouter(twice)).toThrow(/GET \/x\/:id of group "b"/);
    expect(() =>
      createRouter([
        {
          name: 'c',
          routes: [
            { method: 'GET', path: '/healthz', access: 'public', handle: ok },
            { method: 'GET', path: '/healthz', access: 'public', handle: ok },
          ],
        },
      ]),
    ).toThrow(/twice/);
  });
});

describe.each(engines)('extra route groups passed to createApiServer on $name', ({ name }) => {
  const config = loadConfig({ API_KEY });
  let warehouse: TestWarehouse;
  let api: ApiServer;
  let base: string;

  const worklistQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }).strict();
  const extra: RouteGroup = {
    name: 'api-v1',
    routes: [
      {
        method: 'GET',
        path: '/api/v1/worklist',
        access: 'api-key',
        handle: ({ query }) => {
          const { limit } = parseWithSchema(worklistQuery, Object.fromEntries(query));
          return jsonReply(200, { limit });
        },
      },
      {
        method: 'GET',
        path: '/api/v1/tickets/:id',
        access: 'public',
        handle: ({ params, requestId }) => jsonReply(200, { id: params.id, requestId }),
      },
      {
        method: 'GET',
        path: '/api/v1/broken',
        access: 'public',
        handle: () => {
          throw new Error('secret connection string postgres://u:p@h/db');
        },
      },
    ],
    openApi: {
      paths: {
        '/api/v1/worklist': {
          get: {
            operationId: 'worklist',
            summary: 'Open tickets by risk',
            security: [{ apiKey: [] }],
            responses: { '200': { description: 'The worklist.' } },
          },
        },
      },
      schemas: { Worklist: { type: 'object' } },
    },
  };

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const logger = createLogger({ level: 'silent' });
    const scorer = await createScorer({
      db: warehouse.db,
      logger,
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    api = createApiServer({ config, logger, warehouse, scorer, routes: [extra] });
    base = `http://127.0.0.1:${(await api.listen(0, '127.0.0.1')).port}`;
  });

  afterAll(async () => {
    await api?.close();
    await warehouse?.dispose();
  });

  it('serves them beside the built-in routes, with the same API-key check', async () => {
    expect((await fetch(`${base}/api/v1/worklist`)).status).toBe(401);
    const answered = await fetch(`${base}/api/v1/worklist?limit=5`, { headers: { 'x-api-key': API_KEY } });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ limit: 5 });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('hands them path params, the query and the request id', async () => {
    const response = await fetch(`${base}/api/v1/tickets/CRM-7`);
    const body = (await response.json()) as { id: string; requestId: string };
    expect(body.id).toBe('CRM-7');
    expect(body.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('maps their errors in the one place: 422 for a bad query, a generic 500 for a bug', async () => {
    const bad = await fetch(`${base}/api/v1/worklist?limit=0&extra=1`, { headers: { 'x-api-key': API_KEY } });
    expect(bad.status).toBe(422);
    const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((field) => field.path).sort();
    expect(fields).toEqual(['extra', 'limit']);
    const broken = await fetch(`${base}/api/v1/broken`);
    expect(broken.status).toBe(500);
    const text = await broken.text();
    expect(text).toContain('INTERNAL');
    expect(text).not.toContain('postgres://');
    expect((await fetch(`${base}/api/v1/tickets/1`, { method: 'POST' })).status).toBe(405);
  });

  it('adds their paths and schemas to /openapi.json', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocumentView;
    expect(document.paths['/api/v1/worklist'].get.operationId).toBe('worklist');
    expect(document.paths['/score_ticket']).toBeDefined();
    expect(document.components.schemas.Worklist).toEqual({ type: 'object' });
    expect(document.components.schemas.ScoreTicketRequest).toBeDefined();
  });
});
