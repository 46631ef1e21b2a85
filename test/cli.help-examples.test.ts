import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCatalog } from '../src/cli/command-catalog.js';
import type { CliCommand } from '../src/cli/command.js';
import { runCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { Capture } from './helpers/capture.js';

const logger = createLogger({ level: 'silent' });

/** Examples not run here, and why. Every example runs today; one that truly cannot would be named here. */
const NOT_RUN: Record<string, string> = {};

/** The loopback fakes the examples below talk to instead of Slack and the city portals. */
interface Loopback {
  slack: FakeSlack;
  /** Gainesville (78uv-94ar), the default city, serving rows of the bundled snapshot. */
  gainesville: FakeSoda;
  chicago: FakeSoda;
  austin: FakeSoda;
}

/** How an example that needs a server, Slack or a city API runs here. */
interface LoopbackRun {
  /** Settings added to the example's environment. */
  env?: Record<string, string>;
  /** Words of the example replaced, e.g. a portal host by the fake's URL. */
  words?: Record<string, string>;
  /** The fake the example must reach (a run that reached none proves nothing). */
  reaches?: { requests: number };
  /** What it must print, when reaching a fake is not the proof. */
  prints?: RegExp;
  /** A server: stopped, as by Ctrl-C, once it answers GET /healthz. */
  untilHealthy?: true;
}

const slackEnv = (slack: FakeSlack, channelSetting: string) => ({
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
  [channelSetting]: CHANNEL_ID,
});
const slackRequests = (slack: FakeSlack) => ({
  get requests() {
    return slack.calls.length;
  },
});
const sodaRequests = (soda: FakeSoda) => ({
  get requests() {
    return soda.requests.length;
  },
});

/** Example → the environment (and fake) it runs with; every other example needs nothing. */
const ON_LOOPBACK: Record<string, (fakes: Loopback) => LoopbackRun> = {
  'civicops serve': () => ({ env: { PORT: '0' }, untilHealthy: true }),
  'civicops digest': ({ slack }) => ({ env: slackEnv(slack, 'DIGEST_CHANNEL'), reaches: slackRequests(slack) }),
  // Today the 2023 snapshot has no ticket from the last 7 days, so a real run posts nothing; without
  // the Slack settings it would exit 1 ("Cannot post alerts: SLACK_BOT_TOKEN and ALERT_CHANNEL are not set").
  'civicops alerts': ({ slack }) => ({
    env: slackEnv(slack, 'ALERT_CHANNEL'),
    prints: /^No new high-risk tickets \(scored \d+; threshold 0\.7\)\.$/m,
  }),
  'civicops ingest': ({ gainesville }) => ({ env: { SOCRATA_BASE_URL: gainesville.baseUrl }, reaches: sodaRequests(gainesville) }),
  // The ingest job is followed by the alerts job.
  'civicops jobs run ingest': ({ gainesville, slack }) => ({
    env: { SOCRATA_BASE_URL: gainesville.baseUrl, ...slackEnv(slack, 'ALERT_CHANNEL') },
    reaches: sodaRequests(gainesville),
  }),
  'civicops city detect data.cityofchicago.org v6vf-nfxy --time-zone America/Chicago': ({ chicago }) => ({
    words: { 'data.cityofchicago.org': chicago.baseUrl },
    reaches: sodaRequests(chicago),
  }),
  'civicops city detect data.austintexas.gov xwdj-i9he --name austin-2 --write cities/austin-2.json': ({ austin }) => ({
    words: { 'data.austintexas.gov': austin.baseUrl },
    reaches: sodaRequests(austin),
  }),
};

/** Options whose value is a path: the examples' files go to a temporary folder, not the working directory. */
const PATH_OPTIONS = ['--out', '--charts-dir', '--write'];
const CHANNEL_ID = 'C0CIVIC311';

/** The fakes, each on 127.0.0.1: Slack, and the Gainesville, Chicago and Austin portals. */
async function startLoopback(): Promise<Loopback> {
  const snapshotRows = (await readSodaSnapshot(bundledSnapshotPath)).slice(0, 200) as Record<string, unknown>[];
  const chicago = loadConfig({ CIVICOPS_CITY: 'chicago' }).city;
  return {
    slack: await startFakeSlack({ channels: [{ id: CHANNEL_ID, name: 'sla-ops' }] }),
    gainesville: await startFakeSoda({ rows: snapshotRows }),
    chicago: await startFakeSoda({
      rows: await readFixture('chicago'),
      dataset: 'v6vf-nfxy',
      idField: 'sr_number',
      view: {
        name: '311 Service Requests',
        columns: chicago.columns.map((fieldName) => ({ fieldName, dataTypeName: CHICAGO_TYPES[fieldName] ?? 'text' })),
      },
    }),
    austin: await startFakeSoda({ rows: await readFixture('austin'), dataset: 'xwdj-i9he', idField: 'sr_number' }),
  };
}

/** Socrata types of the Chicago columns that are not text, as the portal's metadata gives them. */
const CHICAGO_TYPES: Record<string, string> = {
  created_date: 'calendar_date',
  last_modified_date: 'calendar_date',
  closed_date: 'calendar_date',
  latitude: 'number',
  longitude: 'number',
  location: 'point',
};

async function readFixture(city: string): Promise<Record<string, unknown>[]> {
  return JSON.parse(await readFile(new URL(`./fixtures/cities/${city}.json`, import.meta.url), 'utf8')) as Record<string, unknown>[];
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let value = probe(); ; value = probe()) {
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Splits a shell line into words, honouring single and double quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]);
  return words;
}

