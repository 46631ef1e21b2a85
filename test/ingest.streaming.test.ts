import { mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestRowStream, ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot, streamSnapshotRows } from '../src/ingest/snapshot.js';
import { InputError } from '../src/shared/errors.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const csvFixture = fileURLToPath(new URL('./fixtures/gainesville-sample-300.csv', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'civicops-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The warehouse's tickets as comparable rows (the run that loaded them and the hash of the raw text left out). */
async function factRows(warehouse: TestWarehouse) {
  const { rows } = await sql<Record<string, unknown>>`
    select * from fact_ticket order by ticket_id`.execute(warehouse.db);
  return rows.map(({ ingest_run_id: _run, row_hash: _hash, ...rest }) => rest);
}

describe('snapshot files are read as a stream', () => {
  it('reads a CSV export into the same string-valued rows as the JSON, an empty cell being an omitted field', async () => {
    const csv = (await readSodaSnapshot(csvFixture)) as Record<string, unknown>[];
    const json = ((await readSodaSnapshot(bundledSnapshotPath)) as Record<string, unknown>[]).slice(0, csv.length);
    expect(csv).toHaveLength(300);
    for (const [index, row] of csv.entries()) {
      const { location: _csvLocation, ...csvFields } = row;
      const { location: _jsonLocation, ...jsonFields } = json[index]!;
      expect(csvFields).toEqual(jsonFields);
      expect(Object.values(row).every((value) => typeof value === 'string' && value !== '')).toBe(true);
    }
  });

  it('yields the first rows of a 200,000-row gzip file after reading only its start', async () => {
    const sample = (await readSodaSnapshot(bundledSnapshotPath)) as Record<string, unknown>[];
    const path = join(dir, 'large.json.gz');
    const gzip = createGzip();
    const done = once(gzip.pipe(createWriteStream(path)), 'finish');
    gzip.write('[');
    for (let index = 0; index < 200_000; index++) {
      const row = { ...sample[index % sample.length], id: String(10_000_000 + index) };
      if (!gzip.write(`${index ? ',' : ''}${JSON.stringify(row)}`)) await once(gzip, 'drain');
    }
    gzip.end(']');
    await done;
    const fileSize = statSync(path).size;
    let bytesRead = 0;
    let bytesReadAtFirstPage = 0;
    let count = 0;
    let lastId = '';
    for await (const row of streamSnapshotRows(path, { onBytesRead: (bytes) => (bytesRead = bytes) })) {
      count++;
      lastId = (row as { id: string }).id;
      if (count === 5_000) bytesReadAtFirstPage = bytesRead;
    }
    expect(count).toBe(200_000);
    expect(lastId).toBe('10199999');
    expect(bytesRead).toBe(fileSize);
    expect(bytesReadAtFirstPage).toBeGreaterThan(0);
    expect(bytesReadAtFirstPage).toBeLessThan(fileSize / 10);
  }, 120_000);

  it('names the file and the problem for a file that is not a JSON array nor a CSV export', async () => {
    const object = join(dir, 'object.json');
    writeFileSync(object, '{"id": "1"}');
    await expect(readSodaSnapshot(object)).rejects.toThrow(/must hold a JSON array of SODA rows/);
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, '[{"id": "1"}, {"id": ');
    await expect(readSodaSnapshot(cut)).rejects.toThrow(InputError);
    await expect(readSodaSnapshot(join(dir, 'missing.json'))).rejects.toThrow(/Cannot read snapshot file/);
  });
});

describe.each(engines)('ingest from a stream ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  it('a CSV export loads the same warehouse rows as the JSON of the same tickets', async () => {
    const deps = { db: warehouse.db, logger, timeZone };
    const fromCsv = await ingestRowStream(deps, streamSnapshotRows(csvFixture), { source: 'file:csv' });
    const csvTickets = await factRows(warehouse);
    await warehouse.dispose();
    warehouse = await createTestWarehouse(name);
    const json = ((await readSodaSnapshot(bundledSnapshotPath)) as unknown[]).slice(0, 300);
    const fromJson = await ingestRows({ ...deps, db: warehouse.db }, json, { source: 'file:json' });
    expect(fromCsv.fetched).toBe(300);
    expect({ ...fromCsv, run_id: 0, source: '', duration_ms: 0, rows_per_second: 0 }).toEqual({
      ...fromJson,
      run_id: 0,
      source: '',
      duration_ms: 0,
      rows_per_second: 0,
    });
    expect(fromCsv.inserted).toBeGreaterThan(250);
    expect(csvTickets).toEqual(await factRows(warehouse));
  }, 120_000);

  it('text with tabs, line breaks, backslashes and a literal \\N arrives through COPY unchanged', async () => {
    const [first] = (await readSodaSnapshot(bundledSnapshotPath)) as Record<string, unknown>[];
    const description = 'tab\there\nnew line\r\nback\\slash \\N and "quotes" \\t';
    const row = { ...first, description, location_detail: '\\N' };
    const summary = await ingestRows({ db: warehouse.db, logger, timeZone }, [row], { source: 'file:escapes' });
    expect(summary.inserted).toBe(1);
    const fact = await warehouse.db.selectFrom('fact_ticket').select(['description', 'location_detail']).executeTakeFirstOrThrow();
    expect(fact).toEqual({ description, location_detail: '\\N' });
    const raw = await warehouse.db.selectFrom('raw_ticket').select('payload').executeTakeFirstOrThrow();
    expect((raw.payload as Record<string, unknown>).description).toBe(description);
  });

  it('writes a page before the source has given more than the next one, and leaves the staging table empty', async () => {
    const sample = ((await readSodaSnapshot(bundledSnapshotPath)) as unknown[]).slice(0, 1_200);
    let pulled = 0;
    async function* source() {
      for (const row of sample) {
        pulled++;
        yield row;
      }
    }
    const pulledAtPage: number[] = [];
    const summary = await ingestRowStream(
      { db: warehouse.db, logger, timeZone, onProgress: () => void pulledAtPage.push(pulled) },
      source(),
      { source: 'file:stream', pageSize: 300 },
    );
    expect(summary.fetched).toBe(1_200);
    expect(pulledAtPage).toHaveLength(4);
    // Page n is committed while page n + 1 is read, never more.
    expect(pulledAtPage[0]).toBeLessThanOrEqual(600);
    expect(pulledAtPage[1]).toBeLessThanOrEqual(900);
    const staged = await sql<{ n: number }>`select count(*)::int as n from ingest_staging`.execute(warehouse.db);
    expect(staged.rows[0]!.n).toBe(0);
  }, 120_000);
});
