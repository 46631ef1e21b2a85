import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { digestWarehouse } from './helpers/warehouse-digest.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { ingestFromSocrata, ingestRows, type IngestDeps } from '../src/ingest/ingest.js';
import { SodaClient } from '../src/socrata/soda-client.js';
import { createLogger } from '../src/shared/logger.js';
import { SocrataRequestError } from '../src/shared/errors.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const TOKEN = 'test-app-token-secret';
const PAGE = 250;

function clientFor(fake: FakeSoda, overrides: Partial<ConstructorParameters<typeof SodaClient>[0]> = {}) {
  return new SodaClient({
    baseUrl: fake.baseUrl,
    dataset: fake.dataset,
    appToken: TOKEN,
    timeoutMs: 2_000,
    maxRetries: 4,
    retryBaseDelayMs: 5,
    logger,
    ...overrides,
  });
}

describe.each(engines)('ingest from the SODA API on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let fake: FakeSoda;
  let deps: IngestDeps;
  // What an uninterrupted, fault-free full load produces: every fault test must end identical to it.
  let reference: Awaited<ReturnType<typeof digestWarehouse>>;
  const ingest = (client = clientFor(fake), extra: Partial<IngestDeps> = {}) =>
    ingestFromSocrata({ ...deps, ...extra }, { client, source: 'fake/78uv-94ar', pageSize: PAGE });

  beforeAll(async () => {
    fake = await startFakeSoda({ rows: sampleRows, requiredAppToken: TOKEN, updatedAt: new Date('2024-01-01T00:00:00Z') });
    const clean = await createTestWarehouse(name);
    await ingestFromSocrata({ db: clean.db, logger, timeZone }, { client: clientFor(fake), source: 'fake/78uv-94ar', pageSize: PAGE });
    reference = await digestWarehouse(clean.db);
    await clean.dispose();
  });
  afterAll(async () => fake?.close());
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
    deps = { db: warehouse.db, logger, timeZone };
    fake.setRows(sampleRows, { updatedAt: new Date('2024-01-01T00:00:00Z') });
    fake.clearFaults();
    fake.clearRequests();
  });
  afterEach(async () => warehouse?.dispose());

  it('loads every row, paging under a stable :id order with the app token in a header', async () => {
    const summary = await ingest();
    expect(summary.mode).toBe('full');
    expect(summary.fetched).toBe(sampleRows.length);
    const { facts, quarantined } = await digestWarehouse(warehouse.db);
    expect(facts).toBe(sampleRows.length - quarantined);
    expect(summary.quarantined).toBe(quarantined);
    expect(summary.high_water_mark).toBe('2024-01-01T00:00:00.000Z');
    // First the run fixes its upper bound (the newest :updated_at), then pages by :id.
    const [bound, ...pages] = fake.requests;
    expect(bound!.query).toMatchObject({ $select: ':updated_at', $order: ':updated_at DESC', $limit: '1' });
    expect(pages).toHaveLength(5);
    expect(pages[0]!.query.$where).toBe(":updated_at <= '2024-01-01T00:00:00.000'");
    for (const request of pages.slice(1)) expect(request.query.$where).toMatch(/^:updated_at <= '2024-01-01T00:00:00.000' AND :id > 'row-/);
    for (const request of fake.requests) {
      expect(request.headers['x-app-token']).toBe(TOKEN);
      expect(request.path + JSON.stringify(request.query)).not.toContain(TOKEN);
    }
    for (const request of pages) expect(request.query).toMatchObject({ $order: ':id', $select: ':*,*', $limit: String(PAGE) });
  });

  it('a second run asks only for rows updated since the high-water mark and reports nothing new', async () => {
    await ingest();
    fake.clearRequests();
    const second = await ingest();
    expect(second).toMatchObject({ mode: 'incremental', fetched: 0, inserted: 0, updated: 0 });
    // Nothing is newer than the last run's upper bound: only the bound is asked for.
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.query.$select).toBe(':updated_at');
  });

  it('incremental sync picks up changed and new rows only, and updates their facts', async () => {
    await ingest();
    const before = await digestWarehouse(warehouse.db);
    const open = sampleRows.filter((row) => row.closed === undefined).slice(0, 3);
    expect(open.length).toBe(3);
    const closedNow = open.map((row) => ({ ...row, status: 'Closed', closed: '03/10/2024 09:15:00' }));
    const brandNew = [0, 1].map((i) => ({ ...sampleRows[0], id: String(99_000_000 + i), created: '2024-03-09T10:00:00.000' }));
    fake.upsertRows([...closedNow, ...brandNew], { updatedAt: new Date('2024-03-10T15:00:00Z') });
    const summary = await ingest();
    expect(summary).toMatchObject({ mode: 'incremental', fetched: 5, inserted: 2, updated: 3, unchanged: 0 });
    expect(summary.high_water_mark).toBe('2024-03-10T15:00:00.000Z');
    const closed = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['ticket_id', 'closed_at', 'is_open', 'status'])
      .where(
        'ticket_id',
        'in',
        open.map((row) => String(row.id)),
      )
      .execute();
    for (const row of closed) {
      expect(row.closed_at?.toISOString()).toBe('2024-03-10T13:15:00.000Z'); // 09:15 EDT
      expect(row.is_open).toBe(false);
    }
    const after = await digestWarehouse(warehouse.db);
    expect(after.facts).toBe(before.facts + 2);
  });

  it.each([
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 1 }],
    ['a 500', { kind: 'status', status: 500 }],
    ['a 503 twice', { kind: 'status', status: 503, times: 2 }],
    ['a cut-off body', { kind: 'truncate' }],
    ['an HTML error page instead of JSON', { kind: 'invalid-json' }],
    ['a response slower than the timeout', { kind: 'slow', delayMs: 2_500 }],
    ['a reset connection', { kind: 'reset' }],
  ] as const)('survives %s with nothing lost or duplicated', async (_label, fault) => {
    // The third page (the second one after an :id).
    const target = { whereIncludes: ':id >', skip: 1 };
    fault.kind === 'slow' ? fake.fault({ ...fault, delayMs: 1_000, ...target }) : fake.fault({ ...fault, ...target });
    const summary = await ingest(clientFor(fake, { timeoutMs: fault.kind === 'slow' ? 500 : 2_000 }));
    expect(summary.fetched).toBe(sampleRows.length);
    expect(await digestWarehouse(warehouse.db)).toEqual(reference);
    const faulted = fake.requests.find((request) => request.fault !== undefined)!;
    const tries = fake.requests.filter((request) => request.query.$where === faulted.query.$where);
    expect(tries.length).toBeGreaterThan(1);
    if (fault.kind === 'status' && fault.status === 429) {
      const [first, second] = tries;
      expect(second!.receivedAt.getTime() - first!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);
    }
  });

  it('gives up after its retry budget with a clear error naming the URL and status, never the token; the next run resumes', async () => {
    fake.fault({ kind: 'status', status: 500, whereIncludes: ':id >', skip: 1, times: 10 });
    const error = await ingest(clientFor(fake, { maxRetries: 2 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SocrataRequestError);
    const failure = error as SocrataRequestError;
    expect(failure.status).toBe(500);
    expect(failure.attempts).toBe(3);
    expect(failure.message).toContain(`${fake.baseUrl}/resource/78uv-94ar.json`);
    expect(failure.message).toContain('HTTP 500');
    expect(failure.message).not.toContain(TOKEN);
    const runs = await warehouse.db.selectFrom('ingest_run').selectAll().orderBy('run_id').execute();
    expect(runs.at(-1)).toMatchObject({ status: 'failed', next_offset: 500 });
    expect(runs.at(-1)!.resume_after_id).toMatch(/^row-/);
    expect((await digestWarehouse(warehouse.db)).facts).toBeLessThan(reference.facts);

    fake.clearFaults();
    fake.clearRequests();
    const resumed = await ingest();
    expect(resumed.resumed_from_run).toBe(runs.at(-1)!.run_id);
    // It resumes after the last committed :id, with the same bounds, without asking for a new bound.
    expect(fake.requests[0]!.query.$where).toContain(`:id > '${runs.at(-1)!.resume_after_id}'`);
    expect(await digestWarehouse(warehouse.db)).toEqual(reference);
  });

  it('stopping between pages keeps the committed pages; the next run resumes and ends identical to an uninterrupted run', async () => {
    {
      const controller = new AbortController();
      const stopped = await ingest(clientFor(fake), {
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.pages === 2) controller.abort(new Error('SIGTERM'));
        },
      }).catch((caught: unknown) => caught);
      expect(stopped).toBeInstanceOf(Error);
      const partial = await digestWarehouse(warehouse.db);
      expect(partial.facts).toBeGreaterThan(0);
      expect(partial.facts).toBeLessThan(sampleRows.length - 10);
      const resumed = await ingest();
      expect(resumed.resumed_from_run).not.toBeNull();
      expect(await digestWarehouse(warehouse.db)).toEqual(reference);
    }
  });

  it('a row changed on an already-read page, or a later row changed mid-run, is read by the next run', async () => {
    const changedAt = new Date('2024-02-01T12:00:00Z');
    let changed: string[] = [];
    await ingest(clientFor(fake), {
      onProgress: async (progress) => {
        if (progress.pages !== 1 || changed.length > 0) return;
        const done = new Set((await warehouse.db.selectFrom('fact_ticket').select('ticket_id').execute()).map((row) => row.ticket_id));
        const readAlready = sampleRows.find((row) => done.has(String(row.id)) && row.closed === undefined)!;
        const notYetRead = sampleRows.find((row) => typeof row.id === 'string' && !done.has(row.id) && row.closed === undefined)!;
        changed = [String(readAlready.id), String(notYetRead.id)];
        fake.upsertRows(
          changed.map((id) => ({ id, status: 'Closed', closed: '02/01/2024 07:00:00' })),
          { updatedAt: changedAt },
        );
      },
    });
    expect(changed).toHaveLength(2);
    const next = await ingest();
    expect(next.mode).toBe('incremental');
    const rows = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['ticket_id', 'status', 'closed_at'])
      .where('ticket_id', 'in', changed)
      .execute();
    expect(rows.map((row) => [row.status, row.closed_at?.toISOString()])).toEqual([
      ['Closed', '2024-02-01T12:00:00.000Z'],
      ['Closed', '2024-02-01T12:00:00.000Z'],
    ]);
  });

  it('a row deleted at the source mid-run does not make the run skip any other row', async () => {
    let deleted: string | undefined;
    await ingest(clientFor(fake), {
      onProgress: async (progress) => {
        if (progress.pages !== 1 || deleted) return;
        const done = new Set((await warehouse.db.selectFrom('fact_ticket').select('ticket_id').execute()).map((row) => row.ticket_id));
        deleted = String(sampleRows.find((row) => typeof row.id === 'string' && !done.has(row.id))!.id);
        fake.deleteRows([deleted]);
      },
    });
    const loaded = new Set((await warehouse.db.selectFrom('fact_ticket').select('ticket_id').execute()).map((row) => row.ticket_id));
    const quarantined = (await warehouse.db.selectFrom('ingest_quarantine').select('ticket_id').execute()).map((row) => row.ticket_id);
    const missing = sampleRows
      .map((row) => row.id)
      .filter((id) => typeof id === 'string' && !loaded.has(id) && !quarantined.includes(id) && id !== deleted);
    expect(missing).toEqual([]);
  });

  it('an older snapshot file loaded after an API sync does not undo newer data', async () => {
    await ingest();
    const open = sampleRows.find((row) => row.closed === undefined)!;
    fake.upsertRows([{ id: open.id, status: 'Closed', closed: '03/01/2024 10:00:00' }], { updatedAt: new Date('2024-03-01T15:00:00Z') });
    await ingest();
    await ingestRows({ db: warehouse.db, logger, timeZone }, sampleRows, { source: 'file:old-snapshot' });
    const row = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['status', 'closed_at'])
      .where('ticket_id', '=', String(open.id))
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('Closed');
    expect(row.closed_at?.toISOString()).toBe('2024-03-01T15:00:00.000Z');
  });

  it('rejects a missing token with a clear, non-retried error', async () => {
    const error = await ingest(clientFor(fake, { appToken: undefined })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SocrataRequestError);
    expect((error as SocrataRequestError).attempts).toBe(1);
    expect(fake.requests.length).toBe(1);
  });

  it.runIf(name === 'postgres')(
    'a process killed mid-run (SIGKILL) is resumed by the next run with nothing lost',
    async () => {
      {
        fake.fault({ kind: 'slow', delayMs: 5_000, whereIncludes: ':id >', skip: 2, times: 5 });
        const env = {
          ...process.env,
          DATABASE_URL: warehouse.url,
          SOCRATA_BASE_URL: fake.baseUrl,
          SOCRATA_APP_TOKEN: TOKEN,
          SOCRATA_PAGE_SIZE: String(PAGE),
          SOCRATA_TIMEOUT_MS: '20000',
          LOG_LEVEL: 'silent',
        };
        const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/helpers/ingest-child.ts', '--', 'ingest'], {
          env,
          stdio: 'ignore',
        });
        const exited = new Promise((resolve) => child.on('exit', resolve));
        // Wait until the child has committed the first pages, then kill it without warning (up to
        // two minutes: on a loaded machine the child's start alone can take tens of seconds).
        for (let i = 0; i < 1_200; i++) {
          const run = await warehouse.db.selectFrom('ingest_run').select('next_offset').orderBy('run_id', 'desc').executeTakeFirst();
          if (run && run.next_offset >= 500) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        child.kill('SIGKILL');
        await exited;
        const left = await warehouse.db.selectFrom('ingest_run').selectAll().orderBy('run_id', 'desc').executeTakeFirstOrThrow();
        expect(left.status).toBe('running');
        expect(left.next_offset).toBeGreaterThanOrEqual(500);
        fake.clearFaults();
        const resumed = await ingestFromSocrata(deps, { client: clientFor(fake), source: `${fake.baseUrl}/78uv-94ar`, pageSize: PAGE });
        expect(resumed.resumed_from_run).toBe(left.run_id);
        expect(await digestWarehouse(warehouse.db)).toEqual(reference);
      }
    },
    240_000,
  );
});
