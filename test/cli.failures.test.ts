import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previousBacklogInstant, previousWindow } from '../src/analytics/report-window.js';
import { runCli, type RunCliOptions } from '../src/cli/main.js';
import { parseIntegerOption } from '../src/cli/parse-integer-option.js';
import { InputError } from '../src/shared/errors.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';
import { Capture } from './helpers/capture.js';

const silent = createLogger({ level: 'silent' });
let dataDir: string;

async function run(argv: string[], env: Record<string, string> = {}, options: Partial<RunCliOptions> & { tty?: boolean } = {}) {
  const stdout = new Capture();
  const stderr = new Capture({ tty: options.tty });
  const code = await runCli(argv, {
    env: { CIVICOPS_DATA_DIR: dataDir, ...env },
    stdout,
    stderr,
    // The logger is built from LOG_LEVEL (onto stderr, readable lines on a "terminal") unless a test passes one.
    ...(options.tty ? {} : { logger: silent }),
    ...(options.openWarehouse ? { openWarehouse: options.openWarehouse } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text, lines: stderr.text.trimEnd().split('\n') };
}

/** One line on stderr, no stack frame in it. */
function expectOneLine(result: { stderr: string; lines: string[] }) {
  expect(result.lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toContain('unexpected error');
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'civicops-failures-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('ordinary failures get one line, a non-zero exit and the stack only at LOG_LEVEL=debug', () => {
  const unreachable = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/civicops' };

  it('an unreachable PostgreSQL', async () => {
    const result = await run(['status'], unreachable);
    expect(result.code).toBe(1);
    expectOneLine(result);
    expect(result.lines[0]).toBe(
      'civicops status: cannot use the warehouse (PostgreSQL at 127.0.0.1:1/civicops): cannot connect (ECONNREFUSED); start PostgreSQL or check DATABASE_URL.',
    );
  }, 30_000);

  it('an unknown host', async () => {
    const result = await run(['report'], { DATABASE_URL: 'postgresql://postgres@no-such-host.invalid:5432/civicops' });
    expect(result.code).toBe(1);
    expectOneLine(result);
    expect(result.lines[0]).toMatch(
      /^civicops report: cannot use the warehouse \(PostgreSQL at no-such-host\.invalid:5432\/civicops\): host not found \((ENOTFOUND|EAI_AGAIN)\)/,
    );
  }, 30_000);

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'a database that does not exist',
    async () => {
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      url.pathname = '/civicops_no_such_database';
      const result = await run(['status'], { DATABASE_URL: url.toString() });
      expect(result.code).toBe(1);
      expectOneLine(result);
      expect(result.lines[0]).toContain('the database does not exist (3D000); start PostgreSQL or check DATABASE_URL.');
    },
    30_000,
  );

  it('shows the stack in the log with LOG_LEVEL=debug, and not at the default level', async () => {
    const quiet = await run(['status'], unreachable, { tty: true });
    expect(quiet.code).toBe(1);
    expectOneLine(quiet);
    const debug = await run(['status'], { ...unreachable, LOG_LEVEL: 'debug' }, { tty: true });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('DEBUG civicops status failed');
    expect(debug.stderr).toMatch(/"stack":".*ECONNREFUSED.*\\n\s+at /);
    expect(debug.lines[debug.lines.length - 1]).toBe(quiet.lines[0]);
  }, 30_000);

  describe('with a warehouse', () => {
    let warehouse: TestWarehouse;
    let busy: Server;
    const openWarehouse = async () => ({ ...warehouse, close: async () => {} });
    beforeAll(async () => {
      warehouse = await createTestWarehouse('pglite');
      await insertFixtureTickets(warehouse.db, generateFixtureTickets({ count: 300, start: cityTime('2023-04-01'), days: 60, seed: 5 }));
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    }, 60_000);
    afterAll(async () => {
      await new Promise((resolve) => busy?.close(resolve));
      await warehouse?.dispose();
    });

    it('a busy port', async () => {
      const port = (busy.address() as AddressInfo).port;
      const result = await run(['serve', '--port', String(port), '--host', '127.0.0.1'], {}, { openWarehouse });
      expect(result.code).toBe(1);
      expectOneLine(result);
      expect(result.lines[0]).toBe(`civicops serve: port ${port} is in use: set PORT or --port (another civicops serve may be running).`);
    }, 60_000);

    it('an --out path under a file', async () => {
      const file = join(dataDir, 'a-file.txt');
      await writeFile(file, 'not a folder');
      const out = join(file, 'charts', 'volume.png');
      const result = await run(['chart', 'volume', '--out', out, '--since', '2023-04-01', '--until', '2023-05-31'], {}, { openWarehouse });
      expect(result.code).toBe(2);
      expectOneLine(result);
      expect(result.lines[0]).toBe(`civicops chart: cannot write ${out}: ${file} is not a folder; choose another --out.`);
    }, 60_000);

    it('the city API unreachable during ingest', async () => {
      const result = await run(['ingest'], { SOCRATA_BASE_URL: 'http://127.0.0.1:1', SOCRATA_MAX_RETRIES: '0' }, { openWarehouse });
      expect(result.code).toBe(1);
      expectOneLine(result);
      expect(result.lines[0]).toMatch(
        /^civicops ingest: the city API cannot be reached \(.+\): use --from-file data\/gainesville-78uv-94ar\.sample\.json\.gz or check SOCRATA_BASE_URL\.$/,
      );
    }, 60_000);
  });
});

describe('numeric options go through one parser: bad numbers exit 2 with one line', () => {
  const neverOpened = async (): Promise<never> => {
    throw new Error('the warehouse must not be opened for a bad option');
  };

  it.each([
    [['quarantine', '--limit', 'abc'], '--limit must be a whole number from 1 to 10000 (got "abc").'],
    [['jobs', 'history', '--limit', 'abc'], '--limit must be a whole number from 1 to 1000 (got "abc").'],
    [['worklist', '--limit', 'abc'], '--limit must be a whole number from 1 to 1000 (got "abc").'],
    [['quarantine', '--limit', '2.5'], '--limit must be a whole number from 1 to 10000 (got "2.5").'],
    [['ingest', '--page-size', '10x'], '--page-size must be a whole number from 1 to 50000 (got "10x").'],
    [['serve', '--port', 'abc'], '--port must be a whole number from 0 to 65535 (got "abc").'],
  ])('civicops %j', async (argv, message) => {
    const result = await run(argv, {}, { openWarehouse: neverOpened });
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([`civicops ${argv[0]}: ${message}`]);
  });

  it('parseIntegerOption accepts whole numbers in range only', () => {
    expect(parseIntegerOption('limit', ' 20 ', { min: 1, max: 100 })).toBe(20);
    for (const bad of ['', 'abc', '1e3', '0x10', '20abc', '0', '101', '-1']) {
      expect(() => parseIntegerOption('limit', bad, { min: 1, max: 100 })).toThrow(InputError);
    }
  });
});

describe('report windows are city days on both sides of a DST change', () => {
  const timeZone = 'America/New_York';

  it('the previous window of a window after the spring change starts at city midnight', () => {
    // 2022-03-13 is the spring-forward day: the window 2022-03-13 → 2022-06-10 has a 23-hour day,
    // so the previous 90 city days are 2021-12-13 → 2022-03-12, from local midnight.
    const window = { since: cityTime('2022-03-13'), until: cityTime('2022-06-11'), now: cityTime('2022-06-11'), timeZone };
    const previous = previousWindow(window);
    expect(previous.until).toEqual(cityTime('2022-03-13'));
    expect(previous.since).toEqual(cityTime('2021-12-13'));
    expect(previous.since.toISOString()).toBe('2021-12-13T05:00:00.000Z');
    expect(previousBacklogInstant(window)).toEqual(cityTime('2022-03-13'));
  });

  it('and across the fall change', () => {
    // 2022-09-26 → 2022-12-24 (90 days) is preceded by 2022-06-28 → 2022-09-25, from local midnight (EDT).
    const window = { since: cityTime('2022-09-26'), until: cityTime('2022-12-25'), now: cityTime('2022-12-25'), timeZone };
    const previous = previousWindow(window);
    expect(previous.since).toEqual(cityTime('2022-06-28'));
    expect(previous.since.toISOString()).toBe('2022-06-28T04:00:00.000Z');
  });

  it('without a time zone it keeps the same length in milliseconds', () => {
    const since = new Date('2022-01-10T00:00:00Z');
    const previous = previousWindow({ since, until: new Date('2022-01-20T00:00:00Z') });
    expect(previous.since.toISOString()).toBe('2021-12-31T00:00:00.000Z');
  });
});
