import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config/config.js';
import { ingestFromSocrata } from '../src/ingest/ingest.js';
import { canonicalTypeKey } from '../src/ingest/soda-row.js';
import { createApp, type App } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { createSodaClient } from '../src/socrata/configured-client.js';
import { SLA_SHARE_ACTION_ID } from '../src/slack/blocks/sla-blocks.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { blockActionsPayload, interactionBody, slashCommandBody } from '../src/testing/slack-signing.js';
import { openWarehouse, type Warehouse } from '../src/warehouse/database.js';
import { migrate } from '../src/warehouse/migrate.js';
import { Capture } from './helpers/capture.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { collectBlockText, findButtons, postSigned, waitFor } from './slack.app.harness.js';

const logger = createLogger({ level: 'silent' });
type Row = Record<string, unknown>;
const rowsOf = async (city: string) =>
  JSON.parse(await readFile(new URL(`./fixtures/cities/${city}.json`, import.meta.url), 'utf8')) as Row[];
const gainesvilleRows = await rowsOf('gainesville');
const chicagoRows = await rowsOf('chicago');
// Each fixture holds one row that fails validation on purpose.
const GAINESVILLE_TICKETS = gainesvilleRows.length - 1;
const CHICAGO_TICKETS = chicagoRows.length - 1;
const GAINESVILLE_SOURCE = 'https://data.cityofgainesville.org/78uv-94ar';

/**
 * One warehouse, two cities, driven through the real CLI and the real server: a warehouse from
 * before the city registry (Gainesville in `public`) is brought forward without re-ingesting, a
 * second city gets its own schema, and every command and endpoint answers for the city it names.
 */
