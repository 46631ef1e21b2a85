import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSodaRow, canonicalTypeKey, KNOWN_DATA_FIELDS } from '../src/ingest/soda-row.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { createLogger } from '../src/shared/logger.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';

const NY = 'America/New_York';
const realRow: Record<string, unknown> = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'))[100];

function reasonsOf(row: Record<string, unknown>): string[] {
  const outcome = validateSodaRow(row, NY);
  if (outcome.ok) throw new Error('expected the row to fail validation');
  return outcome.reasons;
}

describe('validating one SODA row', () => {
  it('accepts a real row and reads its instants in city time', () => {
    const outcome = validateSodaRow(realRow, NY);
    expect(outcome.ok).toBe(true);
  });

  it('names a missing id', () => {
    const { id: _id, ...withoutId } = realRow;
    expect(reasonsOf(withoutId)).toEqual(['id is missing']);
  });

  it('names a date in neither format, with the value received', () => {
    const reasons = reasonsOf({ ...realRow, created: '31/31/2020 10:00' });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^created is not a date .* \(got "31\/31\/2020 10:00"\)$/);
  });

  it('names non-numeric and out-of-range coordinates', () => {
    expect(reasonsOf({ ...realRow, latitude: 'north-ish' })[0]).toMatch(/^latitude is not a number/);
    expect(reasonsOf({ ...realRow, longitude: '-382.1' })[0]).toMatch(/^longitude is outside -180\.\.180/);
  });

  it('names unexpected fields, and lists every problem of a row at once', () => {
    const reasons = reasonsOf({ ...realRow, surprise_column: 'x', closed: 'soon', latitude: 'n/a' });
    expect(reasons).toContain('unexpected field "surprise_column"');
    expect(reasons.some((reason) => reason.startsWith('closed is not a date'))).toBe(true);
    expect(reasons.some((reason) => reason.startsWith('latitude is not a number'))).toBe(true);
  });

  it('keeps system and computed-region fields without complaint', () => {
    const outcome = validateSodaRow(
      { ...realRow, ':id': 'row-abc', ':updated_at': '2024-01-01T00:00:00.000Z', ':@computed_region_zzzz_1234': '3' },
      NY,
    );
    expect(outcome.ok).toBe(true);
  });

  it('rejects a value that is not an object', () => {
    expect(reasonsOf(['not', 'a', 'row'] as unknown as Record<string, unknown>)).toEqual(['row is not a JSON object']);
  });

  it('gives one canonical type key to names that differ in spacing and punctuation', () => {
    expect(canonicalTypeKey('Trash/Debris (Public Property)')).toBe(canonicalTypeKey('Trash / Debris (Public Property)'));
    expect(canonicalTypeKey('Road Repair')).toBe('road_repair');
  });

  it('flags a negative duration instead of trusting it', () => {
    const outcome = validateSodaRow({ ...realRow, created: '2022-05-02T10:00:00.000', closed: '05/01/2022 10:00:00' }, NY);
    expect(outcome.ok && outcome.ticket.durationFlag).toBe('negative_duration');
    expect(outcome.ok && outcome.ticket.minutesToClose).toBe(-1440);
  });
});

