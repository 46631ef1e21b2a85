import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { ingestRows, type IngestDeps } from '../src/ingest/ingest.js';
import { createLogger } from '../src/shared/logger.js';

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
});