describe.each(engines)('one warehouse holding Gainesville and Chicago ($name)', ({ name: engine }) => {
  let gainesvilleApi: FakeSoda;
  let chicagoApi: FakeSoda;
  let dataDir: string;
  let postgres: TestWarehouse | undefined;
  let baseEnv: Record<string, string>;

  /** The warehouse as a fresh process opens it (PGlite's directory admits one opener at a time). */
  async function withRoot<T>(use: (root: Warehouse) => Promise<T>): Promise<T> {
    const root = await openWarehouse(loadConfig(baseEnv).database);
    try {
      return await use(root);
    } finally {
      await root.close();
    }
  }

  const countIn = (root: Warehouse, schema: string) =>
    sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'fact_ticket')}`.execute(root.db).then((r) => r.rows[0]?.n);

  async function cli(argv: string[], env: Record<string, string> = {}) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(argv, { env: { ...baseEnv, ...env }, stdout, stderr, logger });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  beforeAll(async () => {
    const gainesville = loadConfig({}).city;
    const chicago = loadConfig({ CIVICOPS_CITY: 'chicago' }).city;
    const updatedAt = new Date('2024-01-01T00:00:00Z');
    gainesvilleApi = await startFakeSoda({
      rows: gainesvilleRows,
      dataset: gainesville.dataset,
      idField: gainesville.fields.id,
      updatedAt,
    });
    chicagoApi = await startFakeSoda({ rows: chicagoRows, dataset: chicago.dataset, idField: chicago.fields.id, updatedAt });
    dataDir = await mkdtemp(join(tmpdir(), 'civicops-multi-city-'));
    if (engine === 'postgres') {
      postgres = await createTestWarehouse('postgres', { migrate: false });
      await postgres.close();
    }
    baseEnv = { CIVICOPS_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(postgres?.url ? { DATABASE_URL: postgres.url } : {}) };

    // A warehouse as every release before the registry left it: Gainesville's tables in `public`.
    await withRoot(async (root) => {
      await migrate(root.db);
      const config = loadConfig({ ...baseEnv, SOCRATA_BASE_URL: gainesvilleApi.baseUrl });
      await ingestFromSocrata(
        { db: root.db, logger, timeZone: config.cityTimeZone, profile: config.city },
        { client: createSodaClient(config, logger, { retryBaseDelayMs: 5, maxRetries: 1 }), source: GAINESVILLE_SOURCE, pageSize: 25 },
      );
    });
  }, 120_000);

  afterAll(async () => {
    await gainesvilleApi?.close();
    await chicagoApi?.close();
    await postgres?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers for the only city when none is named, and names the warehouse it found', async () => {
    const report = await cli(['report', '--json', '--since', '2023-01-01', '--until', '2024-06-30']);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout).timeZone).toBe('America/New_York');
    await withRoot(async (root) => {
      const registered = await sql<{ city: string; schema_name: string }>`select city, schema_name from public.civicops_city`.execute(
        root.db,
      );
      expect(registered.rows).toEqual([{ city: 'gainesville', schema_name: 'public' }]);
      expect(await countIn(root, 'public')).toBe(GAINESVILLE_TICKETS);
    });
  }, 60_000);

  it("ingests a second city into its own schema, leaving the first city's rows where they were", async () => {
    const ingest = await cli(['ingest', '--json'], { CIVICOPS_CITY: 'chicago', SOCRATA_BASE_URL: chicagoApi.baseUrl });
    expect(ingest.stderr).not.toContain('civicops ingest:');
    expect(ingest.code).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ inserted: CHICAGO_TICKETS, quarantined: 1 });
    expect(chicagoApi.requests.length).toBeGreaterThan(0);
    await withRoot(async (root) => {
      const registered = await sql<{ city: string; schema_name: string }>`
        select city, schema_name from public.civicops_city order by city`.execute(root.db);
      // The pre-registry warehouse was named after the dataset its ingest runs read, not after the city that asked.
      expect(registered.rows).toEqual([
        { city: 'chicago', schema_name: 'city_chicago' },
        { city: 'gainesville', schema_name: 'public' },
      ]);
      expect(await countIn(root, 'public')).toBe(GAINESVILLE_TICKETS);
      expect(await countIn(root, 'city_chicago')).toBe(CHICAGO_TICKETS);
      const quarantined = await sql<{ n: number }>`select count(*)::int as n from city_chicago.ingest_quarantine`.execute(root.db);
      expect(quarantined.rows[0]?.n).toBe(1);
    });
  }, 60_000);

  it('refuses to guess between two cities: one line naming them and the way to choose', async () => {
    const report = await cli(['report', '--json']);
    expect(report.code).not.toBe(0);
    expect(report.stdout).toBe('');
    expect(report.stderr.trim()).toBe(
      'civicops report: This warehouse holds 2 cities (gainesville, chicago): name one with --city NAME or CIVICOPS_CITY.',
    );
  });

  it("reports each city's own tickets under --city and CIVICOPS_CITY", async () => {
    const ticketsOf = (stdout: string) =>
      (JSON.parse(stdout) as { types: { current: { tickets: number } }[] }).types.reduce((sum, type) => sum + type.current.tickets, 0);
    const chicago = await cli(['report', '--json', '--since', '2023-01-01', '--until', '2024-06-30', '--city', 'chicago']);
    expect(chicago.stderr).toBe('');
    expect(ticketsOf(chicago.stdout)).toBe(CHICAGO_TICKETS);
    const gainesville = await cli(['report', '--json', '--since', '2023-01-01', '--until', '2024-06-30'], { CIVICOPS_CITY: 'gainesville' });
    expect(ticketsOf(gainesville.stdout)).toBe(GAINESVILLE_TICKETS);
    expect(JSON.parse(chicago.stdout).timeZone).toBe('America/Chicago');
    expect(JSON.parse(gainesville.stdout).timeZone).toBe('America/New_York');
  }, 60_000);

  it('migrates every city and says which schema each lives in', async () => {
    const result = await cli(['migrate']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^gainesville \(schema public\): up to date \(\d+ migrations applied earlier\)$/);
    expect(lines[2]).toMatch(/^chicago \(schema city_chicago\): up to date \(\d+ migrations applied earlier\)$/);
  }, 60_000);

  describe("the server hands a named city's requests to that city", () => {
    let root: Warehouse;
    let app: App;
    let base: string;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      const config = loadConfig(baseEnv, 'gainesville');
      root = await openWarehouse(config.database);
      app = createApp({ config, logger, warehouse: root });
      const server = await app.server();
      const bound = await server.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${bound.port}`;
    }, 60_000);
    afterAll(async () => {
      await app?.close();
    });

    it('lists both cities, marking its own', async () => {
      const own = await get('/api/v1/filters');
      expect(own.status).toBe(200);
      expect(own.body.cities).toEqual([
        { value: 'gainesville', label: 'Gainesville, FL', current: true },
        { value: 'chicago', label: 'Chicago', current: false },
      ]);
      const other = await get('/api/v1/filters?city=chicago');
      expect((other.body.cities as { value: string; current: boolean }[]).find((city) => city.current)?.value).toBe('chicago');
    }, 60_000);

    it("answers /api/v1 from the named city's tickets", async () => {
      const totalOf = async (path: string) => {
        const reply = await get(path);
        expect(reply.status, JSON.stringify(reply.body)).toBe(200);
        return (reply.body as { figures: { tickets: { value: number } } }).figures.tickets.value;
      };
      expect(await totalOf('/api/v1/summary?since=2023-01-01&until=2024-06-30')).toBe(GAINESVILLE_TICKETS);
      expect(await totalOf('/api/v1/summary?since=2023-01-01&until=2024-06-30&city=chicago')).toBe(CHICAGO_TICKETS);
    }, 60_000);

    it('takes an Open311 jurisdiction_id as the city', async () => {
      const services = await fetch(`${base}/open311/v2/services.json?jurisdiction_id=chicago`);
      expect(services.status).toBe(200);
      const codes = ((await services.json()) as { service_code: string }[]).map((service) => service.service_code);
      const chicagoTypes = new Set(chicagoRows.map((row) => canonicalTypeKey(String(row.sr_type))));
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.filter((code) => !chicagoTypes.has(code))).toEqual([]);
    }, 60_000);

    it('answers a city the warehouse does not hold with a 404 that says where the cities are listed', async () => {
      const unknown = await get('/api/v1/summary?city=boston');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({
        error: { code: 'UNKNOWN_CITY', message: 'This warehouse holds no city "boston"; GET /api/v1/filters lists its cities.' },
      });
    });

    it('documents the city parameter on every city-scoped operation', async () => {
      const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { parameters?: { $ref?: string }[] }>>;
        components: { parameters: Record<string, { name: string; in: string }> };
      };
      expect(document.components.parameters.City).toMatchObject({ name: 'city', in: 'query' });
      for (const path of ['/api/v1/summary', '/api/v1/worklist', '/open311/v2/requests.{format}', '/score_ticket']) {
        expect((document.paths[path]?.get ?? document.paths[path]?.post)?.parameters, path).toContainEqual({
          $ref: '#/components/parameters/City',
        });
      }
    });
  });
  describe('Slack answers /sla for the city the command names', () => {
    let app: App;
    let slack: FakeSlack;
    let eventsUrl: string;
    const SIGNING_SECRET = 'multi-city-signing-secret';

    async function command(text: string) {
      const responseId = randomBytes(6).toString('hex');
      const body = slashCommandBody({
        command: '/sla',
        text,
        responseUrl: slack.responseUrl(responseId),
        triggerId: slack.issueTriggerId(),
      });
      const reply = await postSigned(eventsUrl, body, { secret: SIGNING_SECRET });
      expect(reply.status).toBe(200);
      return waitFor(() => slack.responsesTo(responseId)[0], `the answer to /sla ${text}`);
    }

    beforeAll(async () => {
      slack = await startFakeSlack();
      const config = loadConfig(
        { ...baseEnv, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl },
        'gainesville',
      );
      app = createApp({ config, logger, warehouse: await openWarehouse(config.database) });
      const { port } = await (await app.server()).listen(0, '127.0.0.1');
      eventsUrl = `http://127.0.0.1:${port}/slack/events`;
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await slack?.close();
    });

    it("answers city:chicago from Chicago's types, and its Share button keeps the city", async () => {
      const answer = await command('city:chicago pothole');
      expect(collectBlockText(answer.blocks)).toMatch(/^Pothole in Street Complaint — SLA \d+ h \(chicago\)/);
      const share = findButtons(answer.blocks).find((button) => button.action_id === SLA_SHARE_ACTION_ID);
      expect(JSON.parse(share?.value ?? '{}')).toMatchObject({ type: 'pothole_in_street_complaint', city: 'chicago' });

      const shareId = randomBytes(6).toString('hex');
      const body = interactionBody(
        blockActionsPayload({
          actionId: SLA_SHARE_ACTION_ID,
          value: share?.value,
          responseUrl: slack.responseUrl(shareId),
          blockId: 'sla_actions',
        }),
      );
      const click = await postSigned(eventsUrl, body, { secret: SIGNING_SECRET });
      expect(click.status).toBe(200);
      const shared = await waitFor(() => slack.responsesTo(shareId)[0], 'the shared card');
      expect(shared.response_type).toBe('in_channel');
      expect(collectBlockText(shared.blocks)).toMatch(/^Pothole in Street Complaint — SLA \d+ h \(chicago\)/);
    }, 60_000);

    it("answers without a city for the app's own city, and a city the warehouse lacks in one line", async () => {
      const own = await command('pothole');
      // Gainesville has no "pothole" type: the did-you-mean reply lists Gainesville's types, not Chicago's.
      expect(collectBlockText(own.blocks)).not.toContain('Pothole in Street Complaint');
      const unknown = await command('city:boston pothole');
      expect(unknown.text).toBe(':warning: This warehouse holds no city "boston" (its cities: gainesville, chicago).');
    }, 60_000);
  });
});
