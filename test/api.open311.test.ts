import { sql } from 'kysely';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discoveryResponseSchema,
  errorsResponseSchema,
  serviceRequestsResponseSchema,
  servicesResponseSchema,
} from '../src/api/routes/open311/open311.routes.js';
import { loadConfig } from '../src/config/config.js';
import { toGeoReportXml } from '../src/open311/georeport-xml.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createApp, slaDueContext, type App } from '../src/main.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { applySlaPolicy } from '../src/warehouse/sla-due.repository.js';
import { findLatestEventAt } from '../src/warehouse/worklist.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets } from './helpers/ticket-fixtures.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const config = loadConfig({});
const DAY_MS = 86_400_000;
// Every value as text, as XML has it: the test compares them with the JSON's.
const xmlParser = new XMLParser({ parseTagValue: false, trimValues: false });

/** The fields of a GeoReport v2 service request, in the spec's order, then this server's two extensions. */
const SPEC_REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
  'sla_breach_probability',
  'due_datetime',
];
const W3C_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;

describe.each(engines)('GET /open311/v2/* on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let app: App;
  let base: string;
  let lastEvent: Date;

  async function get(path: string) {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  }

  async function requests(query: string) {
    const { status, body } = await get(`/open311/v2/requests.json${query}`);
    expect(status, JSON.stringify(body).slice(0, 500)).toBe(200);
    return serviceRequestsResponseSchema.parse(body);
  }

  async function expectSpecError(path: string, code: 400 | 404): Promise<string> {
    const { status, body } = await get(path);
    expect(status).toBe(code);
    const errors = errorsResponseSchema.parse(body);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(code);
    return errors[0]!.description;
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    // Two tickets of their own type, each created the day before a DST change (before the snapshot ends).
    await insertFixtureTickets(warehouse.db, [
      {
        ticketId: 'O311-SPRING',
        requestType: 'Open311 DST Check',
        createdAt: cityTime('2023-03-11 10:00'),
        closedAt: cityTime('2023-03-12 12:00'),
      },
      {
        ticketId: 'O311-FALL',
        requestType: 'Open311 DST Check',
        createdAt: cityTime('2022-11-05 10:00'),
        closedAt: cityTime('2022-11-06 12:00'),
      },
    ]);
    await applySlaPolicy(warehouse.db, slaDueContext(config), { typeKey: 'open311_dst_check', hours: 48 });
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    lastEvent = (await findLatestEventAt(warehouse.db))!;
    app = createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } });
    const server = await app.server();
    const { port } = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    // The open tickets' scores are stored by the warm-up that follows listen.
    await server.scoresWarmed();
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await warehouse?.dispose();
  });

  it('discovery names this endpoint, the GeoReport v2 specification and JSON, changed at the last event', async () => {
    const { status, body } = await get('/open311/v2/discovery.json');
    expect(status).toBe(200);
    const discovery = discoveryResponseSchema.parse(body);
    expect(discovery.endpoints).toEqual([
      {
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: `${base}/open311/v2`,
        changeset: discovery.changeset,
        type: 'production',
        formats: ['application/json', 'text/xml'],
      },
    ]);
    expect(discovery.changeset).toMatch(W3C_WITH_OFFSET);
    expect(Date.parse(discovery.changeset)).toBe(Math.floor(lastEvent.getTime() / 1000) * 1000);
    expect(discovery.key_service).toContain('No API key');
  });

  it('lists every request type as a realtime service without metadata, its SLA in the description', async () => {
    const { status, body } = await get('/open311/v2/services.json');
    expect(status).toBe(200);
    const services = servicesResponseSchema.parse(body);
    const types = await warehouse.db.selectFrom('dim_request_type').select('type_key').execute();
    expect(services.map((service) => service.service_code).sort()).toEqual(types.map((type) => type.type_key).sort());
    expect(Object.keys(services[0]!)).toEqual(['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group']);
    expect(services.every((service) => service.metadata === false && service.type === 'realtime')).toBe(true);
    const dst = services.find((service) => service.service_code === 'open311_dst_check');
    expect(dst?.service_name).toBe('Open311 DST Check');
    expect(dst?.description).toContain('SLA 48 hours');
    expect(services.find((service) => service.service_code === 'road_repair')?.description).toContain('SLA 72 hours');
  });

  it('by default answers the newest requests of the 90 days ending at the last event, in the spec fields and order', async () => {
    const page = await requests('');
    const counted = await sql<{ n: number }>`
      select count(*)::int as n from fact_ticket
      where created_at >= ${new Date(lastEvent.getTime() - 90 * DAY_MS)}::timestamptz and created_at <= ${lastEvent}::timestamptz`.execute(
      warehouse.db,
    );
    // The sample snapshot is thin (a few dozen tickets in those 90 days), under the default page of 100.
    expect(page.length).toBe(Math.min(100, counted.rows[0]!.n));
    expect(page.length).toBeGreaterThan(5);
    for (const request of page) {
      expect(Object.keys(request)).toEqual(SPEC_REQUEST_FIELDS);
      expect(request.requested_datetime).toMatch(W3C_WITH_OFFSET);
    }
    const times = page.map((request) => Date.parse(request.requested_datetime));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // The last event may be a close: the newest request is the latest creation.
    const newest = await warehouse.db
      .selectFrom('fact_ticket')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .executeTakeFirstOrThrow();
    expect(times[0]).toBe(Math.floor(new Date(newest.at).getTime() / 1000) * 1000);
    // Summer in Gainesville: Eastern Daylight Time.
    expect(page[0]!.requested_datetime.endsWith('-04:00')).toBe(true);
    expect(page.every((request) => request.expected_datetime === request.due_datetime)).toBe(true);
  });

  it('filters a window by status and service_code, the same tickets the warehouse holds', async () => {
    const from = cityTime('2022-08-01 00:00');
    const until = cityTime('2022-10-30 00:00');
    const inWindow = sql`created_at >= ${from}::timestamptz and created_at < ${until}::timestamptz`;
    const common = await sql<{ type_key: string }>`
      select type_key from fact_ticket where ${inWindow} group by type_key order by count(*) desc, type_key limit 2`.execute(warehouse.db);
    const codes = common.rows.map((row) => row.type_key);
    // 2022-08-01 to 2022-10-29 is 90 city days, both ends whole days.
    const window = 'start_date=2022-08-01&end_date=2022-10-29';
    const closed = await requests(`?${window}&status=closed&service_code=${codes.join(',')}`);
    const open = await requests(`?${window}&status=open&service_code=${codes[0]}&service_code=${codes[1]}`);
    const both = await requests(`?${window}&service_code=${codes.join(',')},no_such_code`);
    expect(closed.every((request) => request.status === 'closed' && codes.includes(request.service_code))).toBe(true);
    expect(open.every((request) => request.status === 'open' && codes.includes(request.service_code))).toBe(true);
    expect(both.map((request) => request.service_request_id).sort()).toEqual(
      [...closed, ...open].map((request) => request.service_request_id).sort(),
    );
    const counted = await sql<{ open: number; closed: number }>`
      select count(*) filter (where closed_at is null and is_open)::int as open,
        count(*) filter (where not (closed_at is null and is_open))::int as closed
      from fact_ticket where type_key = any(${`{${codes.join(',')}}`}::text[]) and ${inWindow}`.execute(warehouse.db);
    expect({ open: open.length, closed: closed.length }).toEqual(counted.rows[0]);
    expect(open.length).toBeGreaterThan(0);
    expect(closed.length).toBeGreaterThan(0);
  });

  it('answers the service_request_id list in its order and ignores the window then, as the spec says', async () => {
    const recent = await requests('?page_size=3');
    const ids = recent.map((request) => request.service_request_id).reverse();
    const found = await requests(`?service_request_id=${[...ids, 'NO-SUCH-ID', 'O311-FALL'].join(',')}&start_date=2010-01-01&status=open`);
    expect(found.map((request) => request.service_request_id)).toEqual([...ids, 'O311-FALL']);
  });

  it('pages through a window: pages are disjoint, follow each other and announce the next one', async () => {
    const window = 'start_date=2022-08-01&end_date=2022-10-29';
    const first = await get(`/open311/v2/requests.json?${window}&page_size=5`);
    const second = await requests(`?${window}&page_size=5&page=2`);
    const ten = await requests(`?${window}&page_size=10`);
    const firstPage = serviceRequestsResponseSchema.parse(first.body);
    expect([...firstPage, ...second].map((request) => request.service_request_id)).toEqual(
      ten.map((request) => request.service_request_id),
    );
    expect(first.headers.get('link')).toBe(
      `</open311/v2/requests.json?start_date=2022-08-01&end_date=2022-10-29&page_size=5&page=2>; rel="next"`,
    );
    expect(await requests(`?${window}&page=100000`)).toEqual([]);
    expect(await expectSpecError(`/open311/v2/requests.json?page_size=1001`, 400)).toContain('page_size');
  });

  it('refuses a window over 90 days, an end before its start and a date that is not w3c, as a 400 list', async () => {
    expect(await expectSpecError('/open311/v2/requests.json?start_date=2023-01-01&end_date=2023-04-01', 400)).toContain('90 days');
    // Exactly 90 city days, across the March DST change, is allowed.
    await requests('?start_date=2023-01-01T00:00:00-05:00&end_date=2023-04-01T00:00:00-04:00&page_size=1');
    await requests('?start_date=2023-01-01&end_date=2023-03-31&page_size=1');
    expect(await expectSpecError('/open311/v2/requests.json?start_date=2023-05-01&end_date=2023-04-01', 400)).toContain('before');
    expect(await expectSpecError('/open311/v2/requests.json?start_date=yesterday', 400)).toContain('start_date');
    expect(await expectSpecError('/open311/v2/requests.json?status=pending', 400)).toContain('status');
    expect(await expectSpecError('/open311/v2/requests.json?sort=asc', 400)).toContain('sort');
    expect(await expectSpecError('/open311/v2/requests.json?service_request_id=%00', 400)).toContain('NUL');
    expect(await expectSpecError('/open311/v2/requests.json?service_code=road%00', 400)).toContain('NUL');
  });

  it('answers one request as a list of one, and an unknown id or jurisdiction as a 404 list', async () => {
    const { status, body } = await get('/open311/v2/requests/O311-SPRING.json?jurisdiction_id=gainesville');
    expect(status).toBe(200);
    const [spring] = serviceRequestsResponseSchema.parse(body);
    expect(spring?.service_request_id).toBe('O311-SPRING');
    expect(await expectSpecError('/open311/v2/requests/NO-SUCH-ID.json', 404)).toContain('NO-SUCH-ID');
    expect(await expectSpecError('/open311/v2/requests/%00.json', 404)).toContain('NUL');
    expect(await expectSpecError('/open311/v2/requests/O311-SPRING.csv', 404)).toContain('.json (or .xml)');
    expect(await expectSpecError('/open311/v2/requests.json?jurisdiction_id=chicago', 404)).toContain('gainesville');
    expect(await expectSpecError('/open311/v2/services.json?jurisdiction_id=chicago', 404)).toContain('chicago');
  });

  it("writes times in the city's offset on each side of a DST change, expected_datetime at the type's SLA", async () => {
    const [spring] = await requests('?service_request_id=O311-SPRING');
    expect(spring).toMatchObject({
      status: 'closed',
      service_code: 'open311_dst_check',
      requested_datetime: '2023-03-11T10:00:00-05:00',
      updated_datetime: '2023-03-12T12:00:00-04:00',
      // 48 hours after 10:00 EST is 11:00 EDT.
      expected_datetime: '2023-03-13T11:00:00-04:00',
      due_datetime: '2023-03-13T11:00:00-04:00',
    });
    const [fall] = await requests('?service_request_id=O311-FALL');
    expect(fall).toMatchObject({
      requested_datetime: '2022-11-05T10:00:00-04:00',
      updated_datetime: '2022-11-06T12:00:00-05:00',
      expected_datetime: '2022-11-07T09:00:00-05:00',
    });
    // A window given in UTC finds the same ticket.
    const utc = await requests('?start_date=2023-03-11T15:00:00Z&end_date=2023-03-11T15:00:00Z&service_code=open311_dst_check');
    expect(utc.map((request) => request.service_request_id)).toEqual(['O311-SPRING']);
  });

  it("carries the served model's stored breach probability for the open tickets it scored", async () => {
    const open = await requests('?status=open&page_size=1000');
    const scored = open.filter((request) => request.sla_breach_probability !== null);
    expect(scored.length).toBeGreaterThan(0);
    expect(scored.every((request) => request.sla_breach_probability! >= 0 && request.sla_breach_probability! <= 1)).toBe(true);
  });

  it('needs the X-API-Key header like /api/v1 when the server has a key, and says so in discovery', async () => {
    const keyed = createApp({
      config: loadConfig({ API_KEY: 'open311-k3y-of-the-city' }),
      logger,
      warehouse: { ...warehouse, close: async () => {} },
    });
    try {
      const { port } = await (await keyed.server()).listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${port}/open311/v2/discovery.json`;
      expect((await fetch(url)).status).toBe(401);
      const allowed = await fetch(url, { headers: { 'x-api-key': 'open311-k3y-of-the-city' } });
      expect(allowed.status).toBe(200);
      expect(discoveryResponseSchema.parse(await allowed.json()).key_service).toContain('X-API-Key');
    } finally {
      await keyed.close();
    }
  });

  it("answers every document in the spec's XML too: the same entries, fields in order, nulls empty, errors as <errors>", async () => {
    const xml = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      const text = await response.text();
      expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      expect(XMLValidator.validate(text)).toBe(true);
      return { status: response.status, text, document: xmlParser.parse(text) as Record<string, unknown> };
    };
    const json = (await get('/open311/v2/requests.json?status=open&page_size=20')).body as Record<string, unknown>[];
    const { status, text, document } = await xml('/open311/v2/requests.xml?status=open&page_size=20');
    expect(status).toBe(200);
    expect(text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request><service_request_id>')).toBe(true);
    const entries = (document.service_requests as { request: Record<string, unknown>[] }).request;
    expect(entries.map((entry) => entry.service_request_id)).toEqual(json.map((entry) => entry.service_request_id));
    expect(Object.keys(entries[0]!)).toEqual(SPEC_REQUEST_FIELDS);
    for (const [index, entry] of entries.entries()) {
      const expected = json[index]!;
      for (const field of SPEC_REQUEST_FIELDS) expect(entry[field], field).toBe(expected[field] === null ? '' : String(expected[field]));
    }
    expect(text).toContain('<media_url></media_url>');

    const services = await xml('/open311/v2/services.xml');
    const serviceList = (services.document.services as { service: Record<string, unknown>[] }).service;
    expect(serviceList.length).toBe(((await get('/open311/v2/services.json')).body as unknown[]).length);
    expect(serviceList[0]).toMatchObject({ metadata: 'false', type: 'realtime' });

    const discovery = await xml('/open311/v2/discovery.xml');
    const endpoint = (discovery.document.discovery as { endpoints: { endpoint: { formats: { format: string[] } } } }).endpoints.endpoint;
    expect(endpoint.formats.format).toEqual(['application/json', 'text/xml']);

    const one = await xml('/open311/v2/requests/O311-SPRING.xml');
    expect((one.document.service_requests as { request: { service_request_id: string } }).request.service_request_id).toBe('O311-SPRING');

    const missing = await xml('/open311/v2/requests/NO-SUCH-ID.xml');
    expect(missing.status).toBe(404);
    expect(missing.document.errors).toEqual({ error: { code: '404', description: expect.stringContaining('NO-SUCH-ID') } });
    const tooLong = await xml('/open311/v2/requests.xml?start_date=2023-01-01&end_date=2023-04-01');
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('<errors><error><code>400</code><description>');
  });

  it('describes its four paths in /openapi.json', async () => {
    const { body } = await get('/openapi.json');
    const paths = Object.keys((body as { paths: Record<string, unknown> }).paths).filter((path) => path.startsWith('/open311/'));
    expect(paths).toEqual([
      '/open311/v2/discovery.{format}',
      '/open311/v2/services.{format}',
      '/open311/v2/requests.{format}',
      '/open311/v2/requests/{service_request_id}.{format}',
    ]);
  });
});

describe('the GeoReport XML writer', () => {
  it('escapes markup, drops characters XML cannot hold, writes null as an empty element and lists as repeated entries', () => {
    const text = toGeoReportXml('service_requests', [
      { service_request_id: 'A&1', description: 'Tree <down> on "Main" & 2nd\u0001 St', media_url: null, lat: 29.5 },
      { service_request_id: 'B2', description: "O'Neil", media_url: null, lat: null },
    ]);
    expect(XMLValidator.validate(text)).toBe(true);
    expect(text).toContain('<description>Tree &lt;down&gt; on &quot;Main&quot; &amp; 2nd St</description>');
    const parsed = new XMLParser({ parseTagValue: false, processEntities: true }).parse(text) as {
      service_requests: { request: Record<string, string>[] };
    };
    expect(parsed.service_requests.request).toEqual([
      { service_request_id: 'A&1', description: 'Tree <down> on "Main" & 2nd St', media_url: '', lat: '29.5' },
      { service_request_id: 'B2', description: "O'Neil", media_url: '', lat: '' },
    ]);
  });
});
