import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { jobsCommand } from '../src/cli/commands/jobs.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { InputError } from '../src/shared/errors.js';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import type { AppOverrides } from '../src/main.js';

const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(new URL('./fixtures/soda-rows-1200.json', import.meta.url), 'utf8'));
const TOKEN = 'jobs-cli-token';

describe.each(engines)('civicops jobs on $name', ({ name }) => {
  let fake: FakeSoda;
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    fake = await startFakeSoda({ rows: sampleRows.slice(0, 300), requiredAppToken: TOKEN, updatedAt: new Date('2024-01-01T00:00:00Z') });
  });
  afterAll(async () => fake?.close());
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  async function jobs(positionals: string[], values: Record<string, string | boolean> = {}, overrides: AppOverrides = {}) {
    let stdout = '';
    const context: CliContext = withTestApp(
      {
        config: loadConfig({
          SOCRATA_BASE_URL: fake.baseUrl,
          SOCRATA_APP_TOKEN: TOKEN,
          SOCRATA_PAGE_SIZE: '100',
          SOCRATA_MAX_RETRIES: '0',
        }),
        logger: createLogger({ level: 'silent' }),
        stdout: new Writable({
          write: (chunk, _encoding, done) => {
            stdout += String(chunk);
            done();
          },
        }),
        stderr: new Writable({ write: (_chunk, _encoding, done) => done() }),
      },
      warehouse,
      overrides,
    );
    const code = await jobsCommand.run({ values, positionals }, context);
    return { code, stdout };
  }

  it('`jobs run ingest` ingests from the city API, then runs alerts, and records both', async () => {
    let alertRuns = 0;
    const overrides: AppOverrides = { jobs: { alerts: async () => ({ scored: ++alertRuns }) } };
    const { code, stdout } = await jobs(['run', 'ingest'], { json: true }, overrides);
    expect(code).toBe(0);
    const { outcomes } = JSON.parse(stdout) as { outcomes: { job: string; status: string; counts: Record<string, unknown> }[] };
    expect(outcomes).toMatchObject([
      { job: 'ingest', status: 'succeeded', counts: { fetched: 300, mode: 'full' } },
      { job: 'alerts', status: 'succeeded', counts: { scored: 1 } },
    ]);
    const facts = await warehouse.db
      .selectFrom('fact_ticket')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(facts.n)).toBeGreaterThan(250);

    const only = await jobs(['run', 'ingest'], { only: true }, overrides);
    expect(only.code).toBe(0);
    expect(only.stdout).toMatch(/^ingest: succeeded in .*fetched=0/);
    expect(alertRuns).toBe(1);

    const history = await jobs(['history'], { limit: '10' });
    expect(
      history.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/).slice(2, 5)),
    ).toEqual([
      ['ingest', 'succeeded', 'manual'],
      ['alerts', 'succeeded', 'chained'],
      ['ingest', 'succeeded', 'manual'],
    ]);
  });

  it('`jobs run` of a job whose settings are missing, or of an unknown job, says so clearly', async () => {
    await expect(jobs(['run', 'digest'])).rejects.toThrow(
      new InputError('Job "digest" is off here: set SLACK_BOT_TOKEN and DIGEST_CHANNEL to run it.'),
    );
    await expect(jobs(['run', 'reindex'])).rejects.toThrow(/Unknown job "reindex"/);
    expect(await warehouse.db.selectFrom('job_run').selectAll().execute()).toEqual([]);
  });

  it('a failed `jobs run` exits 1 with the cause; `jobs list` shows schedules and what this build has', async () => {
    fake.fault({ kind: 'status', status: 500, times: 3 });
    const failed = await jobs(['run', 'ingest']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ingest: FAILED .*HTTP 500/);
    fake.clearFaults();

    const list = await jobs(['list'], { json: true }, { jobs: { digest: async () => ({}) } });
    const { jobs: rows } = JSON.parse(list.stdout) as {
      jobs: { job: string; available: boolean; missing: string[]; cron: string | null }[];
    };
    expect(rows.map((row) => [row.job, row.available, row.cron])).toEqual([
      ['ingest', true, '*/15 * * * *'],
      ['alerts', false, null],
      ['train', true, '30 2 * * *'],
      ['digest', true, '0 8 * * *'],
    ]);
    expect(rows.find((row) => row.job === 'alerts')?.missing).toEqual(['SLACK_BOT_TOKEN', 'ALERT_CHANNEL']);
    const text = await jobs(['list']);
    expect(text.stdout).toMatch(/^alerts\s+\[off: set SLACK_BOT_TOKEN and ALERT_CHANNEL\] after ingest/m);
  });
});
