import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCatalog } from '../src/cli/command-catalog.js';
import type { CliCommand } from '../src/cli/command.js';
import { runCli } from '../src/cli/main.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { Capture } from './helpers/capture.js';

const logger = createLogger({ level: 'silent' });

/** Examples not run here, and why: each needs a server, Slack or the live city API. */
const NOT_RUN: Record<string, string> = {
  'civicops serve': 'runs an HTTP server until stopped (test/api.serve.test.ts)',
  'civicops digest': 'posts to Slack (needs SLACK_BOT_TOKEN and DIGEST_CHANNEL; test/slack.digest.test.ts)',
  'civicops alerts': 'posts to Slack (needs SLACK_BOT_TOKEN and ALERT_CHANNEL; test/slack.alerts.test.ts)',
  'civicops ingest': 'calls the live city API (test/ingest.socrata.test.ts uses a loopback fake)',
  'civicops jobs run ingest': 'calls the live city API (test/jobs.cli.test.ts uses a loopback fake)',
  'civicops city detect data.cityofchicago.org v6vf-nfxy --time-zone America/Chicago':
    'calls the live city API (test/cli.city.test.ts uses a loopback fake)',
  'civicops city detect data.austintexas.gov xwdj-i9he --name austin-2 --write cities/austin-2.json':
    'calls the live city API and writes into cities/ (test/cli.city.test.ts uses a loopback fake)',
};

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

  async function run(argv: string[]) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(argv, {
      env: { CIVICOPS_DATA_DIR: outDir, LOG_LEVEL: 'silent' },
      stdout,
      stderr,
      logger,
      openWarehouse: async () => ({ ...warehouse, close: async () => {} }),
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
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
  }, 240_000);
  afterAll(async () => {
    await warehouse?.dispose();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('exits 0 for each one that needs no server, Slack or live API; the skipped ones are listed', async () => {
    const failures: string[] = [];
    const ran: string[] = [];
    for (const command of commands) {
      for (const example of helpExamples(command)) {
        if (NOT_RUN[example]) continue;
        // Files the examples write go to a temporary folder, not the working directory.
        const argv = shellWords(example)
          .slice(1)
          .map((word, index, words) => (['--out', '--charts-dir'].includes(words[index - 1] ?? '') ? join(outDir, word) : word));
        const result = await run(argv);
        ran.push(example);
        if (result.code !== 0) failures.push(`${example} → exit ${result.code}: ${result.stderr.trim()}`);
      }
    }
    expect(failures).toEqual([]);
    expect(ran).toContain('civicops sla pothole --since 2023-04-01 --until 2023-06-30 --json');
    expect(ran.length).toBeGreaterThan(12);
    // Only the examples named in NOT_RUN are skipped.
    const all = commands.flatMap(helpExamples);
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
