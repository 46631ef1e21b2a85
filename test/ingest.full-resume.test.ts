import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { digestWarehouse } from './helpers/warehouse-digest.js';
import { ingestFromSocrata, type IngestDeps } from '../src/ingest/ingest.js';
import { createLogger } from '../src/shared/logger.js';
import { SodaClient } from '../src/socrata/soda-client.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const PAGE = 250;
const SOURCE = 'fake/78uv-94ar';

describe.each(engines)('ingest --full after an interrupted full run on $name', ({ name }) => {
  let fake: FakeSoda;
  let warehouse: TestWarehouse;
  let reference: Awaited<ReturnType<typeof digestWarehouse>>;
  const client = () =>
    new SodaClient({ baseUrl: fake.baseUrl, dataset: fake.dataset, timeoutMs: 5_000, maxRetries: 2, retryBaseDelayMs: 5, logger });
  const ingestFull = (extra: Partial<IngestDeps> = {}) =>
    ingestFromSocrata({ db: warehouse.db, logger, timeZone, ...extra }, { client: client(), source: SOURCE, pageSize: PAGE, full: true });

  beforeAll(async () => {
    fake = await startFakeSoda({ rows: sampleRows, updatedAt: new Date('2024-01-01T00:00:00Z') });
    warehouse = await createTestWarehouse(name);
    await ingestFull();
    reference = await digestWarehouse(warehouse.db);
    await warehouse.dispose();
  });
  afterAll(async () => fake?.close());
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
    fake.clearRequests();
  });
  afterEach(async () => warehouse?.dispose());

  it('resumes from the checkpoint instead of starting over, and ends identical to an uninterrupted run', async () => {
    const controller = new AbortController();
    const stopped = await ingestFull({
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.pages === 2) controller.abort(new Error('SIGTERM'));
      },
    }).catch((caught: unknown) => caught);
    expect(stopped).toBeInstanceOf(Error);
    const left = await warehouse.db.selectFrom('ingest_run').selectAll().orderBy('run_id', 'desc').executeTakeFirstOrThrow();
    expect(left).toMatchObject({ mode: 'full', status: 'failed', next_offset: 2 * PAGE });
    const checkpoint = left.resume_after_id!;
    expect(checkpoint).toMatch(/^row-/);

    fake.clearRequests();
    const resumed = await ingestFull();
    expect(resumed).toMatchObject({ mode: 'full', resumed_from_run: left.run_id, fetched: sampleRows.length - 2 * PAGE });
    // Same bounds as the interrupted run (no new bound asked for), and only the pages after its checkpoint.
    expect(fake.requests.map((request) => request.query.$select)).not.toContain(':updated_at');
    // (The interrupted run's own read-ahead of its next page may still reach the fake late: it asks
    // for the same page as the resumed run's first request.)
    const afterIds = fake.requests.map((request) => /:id > '([^']+)'/.exec(request.query.$where ?? '')?.[1]);
    expect(afterIds).not.toContain(undefined);
    expect([...afterIds].sort()[0]).toBe(checkpoint);
    expect(new Set(afterIds).size).toBe(3);
    expect(await digestWarehouse(warehouse.db)).toEqual(reference);
  }, 120_000);
});
