import { afterEach, describe, expect, it } from 'vitest';
import {
  formatDaysToClose,
  formatSodaCreated,
  formatSodaLocal,
  GAINESVILLE_REQUEST_TYPES,
  generateSodaRows,
} from '../src/bench/synthetic-soda.js';
import { startFakeSoda, type FakeSoda, type FakeSodaOptions } from '../src/testing/fake-soda.js';

const SYSTEM_KEYS = [':id', ':version', ':created_at', ':updated_at'];

let fake: FakeSoda | undefined;

afterEach(async () => {
  if (fake) {
    expect(fake.unexpectedErrors).toEqual([]);
    await fake.close();
  }
  fake = undefined;
});

async function start(options: FakeSodaOptions): Promise<FakeSoda> {
  fake = await startFakeSoda(options);
  return fake;
}

function resourceUrl(soda: FakeSoda, params: Record<string, string>): string {
  const url = new URL(`${soda.baseUrl}/resource/${soda.dataset}.json`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

async function getRows(soda: FakeSoda, params: Record<string, string>, init?: RequestInit): Promise<Record<string, unknown>[]> {
  const response = await fetch(resourceUrl(soda, params), init);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>[];
}

function withoutSystemFields(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !SYSTEM_KEYS.includes(key)));
}

describe('fake SODA endpoint: reading', () => {
  it('pages through every row exactly once in :id order with $limit/$offset', async () => {
    const input = generateSodaRows(2345, { seed: 7 });
    const soda = await start({ rows: input });
    const seen: Record<string, unknown>[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await getRows(soda, { $select: ':*,*', $order: ':id', $limit: '500', $offset: String(offset) });
      seen.push(...page);
      if (page.length < 500) break;
    }
    expect(seen).toHaveLength(input.length);
    const ids = seen.map((row) => row.id as string);
    expect(new Set(ids).size).toBe(input.length);
    expect(new Set(ids)).toEqual(new Set(input.map((row) => row.id as string)));
    const systemIds = seen.map((row) => row[':id'] as string);
    for (let i = 1; i < systemIds.length; i++) expect(systemIds[i - 1] < systemIds[i]).toBe(true);
    // Every row comes back exactly as stored, plus the system fields.
    const byId = new Map(input.map((row) => [row.id as string, row]));
    for (const row of seen) expect(withoutSystemFields(row)).toEqual(byId.get(row.id as string));
    expect(soda.requests.map((request) => request.query.$offset)).toEqual(['0', '500', '1000', '1500', '2000']);
    expect(soda.requests.every((request) => request.query.$limit === '500' && request.path === '/resource/78uv-94ar.json')).toBe(true);
    expect(soda.requests.map((request) => request.rowCount)).toEqual([500, 500, 500, 500, 345]);
  });

  it('answers with the Socrata wire format: JSON content type, string values and a GeoJSON location', async () => {
    const soda = await start({ rows: generateSodaRows(50, { seed: 1 }) });
    const response = await fetch(resourceUrl(soda, { $select: ':*,*', $order: ':id' }));
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const rows = (await response.json()) as Record<string, unknown>[];
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      expect(row[':id']).toMatch(/^row-[a-z0-9]{4}\.[a-z0-9]{4}_[a-z0-9]{4}$/);
      expect(row[':version']).toMatch(/^rv-/);
      expect(row[':updated_at']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      for (const [key, value] of Object.entries(row)) {
        if (key === 'location') expect(value).toMatchObject({ type: 'Point', coordinates: [expect.any(Number), expect.any(Number)] });
        else expect(typeof value).toBe('string');
      }
    }
  });

  it('uses the default $limit of 1000 when none is given', async () => {
    const soda = await start({ rows: generateSodaRows(1200, { seed: 2 }) });
    expect(await getRows(soda, { $order: ':id' })).toHaveLength(1000);
    expect(await getRows(soda, { $order: ':id', $offset: '1000' })).toHaveLength(200);
  });

  it('keeps :id stable for a business id across restarts and row order', async () => {
    const input = generateSodaRows(20, { seed: 3 });
    const first = await startFakeSoda({ rows: input });
    const second = await startFakeSoda({ rows: [...input].reverse() });
    try {
      const a = await getRows(first, { $select: 'id,:id', $order: ':id' });
      const b = await getRows(second, { $select: 'id,:id', $order: ':id' });
      expect(a).toEqual(b);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('orders by :updated_at DESC, breaking ties on :id', async () => {
    const input = generateSodaRows(30, { seed: 4 });
    const soda = await start({ rows: input, updatedAt: new Date('2024-01-01T00:00:00Z') });
    soda.upsertRows([{ id: input[5].id, status: 'Closed' }], { updatedAt: new Date('2024-03-01T00:00:00Z') });
    soda.upsertRows([{ id: input[9].id, status: 'Closed' }], { updatedAt: new Date('2024-02-01T00:00:00Z') });
    const rows = await getRows(soda, { $select: ':*,*', $order: ':updated_at DESC, :id' });
    expect(rows.slice(0, 2).map((row) => row.id)).toEqual([input[5].id, input[9].id]);
    const rest = rows.slice(2).map((row) => row[':id'] as string);
    expect(rest).toEqual([...rest].sort());
  });
});

describe('fake SODA endpoint: $where, $select and updates', () => {
  it('filters on :updated_at as instants, reading a zone-less literal as UTC', async () => {
    const input = generateSodaRows(100, { seed: 5 });
    const soda = await start({ rows: input, updatedAt: new Date('2024-05-01T12:00:00.000Z') });
    const changed = input.slice(10, 14).map((row) => ({ id: row.id, status: 'Closed' }));
    soda.upsertRows(changed, { updatedAt: new Date('2024-05-02T08:30:00.250Z') });

    const since = await getRows(soda, { $select: ':*,*', $order: ':id', $where: ":updated_at > '2024-05-01T12:00:00.000'" });
    expect(since.map((row) => row.id).sort()).toEqual(changed.map((row) => row.id).sort());
    expect(since.every((row) => row.status === 'Closed' && row[':updated_at'] === '2024-05-02T08:30:00.250Z')).toBe(true);

    const inclusive = await getRows(soda, { $where: ":updated_at >= '2024-05-01T12:00:00'", $limit: '50000' });
    expect(inclusive).toHaveLength(100);
    // 08:00-04:00 is 12:00Z: the same instant, so strictly-later excludes the untouched rows.
    const withOffset = await getRows(soda, { $where: ":updated_at > '2024-05-01T08:00:00-04:00'" });
    expect(withOffset).toHaveLength(4);
    const before = await getRows(soda, { $where: ":updated_at < '2024-05-02T08:30:00.250'", $limit: '50000' });
    expect(before).toHaveLength(96);
  });

  it('upsert keeps :id, merges fields, clears nulls and adds new rows', async () => {
    const input = generateSodaRows(10, { seed: 6 });
    const soda = await start({ rows: input, updatedAt: new Date('2024-01-01T00:00:00Z') });
    const [before] = await getRows(soda, { $select: ':*,*', $where: `id = '${input[0].id as string}'` });
    soda.upsertRows([
      { id: input[0].id, status: 'Closed', description: null },
      { id: '99999999', status: 'Submitted', request_type: 'Road Repair', created: '2024-06-01T10:00:00.000' },
    ]);
    const [after] = await getRows(soda, { $select: ':*,*', $where: `id = '${input[0].id as string}'` });
    expect(after[':id']).toBe(before[':id']);
    expect(after[':created_at']).toBe(before[':created_at']);
    expect(after[':version']).not.toBe(before[':version']);
    expect(Date.parse(after[':updated_at'] as string)).toBeGreaterThan(Date.parse(before[':updated_at'] as string));
    expect(after.status).toBe('Closed');
    expect(after).not.toHaveProperty('description');
    expect(after.request_type).toBe(input[0].request_type);
    expect(soda.rowCount).toBe(11);
    const added = await getRows(soda, { $where: ":updated_at > '2024-01-01T00:00:00'", $order: ':id' });
    expect(added.map((row) => row.id).sort()).toEqual([input[0].id, '99999999'].sort());
  });

  it('filters on data columns with AND, OR, IS NULL and numeric comparison', async () => {
    const input = generateSodaRows(600, { seed: 8 });
    const soda = await start({ rows: input });
    const idsOf = (rows: Record<string, unknown>[]) => rows.map((row) => row.id as string).sort();

    const roadArchived = await getRows(soda, { $where: "request_type = 'Road Repair' AND status = 'Archived'", $limit: '50000' });
    expect(idsOf(roadArchived)).toEqual(idsOf(input.filter((row) => row.request_type === 'Road Repair' && row.status === 'Archived')));
    expect(roadArchived.length).toBeGreaterThan(0);

    const open = await getRows(soda, { $where: 'closed IS NULL', $limit: '50000' });
    expect(idsOf(open)).toEqual(idsOf(input.filter((row) => row.closed === undefined)));

    const pivot = Number(input[300].id);
    const late = await getRows(soda, { $where: `id >= '${pivot}' AND (status = 'Archived' OR status = 'Closed')`, $limit: '50000' });
    expect(idsOf(late)).toEqual(
      idsOf(input.filter((row) => Number(row.id) >= pivot && (row.status === 'Archived' || row.status === 'Closed'))),
    );

    const simpleFilter = await getRows(soda, { status: 'Submitted', $limit: '50000' });
    expect(idsOf(simpleFilter)).toEqual(idsOf(input.filter((row) => row.status === 'Submitted')));
  });

  it('returns system and data fields for :*,*, data only for *, and just the named columns for a list', async () => {
    const input = generateSodaRows(5, { seed: 9 });
    const soda = await start({ rows: input });

    const all = await getRows(soda, { $select: ':*,*', $order: ':id' });
    for (const row of all) for (const key of SYSTEM_KEYS) expect(row).toHaveProperty(key);

    const data = await getRows(soda, { $select: '*', $order: ':id' });
    const defaultSelect = await getRows(soda, { $order: ':id' });
    expect(defaultSelect).toEqual(data);
    expect(data.map((row) => row.id)).toEqual(all.map((row) => row.id));
    for (const [index, row] of data.entries()) expect(row).toEqual(withoutSystemFields(all[index]));
    for (const row of data) for (const key of SYSTEM_KEYS) expect(row).not.toHaveProperty(key);

    const columns = await getRows(soda, { $select: 'id, closed, :updated_at', $order: ':id' });
    columns.forEach((row, index) => {
      const expected: Record<string, unknown> = { id: all[index].id, ':updated_at': all[index][':updated_at'] };
      if (all[index].closed !== undefined) expected.closed = all[index].closed;
      expect(row).toEqual(expected);
    });
  });

  it('serves nothing after deleteAll and only the remaining rows after deleteRows', async () => {
    const input = generateSodaRows(10, { seed: 10 });
    const soda = await start({ rows: input });
    soda.deleteRows([input[0].id as string, input[1].id as string]);
    expect((await getRows(soda, {})).map((row) => row.id).sort()).toEqual(
      input
        .slice(2)
        .map((row) => row.id)
        .sort(),
    );
    soda.deleteAll();
    expect(await getRows(soda, { $order: ':id' })).toEqual([]);
    soda.setRows(input.slice(0, 3));
    expect(await getRows(soda, { $order: ':id' })).toHaveLength(3);
  });

  it.each([
    ['a malformed $where', { $where: ":updated_at >> '2024-01-01'" }],
    ['an unterminated literal', { $where: "status = 'Open" }],
    ['a non-timestamp :updated_at literal', { $where: ":updated_at > 'yesterday'" }],
    ['a non-numeric $limit', { $limit: 'ten' }],
    ['a $limit above 50000', { $limit: '50001' }],
    ['a negative $offset', { $offset: '-5' }],
    ['a malformed $order', { $order: ':id sideways' }],
    ['an unknown $ parameter', { $frobnicate: '1' }],
  ])('answers 400 with the Socrata error shape for %s', async (_label, params) => {
    const soda = await start({ rows: generateSodaRows(3, { seed: 11 }) });
    const response = await fetch(resourceUrl(soda, params));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: true, code: expect.stringMatching(/^query\./), message: expect.any(String) });
  });

  it('answers 404 for another dataset', async () => {
    const soda = await start({ rows: [] });
    const response = await fetch(`${soda.baseUrl}/resource/abcd-1234.json`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: true, code: 'not_found' });
  });
});

