import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createLogger } from '../src/shared/logger.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';

describe.each(engines)('loading the bundled Gainesville snapshot on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let rows: unknown[];
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    rows = await readSodaSnapshot(bundledSnapshotPath);
  });
  afterAll(async () => warehouse?.dispose());

  it('puts every row in fact_ticket or quarantine, and a second load changes nothing', async () => {
    const first = await ingestRows({ db: warehouse.db, logger, timeZone }, rows, { source: 'file:sample' });
    expect(first.fetched).toBe(5000);
    expect(first.inserted + first.quarantined).toBe(5000);
    const facts = await sql<{ n: number }>`select count(*)::int as n from fact_ticket`.execute(warehouse.db);
    expect(facts.rows[0]!.n).toBe(5000 - first.quarantined);

    const before = await sql<{
      digest: string;
    }>`select md5(string_agg(row_hash || coalesce(closed_at::text, ''), ',' order by ticket_id)) as digest from fact_ticket`.execute(
      warehouse.db,
    );
    const second = await ingestRows({ db: warehouse.db, logger, timeZone }, rows, { source: 'file:sample' });
    expect(second).toMatchObject({ fetched: 5000, inserted: 0, updated: 0, unchanged: 5000 - first.quarantined });
    const after = await sql<{
      digest: string;
    }>`select md5(string_agg(row_hash || coalesce(closed_at::text, ''), ',' order by ticket_id)) as digest from fact_ticket`.execute(
      warehouse.db,
    );
    expect(after.rows[0]!.digest).toBe(before.rows[0]!.digest);
  });

  it('stores true instants: the first ticket was created 16:21 EDT', async () => {
    const row = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['created_at', 'created_date', 'type_key'])
      .where('ticket_id', '=', '1286318')
      .executeTakeFirstOrThrow();
    expect(row.created_at.toISOString()).toBe('2014-09-17T20:21:00.000Z');
    expect(row.created_date).toBe('2014-09-17');
    expect(row.type_key).toBe('road_repair');
  });

  it('agrees with the source minutes_to_close wherever the source has minute precision', async () => {
    const result = await sql<{ agree: number; total: number }>`
      select count(*) filter (where abs(minutes_to_close - source_minutes_to_close) <= 1)::int as agree, count(*)::int as total
      from fact_ticket f join raw_ticket r using (ticket_id)
      where source_minutes_to_close is not null and minutes_to_close is not null
        and (r.payload->>'closed') ~ ':\\d\\d:\\d\\d$'`.execute(warehouse.db);
    expect(result.rows[0]!.total).toBeGreaterThan(4000);
    expect(result.rows[0]!.agree).toBe(result.rows[0]!.total);
  });

  it('flags negative durations instead of trusting them', async () => {
    const flagged = await sql<{
      n: number;
    }>`select count(*)::int as n from fact_ticket where duration_flag = 'negative_duration' and minutes_to_close < 0`.execute(warehouse.db);
    expect(flagged.rows[0]!.n).toBe(2);
  });

  it('fills the dimensions the star schema joins to', async () => {
    const orphans = await sql<{ n: number }>`
      select count(*)::int as n from fact_ticket f
      left join dim_date d on d.date_key = f.created_date
      left join dim_request_type t on t.type_key = f.type_key
      where d.date_key is null or t.type_key is null`.execute(warehouse.db);
    expect(orphans.rows[0]!.n).toBe(0);
  });
});
