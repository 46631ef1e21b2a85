import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { digestWarehouse } from './helpers/warehouse-digest.js';
import { ingestFromSocrata } from '../src/ingest/ingest.js';
import { SocrataRequestError } from '../src/shared/errors.js';
import { createLogger } from '../src/shared/logger.js';
import { SodaClient } from '../src/socrata/soda-client.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const PAGE = 250;
const TIMEOUT_MS = 600;

const clientFor = (fake: FakeSoda, maxRetries = 4) =>
  new SodaClient({ baseUrl: fake.baseUrl, dataset: fake.dataset, timeoutMs: TIMEOUT_MS, maxRetries, retryBaseDelayMs: 5, logger });

let fake: FakeSoda;
beforeAll(async () => {
  fake = await startFakeSoda({ rows: sampleRows, updatedAt: new Date('2024-01-01T00:00:00Z') });
});
afterAll(async () => fake?.close());
beforeEach(() => {
  fake.clearFaults();
  fake.clearRequests();
});

describe('the overall deadline of a SODA request', () => {
  it('a body trickling in a byte at a time is cut at SOCRATA_TIMEOUT_MS and retried as a timeout', async () => {
    // Every gap between bytes (20 ms) is far below the timeout: only an overall deadline can end it.
    fake.fault({ kind: 'trickle', intervalMs: 20, whereIncludes: ':id >', times: 10 });
    const started = performance.now();
    const error = await clientFor(fake, 1)
      .fetchPage({ select: ':*,*', where: ":id > 'row-0'", order: ':id', limit: PAGE })
      .catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(SocrataRequestError);
    expect((error as SocrataRequestError).attempts).toBe(2);
    expect((error as Error).message).toContain(`timeout: no complete response within ${TIMEOUT_MS} ms`);
    expect(elapsed).toBeLessThan(5 * TIMEOUT_MS);
    expect(fake.requests.map((request) => request.fault)).toEqual(['trickle', 'trickle']);
  }, 15_000);

  it('a slow but complete body within the deadline is read', async () => {
    fake.fault({ kind: 'trickle', intervalMs: 1, whereIncludes: ':id >' });
    const rows = await clientFor(fake, 0).fetchPage({ select: 'id', where: ":id > 'row-0'", order: ':id', limit: 5 });
    expect(rows).toHaveLength(5);
    expect(fake.requests[0]!.fault).toBe('trickle');
  }, 15_000);
});

describe.each(engines)('ingest from a trickling source on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let reference: Awaited<ReturnType<typeof digestWarehouse>>;
  beforeAll(async () => {
    const clean = await createTestWarehouse(name);
    await ingestFromSocrata({ db: clean.db, logger, timeZone }, { client: clientFor(fake), source: 'fake/78uv-94ar', pageSize: PAGE });
    reference = await digestWarehouse(clean.db);
    await clean.dispose();
  });
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  it('does not stall: the trickled page is retried and the run ends identical to an uninterrupted one', async () => {
    fake.fault({ kind: 'trickle', intervalMs: 20, whereIncludes: ':id >', skip: 1 });
    const summary = await ingestFromSocrata(
      { db: warehouse.db, logger, timeZone },
      { client: clientFor(fake), source: 'fake/78uv-94ar', pageSize: PAGE },
    );
    expect(summary.fetched).toBe(sampleRows.length);
    expect(await digestWarehouse(warehouse.db)).toEqual(reference);
    const trickled = fake.requests.find((request) => request.fault === 'trickle')!;
    expect(fake.requests.filter((request) => request.query.$where === trickled.query.$where)).toHaveLength(2);
  }, 30_000);
});