/** Every `  civicops …` line of every command's --help, without its trailing "(comment)". */
function helpExamples(command: CliCommand): string[] {
  return (command.details ?? '')
    .split('\n')
    .filter((line) => line.startsWith('  civicops '))
    .map((line) => line.replace(/\s{2,}\(.*\)\s*$/, '').trim());
}

let commands: CliCommand[] = [];

describe('civicops --help', () => {
  beforeAll(async () => {
    commands = await Promise.all(commandCatalog.map((entry) => entry.load()));
  });

  it('lists each command with the summary of its module (loaded lazily)', () => {
    expect(commandCatalog.map((entry) => [entry.name, entry.summary])).toEqual(commands.map((command) => [command.name, command.summary]));
  });

  it('gives examples for the commands people type first', () => {
    const all = commands.flatMap(helpExamples);
    expect(all).toContain('civicops sla pothole --since 2023-04-01 --until 2023-06-30 --json');
    expect(all.length).toBeGreaterThan(15);
  });
});

describe.each(engines)('every example in every --help runs on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let outDir: string;
  let fakes: Loopback | undefined;

  function start(argv: string[], env: Record<string, string> = {}) {
    const stdout = new Capture();
    const stderr = new Capture();
    const exited = runCli(argv, {
      // The city API and Slack point at loopback fakes for every example, so none can reach the internet.
      env: {
        CIVICOPS_DATA_DIR: outDir,
        LOG_LEVEL: 'silent',
        SOCRATA_BASE_URL: fakes?.gainesville.baseUrl,
        SOCRATA_MAX_RETRIES: '0',
        SLACK_API_URL: fakes?.slack.apiUrl,
        ...env,
      },
      stdout,
      stderr,
      logger,
      openWarehouse: async () => ({ ...warehouse, close: async () => {} }),
    });
    return { exited, stdout, stderr };
  }

  async function run(argv: string[], env: Record<string, string> = {}) {
    const { exited, stdout, stderr } = start(argv, env);
    const code = await exited;
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** Runs a server example until it answers GET /healthz, then stops it as SIGTERM would. */
  async function runUntilHealthy(argv: string[], env: Record<string, string>) {
    const before = new Set(process.listeners('SIGTERM'));
    const { exited, stdout, stderr } = start(argv, env);
    let healthz: number | undefined;
    const port = await Promise.race([
      waitFor(() => /listening on http:\/\/[^:]+:(\d+)/.exec(stdout.text)?.[1], 'the server to listen'),
      exited.then((code) => {
        throw new Error(`exited ${code} before listening: ${stderr.text.trim()}`);
      }),
    ]);
    try {
      healthz = (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
    } finally {
      // Call only the listener the command added: emitting SIGTERM would also reach the test worker's own.
      for (const listener of process.listeners('SIGTERM')) if (!before.has(listener)) listener('SIGTERM');
    }
    const code = await exited;
    return { code, stdout: stdout.text, stderr: stderr.text, healthz };
  }

  beforeAll(async () => {
    commands = await Promise.all(commandCatalog.map((entry) => entry.load()));
    outDir = await mkdtemp(join(tmpdir(), 'civicops-examples-'));
    warehouse = await createTestWarehouse(name);
    const timeZone = 'America/New_York';
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    fakes = await startLoopback();
  }, 240_000);
  afterAll(async () => {
    await Promise.all([fakes?.slack.close(), fakes?.gainesville.close(), fakes?.chicago.close(), fakes?.austin.close()]);
    await warehouse?.dispose();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('exits 0 for each one, those needing a server, Slack or a city API against loopback fakes; the skipped ones are listed', async () => {
    const failures: string[] = [];
    const ran: string[] = [];
    for (const command of commands) {
      for (const example of helpExamples(command)) {
        if (NOT_RUN[example]) continue;
        const loopback = ON_LOOPBACK[example]?.(fakes!);
        const argv = shellWords(example)
          .slice(1)
          .map((word) => loopback?.words?.[word] ?? word)
          .map((word, index, words) => (PATH_OPTIONS.includes(words[index - 1] ?? '') ? join(outDir, word) : word));
        const requestsBefore = loopback?.reaches?.requests ?? 0;
        const result = loopback?.untilHealthy ? await runUntilHealthy(argv, loopback.env ?? {}) : await run(argv, loopback?.env);
        ran.push(example);
        if (result.code !== 0) failures.push(`${example} → exit ${result.code}: ${result.stderr.trim()}`);
        if ('healthz' in result && result.healthz !== 200) failures.push(`${example} → GET /healthz answered ${result.healthz}`);
        if (loopback?.reaches && loopback.reaches.requests === requestsBefore)
          failures.push(`${example} → never reached its loopback fake`);
        if (loopback?.prints && !loopback.prints.test(result.stdout))
          failures.push(`${example} → printed ${JSON.stringify(result.stdout)}`);
      }
    }
    expect(failures).toEqual([]);
    // The digest posted to the fake channel; detect --write wrote its profile under the temporary folder.
    expect(fakes!.slack.messagesIn(CHANNEL_ID).length).toBeGreaterThan(0);
    expect(existsSync(join(outDir, 'cities/austin-2.json'))).toBe(true);
    expect(ran).toContain('civicops sla pothole --since 2023-04-01 --until 2023-06-30 --json');
    expect(ran.length).toBeGreaterThan(12);
    // Only the examples named in NOT_RUN are skipped, and the loopback table names only real examples.
    const all = commands.flatMap(helpExamples);
    expect(Object.keys(ON_LOOPBACK).filter((example) => !all.includes(example))).toEqual([]);
    expect(all.filter((example) => !ran.includes(example)).sort()).toEqual(
      Object.keys(NOT_RUN)
        .filter((e) => all.includes(e))
        .sort(),
    );
  }, 600_000);

  it('civicops sla pothole resolves to Road Repair through the city aliases', async () => {
    const { code, stdout } = await run(['sla', 'pothole', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trimEnd().split('\n').pop() ?? '{}');
    expect(report.displayName).toBe('Road Repair');
  }, 60_000);

  it('an unknown type gets only relevant suggestions, or none', async () => {
    const gibberish = await run(['sla', 'xyzzy']);
    expect(gibberish.code).toBe(1);
    expect(gibberish.stderr).toBe('civicops sla: Unknown request type "xyzzy".\n');
    const trash = await run(['sla', 'trash']);
    expect(trash.stderr.trim().split('\n')).toHaveLength(1);
    expect(trash.stderr).toMatch(/Did you mean: Trash\/Debris \((Public|Private) Property\), Trash\/Debris/);
    const parking = await run(['sla', 'parking garage']);
    expect(parking.stderr).not.toMatch(/Other|Say Thanks|Abandoned Vehicle/);
    expect(parking.stderr).toMatch(/Did you mean: .*Parking Enforcement/);
  }, 60_000);

  it('sla, report and chart default to the last event of the data and say so', async () => {
    const text = await run(['report']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^The data ends 2023-07-\d\dT.*: figures are as of 2023-07-.*, not today\.$/);
    expect(text.stdout).toMatch(/tickets created 2023-04-\d\d → 2023-07-\d\d/);
    expect(text.stdout).not.toContain('No tickets were created');
    const json = await run(['sla', 'road repair', '--json']);
    const sla = JSON.parse(json.stdout.trimEnd().split('\n').pop() ?? '{}');
    expect(sla).toMatchObject({ stale: true, as_of: sla.data_through });
    expect(sla.data_through).toMatch(/^2023-07-/);
    expect(sla.notice).toContain('not today');
    const reportJson = JSON.parse((await run(['report', '--json'])).stdout.trimEnd().split('\n').pop() ?? '{}');
    expect(reportJson).toMatchObject({ stale: true, data_through: sla.data_through, as_of: sla.data_through });
    // The snapshot's last 90 days hold tickets; the old default (up to today) held none.
    expect(reportJson.types.some((type: { current: { tickets: number } }) => type.current.tickets > 0)).toBe(true);
    const chart = await run(['chart', 'volume', '--out', join(outDir, 'default.png')]);
    expect(chart.code).toBe(0);
    expect(chart.stdout).toContain('not today');
    // An explicit --until wins over the clock.
    const explicit = JSON.parse(
      (await run(['sla', 'road repair', '--json', '--until', '2023-06-30'])).stdout.trimEnd().split('\n').pop() ?? '{}',
    );
    expect(explicit.stale).toBe(false);
    expect(explicit.current.until).toBe('2023-07-01T04:00:00.000Z');
  }, 120_000);

  it('digest --dry-run and alerts --dry-run default to the data clock; --date and --as-of win', async () => {
    const digest = JSON.parse((await run(['digest', '--dry-run', '--json'])).stdout.trimEnd().split('\n').pop() ?? '{}');
    expect(digest.stale).toBe(true);
    expect(digest.date).toMatch(/^2023-07-0\d$/);
    expect(digest.notice).toContain('not today');
    const text = await run(['digest', '--dry-run']);
    expect(text.stdout.split('\n')[0]).toContain('not today');
    const explicit = JSON.parse(
      (await run(['digest', '--dry-run', '--json', '--date', '2023-06-01'])).stdout.trimEnd().split('\n').pop() ?? '{}',
    );
    expect(explicit.date).toBe('2023-06-01');
    expect(explicit.stale).toBeUndefined();
    const alerts = JSON.parse((await run(['alerts', '--dry-run', '--json'])).stdout.trimEnd().split('\n').pop() ?? '{}');
    expect(alerts).toMatchObject({ stale: true, dryRun: true });
    expect(alerts.candidates).toBeGreaterThan(0);
  }, 180_000);
});
