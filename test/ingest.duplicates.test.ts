import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { ingestFromSocrata, ingestRows, type IngestDeps } from '../src/ingest/ingest.js';
import { ingestCounts } from '../src/jobs/job-catalog.js';
import { createLogger } from '../src/shared/logger.js';
import { SodaClient } from '../src/socrata/soda-client.js';
import { startFakeSoda } from '../src/testing/fake-soda.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const timeZone = 'America/New_York';
const valid = sampleRows.filter((row) => typeof row.id === 'string' && typeof row.request_type === 'string').slice(0, 20);

/** A row as the API serves it under `$select=:*,*`, with its `:updated_at`. */
const copy = (row: Record<string, unknown>, updatedAt: string, changes: Record<string, unknown> = {}) => ({
  ':id': `row-${String(row.id)}-${updatedAt}`,
  ':updated_at': updatedAt,
  ...row,
  ...changes,
});

describe.each(engines)('a ticket id twice in one page on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let lines: string[];
  let deps: IngestDeps;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
    lines = [];
    deps = {
      db: warehouse.db,
      timeZone,
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } }),
    };
  });
  afterEach(async () => warehouse?.dispose());

  const factStatus = async (id: unknown) =>
    (await warehouse.db.selectFrom('fact_ticket').select('status').where('ticket_id', '=', String(id)).executeTakeFirstOrThrow()).status;

  it('keeps the copy with the newer :updated_at, counts and logs the conflict, and quarantines the other copy with the reason', async () => {
    const [a, b, c] = valid;
    const aNewer = copy(a!, '2024-02-02T00:00:00.000', { status: 'Closed' });
    const aOlder = copy(a!, '2024-02-01T00:00:00.000', { status: 'Open' });
    const bOlder = copy(b!, '2024-02-01T00:00:00.000', { status: 'Open' });
    const bNewer = copy(b!, '2024-02-03T00:00:00.000', { status: 'In Progress' });
    const cAgain = copy(c!, '2024-02-01T00:00:00.000');
    const rows = [aNewer, bOlder, cAgain, aOlder, bNewer, cAgain, ...valid.slice(3).map((row) => copy(row, '2024-01-01T00:00:00.000'))];
    const summary = await ingestRows(deps, rows, { source: 'file:duplicates' });

    expect(await factStatus(a!.id)).toBe('Closed');
    expect(await factStatus(b!.id)).toBe('In Progress');
    expect(summary.duplicates).toBe(2);
    expect(summary.quarantined).toBe(0);
    expect(summary.fetched).toBe(rows.length);
    const quarantine = await warehouse.db
      .selectFrom('ingest_quarantine')
      .select(['ticket_id', 'reasons', 'payload'])
      .orderBy('ticket_id')
      .execute();
    expect(quarantine.map((row) => [row.ticket_id, row.payload[':updated_at'], row.payload.status])).toEqual(
      [
        [String(a!.id), aOlder[':updated_at'], 'Open'],
        [String(b!.id), bOlder[':updated_at'], 'Open'],
      ].sort(),
    );
    const reasonOf = (id: unknown) => quarantine.find((row) => row.ticket_id === String(id))!.reasons;
    expect(reasonOf(a!.id)).toBe(
      `duplicate of ticket ${String(a!.id)} in the same page; kept the copy with the newer :updated_at (2024-02-02T00:00:00.000Z over 2024-02-01T00:00:00.000Z)`,
    );
    expect(reasonOf(b!.id)).toMatch(/^duplicate of ticket \S+ in the same page; kept the copy with the newer :updated_at \(2024-02-03/);
    const warning = lines
      .map((line) => JSON.parse(line) as { msg: string; duplicates?: number; ticketIds?: string[] })
      .find((entry) => entry.duplicates);
    expect(warning).toMatchObject({ duplicates: 2, ticketIds: [String(a!.id), String(b!.id)] });

    // The next run does not "recover" the older copies from the quarantine over the newer data.
    const again = await ingestRows(deps, [], { source: 'file:empty' });
    expect(again.recovered_from_quarantine).toBe(0);
    expect(await factStatus(a!.id)).toBe('Closed');
    expect(await warehouse.db.selectFrom('ingest_quarantine').select('ticket_id').execute()).toHaveLength(2);
  }, 120_000);

  it('an unchanged repeat before a newer copy does not hide the newer copy', async () => {
    const [a] = valid;
    const older = copy(a!, '2024-02-01T00:00:00.000', { status: 'Open' });
    const rows = [older, older, copy(a!, '2024-02-02T00:00:00.000', { status: 'Closed' })];
    const summary = await ingestRows(deps, rows, { source: 'file:repeat' });
    expect(await factStatus(a!.id)).toBe('Closed');
    expect(summary.duplicates).toBe(1);
  }, 120_000);

  it('resolves copies that fall in different chunks of one page the same way', async () => {
    const [a, b] = valid;
    const filler = Array.from({ length: 5_000 }, (_, i) => copy({ ...valid[2]!, id: String(90_000_000 + i) }, '2024-01-01T00:00:00.000'));
    const rows = [
      copy(a!, '2024-02-01T00:00:00.000', { status: 'Open' }),
      copy(b!, '2024-02-05T00:00:00.000', { status: 'Closed' }),
      ...filler,
      copy(a!, '2024-02-02T00:00:00.000', { status: 'Closed' }), // newer, in the second chunk
      copy(b!, '2024-02-04T00:00:00.000', { status: 'Open' }), // older, in the second chunk
    ];
    const summary = await ingestRows(deps, rows, { source: 'file:chunks', pageSize: rows.length });
    expect(await factStatus(a!.id)).toBe('Closed');
    expect(await factStatus(b!.id)).toBe('Closed');
    expect(summary.duplicates).toBe(2);
    const quarantined = await warehouse.db.selectFrom('ingest_quarantine').select(['ticket_id', 'payload']).execute();
    expect(quarantined.map((row) => row.payload.status)).toEqual(['Open', 'Open']);
  }, 120_000);

  const runDuplicates = async (runId: number) =>
    (await warehouse.db.selectFrom('ingest_run').select('duplicates').where('run_id', '=', runId).executeTakeFirstOrThrow()).duplicates;

  it('records the count in the ingest_run row, as the summary reports it', async () => {
    const [a, b] = valid;
    const rows = [
      copy(a!, '2024-02-01T00:00:00.000', { status: 'Open' }),
      copy(b!, '2024-02-01T00:00:00.000', { status: 'Open' }),
      copy(a!, '2024-02-02T00:00:00.000', { status: 'Closed' }),
      copy(b!, '2024-02-02T00:00:00.000', { status: 'Closed' }),
      copy(b!, '2024-02-03T00:00:00.000', { status: 'In Progress' }),
    ];
    const summary = await ingestRows(deps, rows, { source: 'file:recorded' });
    expect(summary.duplicates).toBe(3);
    expect(await runDuplicates(summary.run_id)).toBe(3);
    expect(ingestCounts(summary)).toMatchObject({ duplicates: 3 }); // job_run.counts of an ingest job
    const empty = await ingestRows(deps, [], { source: 'file:recorded' });
    expect(await runDuplicates(empty.run_id)).toBe(0);
  }, 120_000);

  it('an API run counts duplicates page after page, and an interrupted run keeps the count of its committed pages', async () => {
    // 25 rows in :id order, pages of 10: the repeats of tickets 0 (page 1), 10 and 12 (page 2) and
    // 18 (page 3) are duplicates; ticket 1 again in page 3 is a later update in another page, not one.
    const t = valid;
    const at = (id: number, row: Record<string, unknown>, updatedAt: string, changes: Record<string, unknown> = {}) => ({
      ...row,
      ...changes,
      ':id': `row-${String(id).padStart(3, '0')}`,
      ':updated_at': updatedAt,
    });
    const day = (n: number) => `2024-02-0${n}T00:00:00.000`;
    const ordered = [
      at(0, t[0]!, day(1), { status: 'Open' }),
      ...t.slice(1, 9).map((row, i) => at(1 + i, row, day(1))),
      at(9, t[0]!, day(2), { status: 'Closed' }),
      at(10, t[9]!, day(1)),
      at(11, t[10]!, day(1), { status: 'Open' }),
      at(12, t[10]!, day(2), { status: 'Closed' }),
      at(13, t[11]!, day(1)),
      at(14, t[12]!, day(3), { status: 'Closed' }),
      at(15, t[12]!, day(2), { status: 'Open' }),
      ...t.slice(13, 17).map((row, i) => at(16 + i, row, day(1))),
      at(20, t[17]!, day(1)),
      at(21, t[18]!, day(1), { status: 'Open' }),
      at(22, t[18]!, day(2), { status: 'Closed' }),
      at(23, t[19]!, day(1)),
      at(24, t[1]!, day(3), { status: 'Closed' }),
    ];
    // Keyed by position, not by ticket id, so the fake serves both copies of a ticket.
    const fake = await startFakeSoda({ rows: ordered, idField: 'no_such_field' });
    try {
      const client = new SodaClient({
        baseUrl: fake.baseUrl,
        dataset: fake.dataset,
        timeoutMs: 5_000,
        maxRetries: 2,
        retryBaseDelayMs: 5,
        logger: createLogger({ level: 'silent' }),
      });
      const options = { client, source: 'fake/duplicates', pageSize: 10 };
      const controller = new AbortController();
      const stopped = await ingestFromSocrata(
        {
          ...deps,
          signal: controller.signal,
          onProgress: (progress) => {
            if (progress.pages === 1) controller.abort(new Error('SIGTERM'));
          },
        },
        options,
      ).catch((caught: unknown) => caught);
      expect(stopped).toBeInstanceOf(Error);
      const interrupted = await warehouse.db
        .selectFrom('ingest_run')
        .select(['run_id', 'status', 'fetched', 'duplicates'])
        .orderBy('run_id', 'desc')
        .executeTakeFirstOrThrow();
      expect(interrupted).toMatchObject({ status: 'failed', fetched: 10, duplicates: 1 });

      const resumed = await ingestFromSocrata(deps, options);
      expect(resumed).toMatchObject({ resumed_from_run: interrupted.run_id, fetched: 15, duplicates: 3 });
      expect(await runDuplicates(resumed.run_id)).toBe(3);
      // The interrupted run's row keeps its own count once it is marked resumed.
      expect(await runDuplicates(interrupted.run_id)).toBe(1);
      expect(await factStatus(t[12]!.id)).toBe('Closed');
      expect(await factStatus(t[1]!.id)).toBe('Closed');
    } finally {
      await fake.close();
    }
  }, 120_000);
});
