import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/command.js';
import { forecastCommand } from '../src/cli/commands/forecast.js';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createApp } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { UnknownRequestTypeError } from '../src/shared/errors.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('civicops forecast on the 5,000 real Gainesville rows', () => {
  let warehouse: TestWarehouse;
  const config = loadConfig({});
  const logger = createLogger({ level: 'silent' });

  async function run(values: Record<string, string | boolean>) {
    const stdout = new Capture();
    const context: CliContext = {
      config,
      logger,
      stdout,
      stderr: new Capture(),
      // The command closes what it opens; the test keeps its warehouse for the next case.
      openApp: async () => createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } }),
    };
    const code = await forecastCommand.run({ values, positionals: [] }, context);
    const lines = stdout.text.trimEnd().split('\n');
    return { code, stdout: stdout.text, lines, last: lines[lines.length - 1]! };
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse('pglite');
    const rows = await readSodaSnapshot(bundledSnapshotPath);
    await ingestRows({ db: warehouse.db, logger, timeZone: config.cityTimeZone }, rows, { source: 'file:test' });
  }, 120_000);
  afterAll(async () => warehouse?.dispose());

  it('backtests the forecast: it beats seasonal-naive on MAE with sensible 80% coverage', async () => {
    const { code, last } = await run({ backtest: true, json: true });
    expect(code).toBe(0);
    const result = JSON.parse(last);
    console.info(`forecast --backtest --json on the bundled sample: ${last}`);
    expect(result).toMatchObject({ as_of: '2023-07-09', data_through: '2023-07-09', stale: true, beats_seasonal_naive: true });
    expect(result.origins).toBeGreaterThan(400);
    expect(result.model_mae).toBeLessThan(result.seasonal_naive_mae);
    expect(result.coverage_80).toBeGreaterThan(0.75);
    expect(result.coverage_80).toBeLessThan(0.97);
    expect(Math.abs(result.coverage_80 - result.nominal_coverage_80)).toBeLessThan(0.05);
    expect(result.pit_coverage_80).toBeGreaterThan(0.7);
    expect(result.pit_coverage_80).toBeLessThan(0.9);
  });

  it('prints the next 7 days after the last event, the closures line and where the data ends', async () => {
    const { code, stdout, lines } = await run({});
    expect(code).toBe(0);
    expect(stdout).toContain('As of 2023-07-09 (data ends 2023-07-09, older than 2 days');
    const header = lines.findIndex((line) => line.startsWith('Date'));
    expect(lines[header]).toMatch(/^Date\s+Weekday\s+Expected\s+80% range$/);
    expect(lines[header + 1]).toMatch(/^2023-07-10\s+Monday\s+\d+\.\d+\s+\d+–\d+$/);
    expect(lines[header + 7]).toMatch(/^2023-07-16\s+Sunday\s/);
    expect(stdout).toMatch(/To keep the backlog flat, close as many tickets as arrive: about [\d.]+ a day/);
    expect(stdout).toContain('The data ends 2023-07-09');
  });

  it('forecasts one type matched loosely, as JSON on the last line', async () => {
    const { last } = await run({ type: 'road repair', json: true });
    const result = JSON.parse(last);
    expect(result.request_type).toMatchObject({ display_name: expect.stringMatching(/road/i) });
    expect(result.horizon).toHaveLength(7);
    expect(result.by_type).toEqual([]);
    const backtest = JSON.parse((await run({ type: 'road repair', json: true, backtest: true })).last);
    console.info(`forecast --type "road repair" --backtest --json: ${JSON.stringify(backtest)}`);
    expect(backtest.points).toBe(backtest.origins * 7);
    await expect(run({ type: 'no such thing at all' })).rejects.toBeInstanceOf(UnknownRequestTypeError);
  });

  it('forecasts as of an earlier day when asked', async () => {
    const result = JSON.parse((await run({ 'as-of': '2019-06-30', json: true })).last);
    expect(result).toMatchObject({ as_of: '2019-06-30', data_through: '2023-07-09', notice: null });
    expect(result.horizon[0].date).toBe('2019-07-01');
    // 2019 was a busy year in this sample (~2–3 tickets a day), 2023 a quiet one.
    expect(result.expected_total).toBeGreaterThan(7);
    expect(result.by_type.length).toBeGreaterThan(3);
    const totals = result.by_type.map((type: { expected_total: number }) => type.expected_total);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
  });
});
