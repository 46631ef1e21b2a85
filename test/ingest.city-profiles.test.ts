import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestFromSocrata } from '../src/ingest/ingest.js';
import { createLogger } from '../src/shared/logger.js';
import { createSodaClient, socrataSource } from '../src/socrata/configured-client.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const CITIES = ['gainesville', 'new-york', 'chicago', 'san-francisco', 'los-angeles', 'austin'] as const;
const PAGE = 25;

type Row = Record<string, unknown>;

function fixtureRows(city: string): Row[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/cities/${city}.json`, import.meta.url), 'utf8')) as Row[];
}

/** The wall clock of `instant` in `timeZone` as `YYYY-MM-DDTHH:MM`, by Intl (not by the code under test). */
function wallClock(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** `2023-06-01T07:21:00.000` or `06/01/2023 07:21:00` → `2023-06-01T07:21`. */
function writtenWallClock(text: string): string {
  const us = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})/.exec(text);
  return us ? `${us[3]}-${us[1]}-${us[2]}T${us[4]}:${us[5]}` : text.slice(0, 16);
}

describe.each(engines)('each city profile ingests its own SODA rows end to end on $name', ({ name: engine }) => {
  describe.each(CITIES)('%s', (city) => {
    const rows = fixtureRows(city);
    let fake: FakeSoda;
    let warehouse: TestWarehouse;
    let config: AppConfig;
    let summary: Awaited<ReturnType<typeof ingestFromSocrata>>;

    beforeAll(async () => {
      const profile = loadConfig({ CIVICOPS_CITY: city }).city;
      fake = await startFakeSoda({
        rows,
        dataset: profile.dataset,
        idField: profile.fields.id,
        updatedAt: new Date('2024-01-01T00:00:00Z'),
      });
      config = loadConfig({ CIVICOPS_CITY: city, SOCRATA_BASE_URL: fake.baseUrl });
      warehouse = await createTestWarehouse(engine);
      const client = createSodaClient(config, logger, { retryBaseDelayMs: 5, maxRetries: 1 });
      summary = await ingestFromSocrata(
        { db: warehouse.db, logger, timeZone: config.cityTimeZone, profile: config.city },
        { client, source: socrataSource(config), pageSize: PAGE },
      );
    }, 60_000);
    afterAll(async () => {
      await warehouse?.dispose();
      await fake?.close();
    });

    it('reads every row over the fake city API and loads all but the one bad row', async () => {
      expect(config.socrata).toMatchObject({ baseUrl: fake.baseUrl, dataset: config.city.dataset });
      expect(fake.requests.every((request) => request.path === `/resource/${config.city.dataset}.json`)).toBe(true);
      expect(summary).toMatchObject({ fetched: rows.length, inserted: rows.length - 1, quarantined: 1 });
      const facts = await warehouse.db
        .selectFrom('fact_ticket')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(facts.n)).toBe(rows.length - 1);
    });

    it("quarantines the row whose created time is not in the city's format, with the reason", async () => {
      const created = config.city.fields.createdAt;
      const kept = await warehouse.db.selectFrom('ingest_quarantine').select(['ticket_id', 'reasons', 'payload']).execute();
      expect(kept).toHaveLength(1);
      expect(kept[0]!.reasons).toMatch(new RegExp(`^${created} is not a date in .* form \\(got ".*"\\)$`));
      const badId = (kept[0]!.payload as Row)[config.city.fields.id];
      expect(kept[0]!.ticket_id).toBe(badId);
      // The fixture's bad row is the only one, and it is kept whole.
      expect(rows.filter((row) => row[config.city.fields.id] === badId)).toHaveLength(1);
      expect(kept[0]!.payload).toMatchObject(rows.find((row) => row[config.city.fields.id] === badId)!);
    });

    it("maps the city's columns to the ticket: type, status, created on the city clock, place, district, description", async () => {
      const { fields, timeZone } = config.city;
      const facts = await warehouse.db.selectFrom('fact_ticket').selectAll().execute();
      const byId = new Map(facts.map((fact) => [fact.ticket_id, fact]));
      let checked = 0;
      for (const row of rows) {
        const fact = byId.get(String(row[fields.id]));
        if (!fact) continue;
        checked += 1;
        expect(fact.request_type).toBe(row[fields.requestType]);
        expect(fact.status).toBe(row[fields.status]);
        expect(wallClock(new Date(fact.created_at), timeZone)).toBe(writtenWallClock(String(row[fields.createdAt])));
        const text = (column: string | undefined) => (column === undefined ? null : ((row[column] as string | undefined) ?? null));
        expect(fact.location_detail).toBe(text(fields.address));
        expect(fact.commission_district).toBe(text(fields.district));
        // A field the city does not publish is null, never invented.
        expect(fact.description).toBe(text(fields.description));
        const point = fields.point ? (row[fields.point] as { type?: string; coordinates?: number[] } | undefined) : undefined;
        const latitude =
          fields.latitude && row[fields.latitude] !== undefined
            ? Number(row[fields.latitude])
            : point?.type === 'Point'
              ? point.coordinates![1]
              : null;
        expect(fact.latitude === null ? null : Number(fact.latitude)).toBe(latitude ?? null);
      }
      expect(checked).toBe(rows.length - 1);
    });

    it('closed statuses come out closed (with or without a close date), open ones open', async () => {
      const { fields, statuses } = config.city;
      // The profile's words first; a word it does not list is closed when closedPattern matches it.
      const pattern = statuses.closedPattern ? new RegExp(statuses.closedPattern, 'i') : undefined;
      const closedWords = new Set(statuses.closed);
      const openWords = new Set(statuses.open);
      for (const row of rows) {
        const status = String(row[fields.status]);
        if (!closedWords.has(status) && !openWords.has(status)) (pattern?.test(status) ? closedWords : openWords).add(status);
      }
      const facts = await warehouse.db.selectFrom('fact_ticket').select(['ticket_id', 'status', 'is_open', 'closed_at']).execute();
      const byId = new Map(facts.map((fact) => [fact.ticket_id, fact]));
      let closedWithoutDate = 0;
      let open = 0;
      for (const row of rows) {
        const fact = byId.get(String(row[fields.id]));
        if (!fact) continue;
        const status = String(row[fields.status]);
        if (closedWords.has(status)) {
          expect(fact.is_open, `${status} is closed`).toBe(false);
          if (fact.closed_at === null) closedWithoutDate += 1;
        } else if (openWords.has(status) && row[fields.closedAt!] === undefined) {
          expect(fact.is_open, `${status} is open`).toBe(true);
          open += 1;
        }
      }
      expect(closedWithoutDate).toBeGreaterThan(0);
      expect(open).toBeGreaterThan(0);
      const statusDimension = await warehouse.db.selectFrom('dim_status').select(['status', 'is_open_state']).execute();
      for (const { status, is_open_state } of statusDimension) {
        if (closedWords.has(status)) expect(is_open_state, status).toBe(false);
        if (openWords.has(status)) expect(is_open_state, status).toBe(true);
      }
    });
  });
});