describe('fake SODA endpoint: app token', () => {
  it('rejects a missing token with 401 and a wrong one with 403, accepting header or $$app_token', async () => {
    const soda = await start({ rows: generateSodaRows(3, { seed: 12 }), requiredAppToken: 'tok-311' });
    const missing = await fetch(resourceUrl(soda, {}));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: true, code: 'authentication_required' });

    const wrong = await fetch(resourceUrl(soda, {}), { headers: { 'X-App-Token': 'nope' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: true, code: 'invalid_app_token' });

    expect(await getRows(soda, {}, { headers: { 'X-App-Token': 'tok-311' } })).toHaveLength(3);
    expect(await getRows(soda, { $$app_token: 'tok-311' })).toHaveLength(3);
    expect(soda.requests.map((request) => request.headers['x-app-token'])).toEqual([undefined, 'nope', 'tok-311', undefined]);
    expect(soda.requests.map((request) => request.status)).toEqual([401, 403, 200, 200]);
  });
});

describe('fake SODA endpoint: fault script', () => {
  it('throttles with 429 and Retry-After, then serves the retry', async () => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 13 }) });
    soda.fault({ kind: 'status', status: 429, retryAfterSeconds: 2 });
    const throttled = await fetch(resourceUrl(soda, {}));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await throttled.json()).toMatchObject({ error: true });
    expect(await getRows(soda, {})).toHaveLength(5);
    expect(soda.pendingFaults()).toEqual([]);
  });

  it.each([500, 502, 503])('answers HTTP %i for the scripted number of times', async (status) => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 14 }) });
    soda.fault({ kind: 'status', status, times: 2 });
    expect((await fetch(resourceUrl(soda, {}))).status).toBe(status);
    expect((await fetch(resourceUrl(soda, {}))).status).toBe(status);
    expect(await getRows(soda, {})).toHaveLength(5);
    expect(soda.requests.map((request) => request.fault)).toEqual(['status', 'status', undefined]);
  });

  it('targets a page by onOffset and consumes faults in order', async () => {
    const soda = await start({ rows: generateSodaRows(30, { seed: 15 }) });
    soda.fault({ kind: 'status', status: 503, onOffset: 10 });
    soda.fault({ kind: 'status', status: 500 });
    // offset 0 skips the page-targeted fault and takes the untargeted one
    expect((await fetch(resourceUrl(soda, { $limit: '10', $offset: '0' }))).status).toBe(500);
    expect(await getRows(soda, { $limit: '10', $offset: '0' })).toHaveLength(10);
    expect((await fetch(resourceUrl(soda, { $limit: '10', $offset: '10' }))).status).toBe(503);
    expect(await getRows(soda, { $limit: '10', $offset: '10' })).toHaveLength(10);
  });

  it('cuts the body off mid-way with a 200 status (truncate)', async () => {
    const soda = await start({ rows: generateSodaRows(200, { seed: 16 }) });
    soda.fault({ kind: 'truncate' });
    const response = await fetch(resourceUrl(soda, { $select: ':*,*', $order: ':id' }));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    const full = await fetch(resourceUrl(soda, { $select: ':*,*', $order: ':id' }));
    expect(((await full.json()) as unknown[]).length).toBe(200);
  });

  it('serves an HTML error page with status 200 (invalid-json)', async () => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 17 }) });
    soda.fault({ kind: 'invalid-json' });
    const response = await fetch(resourceUrl(soda, {}));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('<html>');
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('delays a slow response past a client deadline but still answers when waited for', async () => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 18 }) });
    soda.fault({ kind: 'slow', delayMs: 2_000 });
    await expect(fetch(resourceUrl(soda, {}), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    soda.fault({ kind: 'slow', delayMs: 50 });
    expect(await getRows(soda, {})).toHaveLength(5);
    expect(soda.requests.map((request) => [request.fault, request.status])).toEqual([
      ['slow', undefined],
      ['slow', 200],
    ]);
  });

  it('hangs without answering, and close() still returns', async () => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 19 }) });
    soda.fault({ kind: 'hang' });
    const hung = fetch(resourceUrl(soda, {}));
    // Wait until the server has seen it, then close while the request is outstanding.
    while (soda.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await soda.close();
    await expect(hung).rejects.toThrow();
    expect(soda.requests[0].status).toBeUndefined();
  });

  it('resets the connection for a reset fault and after failAfterRequests', async () => {
    const soda = await start({ rows: generateSodaRows(5, { seed: 20 }), failAfterRequests: 2 });
    soda.fault({ kind: 'reset' });
    await expect(fetch(resourceUrl(soda, {}))).rejects.toThrow();
    expect(await getRows(soda, {})).toHaveLength(5);
    await expect(fetch(resourceUrl(soda, {}))).rejects.toThrow();
    expect(soda.requests.map((request) => request.fault)).toEqual(['reset', undefined, 'reset']);
  });

  it('rejects nonsensical fault specs', async () => {
    const soda = await start({ rows: [] });
    expect(() => soda.fault({ kind: 'status', status: 200 })).toThrow(/status/);
    expect(() => soda.fault({ kind: 'truncate', times: 0 })).toThrow(/times/);
  });
});