describe.each(engines)('quarantine on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  const logger = createLogger({ level: 'silent' });
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterAll(async () => warehouse?.dispose());

  it('keeps each bad row whole with its reason, counts it, and loads the good rows of the same page', async () => {
    const { id: _id, ...withoutId } = realRow;
    const rows = [realRow, withoutId, { ...realRow, id: '999000001', latitude: 'north-ish' }, { ...realRow, id: '999000002', extra: 1 }];
    const summary = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, rows, { source: 'file:test' });
    expect(summary).toMatchObject({ fetched: 4, inserted: 1, quarantined: 3 });
    const kept = await warehouse.db
      .selectFrom('ingest_quarantine')
      .select(['ticket_id', 'reasons', 'payload'])
      .orderBy('ticket_id')
      .execute();
    expect(kept.map((row) => [row.ticket_id, row.reasons])).toEqual([
      ['999000001', 'latitude is not a number (got "north-ish")'],
      ['999000002', 'unexpected field "extra"'],
      [null, 'id is missing'],
    ]);
    expect(kept[0]!.payload).toMatchObject({ id: '999000001', latitude: 'north-ish' });
    // The same bad rows again: counted in the run, stored once.
    const again = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, rows, { source: 'file:test' });
    expect(again.quarantined).toBe(3);
    const count = await warehouse.db
      .selectFrom('ingest_quarantine')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(3);
  });

  it('recovers quarantined rows once the validator accepts them, without calling the city again', async () => {
    const withNewColumn = { ...realRow, id: '999000003', priority: 'high' };
    const first = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, [withNewColumn], { source: 'file:test' });
    expect(first.quarantined).toBe(1);
    // A developer declares the city's new column…
    KNOWN_DATA_FIELDS.add('priority');
    try {
      // …and the next run (here with nothing new to read) loads the row and clears it from quarantine.
      const next = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, [], { source: 'file:test' });
      expect(next.recovered_from_quarantine).toBe(1);
      const fact = await warehouse.db.selectFrom('fact_ticket').select('ticket_id').where('ticket_id', '=', '999000003').executeTakeFirst();
      expect(fact?.ticket_id).toBe('999000003');
      const left = await warehouse.db.selectFrom('ingest_quarantine').select('ticket_id').where('ticket_id', '=', '999000003').execute();
      expect(left).toEqual([]);
    } finally {
      KNOWN_DATA_FIELDS.delete('priority');
    }
  });

  it('loads a row holding NUL characters (which PostgreSQL cannot store) with each replaced by U+FFFD, and says so', async () => {
    const lines: string[] = [];
    const recording = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    const withNul = { ...realRow, id: '999000004', description: 'pothole\u0000 near the school' };
    const badWithNul = { ...realRow, id: '999000005', latitude: 'nor\u0000th' };
    const summary = await ingestRows({ db: warehouse.db, logger: recording, timeZone: NY }, [withNul, badWithNul], { source: 'file:test' });
    expect(summary).toMatchObject({ fetched: 2, inserted: 1, quarantined: 1 });
    const fact = await warehouse.db
      .selectFrom('fact_ticket')
      .select('description')
      .where('ticket_id', '=', '999000004')
      .executeTakeFirstOrThrow();
    expect(fact.description).toBe('pothole\uFFFD near the school');
    const raw = await warehouse.db
      .selectFrom('raw_ticket')
      .select('payload')
      .where('ticket_id', '=', '999000004')
      .executeTakeFirstOrThrow();
    expect(raw.payload).toMatchObject({ description: 'pothole\uFFFD near the school' });
    const kept = await warehouse.db
      .selectFrom('ingest_quarantine')
      .select(['payload', 'reasons'])
      .where('ticket_id', '=', '999000005')
      .executeTakeFirstOrThrow();
    expect(kept.payload).toMatchObject({ latitude: 'nor\uFFFDth' });
    expect(kept.reasons).toContain('latitude is not a number');
    expect(lines.join('')).toContain('NUL characters');
    expect(lines.join('')).toContain('999000004');
    // The same rows again change nothing.
    const again = await ingestRows({ db: warehouse.db, logger: recording, timeZone: NY }, [withNul, badWithNul], { source: 'file:test' });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, quarantined: 1 });
  });

  it('quarantines rows with a NUL character in their id or in a field name, reasons and all', async () => {
    const badId = { ...realRow, id: '999\u00006' };
    const badKey = { ...realRow, id: '999000007', 'not\u0000a_column': 'x' };
    const summary = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, [badId, badKey], { source: 'file:test' });
    expect(summary).toMatchObject({ fetched: 2, inserted: 0, quarantined: 2 });
    const kept = await warehouse.db
      .selectFrom('ingest_quarantine')
      .select(['ticket_id', 'reasons'])
      .where('ticket_id', 'in', ['999\uFFFD6', '999000007'])
      .orderBy('ticket_id')
      .execute();
    expect(kept).toEqual([
      { ticket_id: '999000007', reasons: 'unexpected field "not\uFFFDa_column"' },
      { ticket_id: '999\uFFFD6', reasons: 'id must be a numeric ticket id (got "999\uFFFD6")' },
    ]);
  });

  it('stores text with quotes, backslashes, the word NULL, new lines and emoji exactly, and an all-punctuation type', async () => {
    const awkward = 'He said "fix it" \\ C:\\path\\NULL {a,b}\nsecond line 🚧 ';
    const rows = [
      { ...realRow, id: '999000008', description: awkward, reporter_display: 'NULL', location_detail: '' },
      { ...realRow, id: '999000009', request_type: '???', description: '\\' },
    ];
    const summary = await ingestRows({ db: warehouse.db, logger, timeZone: NY }, rows, { source: 'file:test' });
    expect(summary).toMatchObject({ fetched: 2, inserted: 2, quarantined: 0 });
    const facts = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['ticket_id', 'description', 'description_length', 'reporter_display', 'location_detail', 'type_key', 'request_type'])
      .where('ticket_id', 'in', ['999000008', '999000009'])
      .orderBy('ticket_id')
      .execute();
    expect(facts).toEqual([
      {
        ticket_id: '999000008',
        description: awkward.trim(),
        description_length: awkward.trim().length,
        reporter_display: 'NULL',
        location_detail: null,
        type_key: canonicalTypeKey(String(realRow.request_type)),
        request_type: String(realRow.request_type),
      },
      {
        ticket_id: '999000009',
        description: '\\',
        description_length: 1,
        reporter_display: realRow.reporter_display ?? null,
        location_detail: realRow.location_detail ?? null,
        type_key: '',
        request_type: '???',
      },
    ]);
    const raw = await warehouse.db
      .selectFrom('raw_ticket')
      .select('payload')
      .where('ticket_id', '=', '999000008')
      .executeTakeFirstOrThrow();
    expect(raw.payload).toEqual(rows[0]);
  });
});
