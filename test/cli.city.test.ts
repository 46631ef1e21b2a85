import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { startFakeSoda, type FakeSoda, type SodaView } from '../src/testing/fake-soda.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { Capture } from './helpers/capture.js';

const logger = createLogger({ level: 'silent' });
type Row = Record<string, unknown>;
const chicagoRows = JSON.parse(await readFile(new URL('./fixtures/cities/chicago.json', import.meta.url), 'utf8')) as Row[];
const austinRows = JSON.parse(await readFile(new URL('./fixtures/cities/austin.json', import.meta.url), 'utf8')) as Row[];
const chicago = loadConfig({ CIVICOPS_CITY: 'chicago' }).city;

/** Socrata types of the Chicago columns, as the portal's /api/views/v6vf-nfxy.json gives them. */
const CHICAGO_TYPES: Record<string, string> = {
  created_date: 'calendar_date',
  last_modified_date: 'calendar_date',
  closed_date: 'calendar_date',
  duplicate: 'checkbox',
  legacy_record: 'checkbox',
  latitude: 'number',
  longitude: 'number',
  x_coordinate: 'number',
  y_coordinate: 'number',
  location: 'point',
};

async function run(argv: string[], env: Record<string, string> = {}, warehouse?: TestWarehouse) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    env: { LOG_LEVEL: 'silent', SOCRATA_MAX_RETRIES: '0', ...env },
    stdout,
    stderr,
    logger,
    ...(warehouse ? { openWarehouse: async () => ({ ...warehouse, close: async () => {} }) } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('the loopback SODA fake answers /api/views/{id}.json', () => {
  let fake: FakeSoda;
  afterAll(async () => fake?.close());

  it('with the columns a test gives, in the real view shape', async () => {
    fake = await startFakeSoda({
      rows: chicagoRows,
      dataset: 'v6vf-nfxy',
      idField: 'sr_number',
      view: {
        name: '311 Service Requests',
        columns: chicago.columns.map((fieldName) => ({ fieldName, dataTypeName: CHICAGO_TYPES[fieldName] ?? 'text' })),
      },
    });
    const response = await fetch(`${fake.baseUrl}/api/views/v6vf-nfxy.json`);
    expect(response.status).toBe(200);
    const view = (await response.json()) as SodaView;
    expect(view).toMatchObject({ id: 'v6vf-nfxy', name: '311 Service Requests', assetType: 'dataset', viewType: 'tabular' });
    expect(view.columns.map((column) => column.fieldName)).toEqual(chicago.columns);
    expect(view.columns.find((column) => column.fieldName === 'created_date')).toMatchObject({
      name: 'Created Date',
      dataTypeName: 'calendar_date',
      renderTypeName: 'calendar_date',
      position: 8,
    });
    const missing = await fetch(`${fake.baseUrl}/api/views/xxxx-0000.json`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 'not_found', error: true, message: 'Cannot find view with id xxxx-0000' });
    await fake.close();
  });
});