describe('synthetic SODA rows', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(generateSodaRows(300, { seed: 42 })).toEqual(generateSodaRows(300, { seed: 42 }));
    expect(generateSodaRows(300, { seed: 43 })).not.toEqual(generateSodaRows(300, { seed: 42 }));
    expect(generateSodaRows(100, { seed: 42 })).toEqual(generateSodaRows(300, { seed: 42 }).slice(0, 100));
  });

  it('shapes rows like the real Gainesville export', () => {
    const rows = generateSodaRows(10_000, { seed: 1, startId: 5_000_000 });
    const typeNames = new Set(GAINESVILLE_REQUEST_TYPES.map((type) => type.name));
    const localStamp = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}(:\d{2})?$/;
    // Collect every violation first: one expect per field of 10k rows would dominate the run time.
    const problems: string[] = [];
    const check = (ok: boolean, what: string, row: Record<string, unknown>) => {
      if (!ok && problems.length < 20) problems.push(`${what}: ${JSON.stringify(row)}`);
    };
    let previousId = 4_999_999;
    let previousCreated = '';
    for (const row of rows) {
      check(/^\d+$/.test(row.id as string) && Number(row.id) > previousId, 'id increasing numeric string', row);
      previousId = Number(row.id);
      check(typeNames.has(row.request_type as string), 'known request_type', row);
      check(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000$/.test(row.created as string), 'created format', row);
      check((row.created as string) >= previousCreated, 'created ordered', row);
      previousCreated = row.created as string;
      check(localStamp.test(row.last_updated as string), 'last_updated format', row);
      if (row.closed !== undefined) check(localStamp.test(row.closed as string), 'closed format', row);
      if (row.acknowledged !== undefined) check(localStamp.test(row.acknowledged as string), 'acknowledged format', row);
      if (row.minutes_to_close !== undefined) {
        check(/^-?\d+$/.test(row.minutes_to_close as string), 'minutes_to_close integer', row);
        check(row.days_to_close === formatDaysToClose(Number(row.minutes_to_close)), 'days_to_close matches', row);
      }
      if (row.latitude !== undefined) {
        const latitude = Number(row.latitude);
        const longitude = Number(row.longitude);
        check(Math.abs(latitude - 29.65) < 0.3 && Math.abs(longitude + 82.32) < 0.3, 'near Gainesville', row);
        const location = row.location as { type: string; coordinates: number[] };
        check(location.type === 'Point' && location.coordinates[0] === longitude && location.coordinates[1] === latitude, 'GeoJSON', row);
      }
      for (const [key, value] of Object.entries(row)) {
        check(key === 'location' ? typeof value === 'object' && value !== null : typeof value === 'string', `string ${key}`, row);
      }
    }
    expect(problems).toEqual([]);
    const share = (predicate: (row: Record<string, unknown>) => boolean) => rows.filter(predicate).length / rows.length;
    expect(share((row) => row.closed === undefined)).toBeGreaterThan(0.03);
    expect(share((row) => row.closed === undefined)).toBeLessThan(0.07);
    expect(share((row) => row.description === undefined)).toBeGreaterThan(0.05);
    expect(share((row) => ':@computed_region_4rat_gsiv' in row)).toBeGreaterThan(0.9);
    // The most common real type stays the most common.
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.request_type as string, (counts.get(row.request_type as string) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    expect(['Trash/Debris (Private Property)', 'Road Repair', 'General Code Issue', 'Streetlight/Lamp']).toContain(top);
  });

  it('drops seconds only for rows created from 2021 on', () => {
    const rows = generateSodaRows(3_000, { seed: 2, from: new Date('2020-12-01T05:00:00Z') });
    const short = rows.filter((row) => typeof row.closed === 'string' && (row.closed as string).length === 16);
    expect(short.length).toBeGreaterThan(0);
    expect(short.every((row) => (row.created as string) >= '2021-01-01')).toBe(true);
    expect(rows.some((row) => (row.created as string) < '2021' && (row.closed as string | undefined)?.length === 19)).toBe(true);
  });

  it('prints days_to_close with the 28 significant digits Socrata uses', () => {
    // Pairs copied from real rows of the dataset.
    expect(formatDaysToClose(9)).toBe('0.00625');
    expect(formatDaysToClose(37)).toBe('0.02569444444444444444444444444');
    expect(formatDaysToClose(19087)).toBe('13.25486111111111111111111111');
    expect(formatDaysToClose(1300)).toBe('0.9027777777777777777777777778');
    expect(formatDaysToClose(11)).toBe('0.007638888888888888888888888889');
    expect(formatDaysToClose(66253)).toBe('46.00902777777777777777777778');
  });

  it('writes local times in America/New_York wall time, switching at the DST transitions', () => {
    expect(formatSodaLocal(Date.UTC(2021, 2, 14, 6, 59))).toBe('03/14/2021 01:59:00');
    expect(formatSodaLocal(Date.UTC(2021, 2, 14, 7, 0))).toBe('03/14/2021 03:00:00');
    expect(formatSodaLocal(Date.UTC(2021, 10, 7, 5, 59), false)).toBe('11/07/2021 01:59');
    expect(formatSodaLocal(Date.UTC(2021, 10, 7, 6, 0), false)).toBe('11/07/2021 01:00');
    expect(formatSodaCreated(Date.UTC(2019, 0, 1, 4, 30))).toBe('2018-12-31T23:30:00.000');
    // Intl's tz database as the independent oracle over many years of irregular instants.
    const oracle = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    for (let ms = Date.UTC(2012, 0, 1); ms < Date.UTC(2026, 0, 1); ms += 7_919 * 60_000 + 13_000) {
      const parts = Object.fromEntries(oracle.formatToParts(ms).map((part) => [part.type, part.value]));
      expect(formatSodaLocal(ms)).toBe(`${parts.month}/${parts.day}/${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`);
    }
  });
});