describe.each(engines)('civicops city on $name', ({ name: engine }) => {
  let fake: FakeSoda;
  let dir: string;
  let warehouse: TestWarehouse;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'civicops-city-'));
    warehouse = await createTestWarehouse(engine);
    fake = await startFakeSoda({
      rows: chicagoRows,
      dataset: 'v6vf-nfxy',
      idField: 'sr_number',
      view: {
        name: '311 Service Requests',
        columns: chicago.columns.map((fieldName) => ({ fieldName, dataTypeName: CHICAGO_TYPES[fieldName] ?? 'text' })),
      },
    });
  });
  afterAll(async () => {
    await fake?.close();
    await warehouse?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('list shows the six shipped profiles and marks the one CIVICOPS_CITY picks', async () => {
    const text = await run(['city', 'list'], { CIVICOPS_CITY: 'austin' });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\* austin +data\.austintexas\.gov\/xwdj-i9he +America\/Chicago/m);
    const json = JSON.parse((await run(['city', 'list', '--json'])).stdout);
    expect(json.active).toBe('gainesville');
    expect(json.cities.map((city: { name: string }) => city.name)).toEqual([
      'austin',
      'chicago',
      'gainesville',
      'los-angeles',
      'new-york',
      'san-francisco',
    ]);
  });

  it("detect proposes Chicago's mapping from its metadata and a page of rows, and says what it could not map", async () => {
    const { code, stdout, stderr } = await run([
      'city',
      'detect',
      fake.baseUrl,
      'v6vf-nfxy',
      '--time-zone',
      'America/Chicago',
      '--name',
      'chicago-test',
    ]);
    expect(code).toBe(0);
    const proposal = JSON.parse(stdout);
    const core = [
      'id',
      'createdAt',
      'closedAt',
      'updatedAt',
      'requestType',
      'status',
      'latitude',
      'longitude',
      'point',
      'address',
      'district',
    ] as const;
    for (const field of core) expect(proposal.fields[field], field).toBe(chicago.fields[field]);
    expect(proposal.fields.description).toBeUndefined();
    expect(proposal).toMatchObject({
      name: 'chicago-test',
      dataset: 'v6vf-nfxy',
      timeZone: 'America/Chicago',
      timestampFormats: ['floating'],
    });
    expect(proposal.statuses.closed.sort()).toEqual(['Canceled', 'Completed']);
    expect(proposal.statuses.open).toEqual(['Open']);
    expect(proposal.sources.fields.createdAt).toBe("created_date: 'Created Date' [calendar_date]");
    expect(stderr).toContain('Could not map: description');
    const paths = fake.requests.map((request) => request.path);
    expect(paths).toEqual(['/api/views/v6vf-nfxy.json', '/resource/v6vf-nfxy.json']);
  });

  it('detect --write saves a profile that loads, and CIVICOPS_CITY=<file> ingests the city with it', async () => {
    const path = join(dir, 'chicago-test.json');
    const written = await run(['city', 'detect', fake.baseUrl, 'v6vf-nfxy', '--time-zone', 'America/Chicago', '--write', path]);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`Wrote ${path}`);
    const again = await run(['city', 'detect', fake.baseUrl, 'v6vf-nfxy', '--write', path]);
    expect(again).toMatchObject({ code: 2, stderr: `civicops city: ${path} exists; add --force to replace it\n` });
    const env = { CIVICOPS_CITY: path, SOCRATA_BASE_URL: fake.baseUrl, CIVICOPS_DATA_DIR: dir };
    const ingest = await run(['ingest', '--json'], env, warehouse);
    expect(ingest.code, ingest.stderr).toBe(0);
    const summary = JSON.parse(ingest.stdout.trimEnd().split('\n').pop()!);
    expect(summary).toMatchObject({ fetched: chicagoRows.length, quarantined: 1 });
  });

  it('detect guesses column types from the rows when the metadata has none to give, and exits 1 without a required field', async () => {
    const austin = await startFakeSoda({ rows: austinRows, dataset: 'xwdj-i9he', idField: 'sr_number' });
    try {
      const ok = await run(['city', 'detect', austin.baseUrl, 'xwdj-i9he', '--time-zone', 'America/Chicago']);
      expect(ok.code, ok.stderr).toBe(0);
      const proposal = JSON.parse(ok.stdout);
      expect(proposal.fields).toMatchObject({
        id: 'sr_number',
        createdAt: 'sr_created_date',
        status: 'sr_status_desc',
        latitude: 'sr_location_lat',
      });
      austin.setRows(austinRows.map(({ sr_status_desc: _status, ...rest }) => rest));
      const missing = await run(['city', 'detect', austin.baseUrl, 'xwdj-i9he']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('Could not map: status');
      expect(missing.stderr).toContain('timeZone: not in the dataset metadata');
      const refused = await run(['city', 'detect', austin.baseUrl, 'xwdj-i9he', '--write', join(dir, 'x.json')]);
      expect(refused.stderr).toContain('Not written: no column for fields.status');
    } finally {
      await austin.close();
    }
  });

  it('a bad profile stops the CLI with one line naming the file and the key', async () => {
    const path = join(dir, 'broken.json');
    const { createdAt: _created, ...fields } = chicago.fields;
    await writeFile(path, JSON.stringify({ ...chicago, name: 'broken', fields }));
    const { code, stderr } = await run(['city', 'list'], { CIVICOPS_CITY: path });
    expect(code).toBe(2);
    expect(stderr).toBe(`civicops: ${path}: fields.createdAt is required\n`);
    const unknown = await run(['city', 'list'], { CIVICOPS_CITY: 'boston' });
    expect(unknown.stderr).toMatch(
      /^civicops: CIVICOPS_CITY: no profile "boston" in cities\/? \(shipped: austin, chicago, gainesville, los-angeles, new-york, san-francisco;/,
    );
  });
});
