import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { InputError } from '../src/shared/errors.js';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import { chartCommand } from '../src/cli/commands/chart.js';
import { isPng, readPngSize } from '../src/charts/png-image.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';
import { Capture } from './helpers/capture.js';

describe('civicops chart', () => {
  let warehouse: TestWarehouse;
  let dir: string;
  const config = loadConfig({ TZ_CITY: 'America/New_York' });

  async function run(values: Record<string, string | boolean>, positionals: string[]) {
    const stdout = new Capture();
    const context: CliContext = withTestApp(
      {
        config,
        logger: createLogger({ level: 'silent' }),
        stdout,
        stderr: new Capture(),
      },
      warehouse,
    );
    const code = await chartCommand.run({ values, positionals }, context);
    return { code, stdout: stdout.text };
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse('pglite');
    dir = await mkdtemp(join(tmpdir(), 'civicops-chart-'));
    await insertFixtureTickets(warehouse.db, generateFixtureTickets({ count: 600, start: cityTime('2023-04-01'), days: 90, seed: 3 }));
  });
  afterAll(async () => {
    await warehouse?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['volume', 'sla', 'surges'])('writes the %s chart as a valid PNG file', async (kind) => {
    const out = join(dir, 'nested', `${kind}.png`);
    const { code, stdout } = await run({ out, since: '2023-04-01', until: '2023-06-29' }, [kind]);
    expect(code).toBe(0);
    const bytes = await readFile(out);
    expect(isPng(bytes)).toBe(true);
    const size = readPngSize(bytes);
    expect(size?.width).toBeGreaterThan(300);
    expect(size?.height).toBeGreaterThan(200);
    expect(stdout).toContain(`Wrote ${out}`);
    expect(stdout).toContain(`${bytes.length} bytes`);
  });

  it('refuses an unknown chart kind, a missing --out and a non-PNG file name', async () => {
    await expect(run({ out: join(dir, 'x.png') }, ['pie'])).rejects.toThrow(/sla\|volume\|surges/);
    await expect(run({}, ['sla'])).rejects.toBeInstanceOf(InputError);
    await expect(run({ out: join(dir, 'x.jpg') }, ['sla'])).rejects.toThrow(/\.png/);
  });

  it('says where the data is when the window is empty', async () => {
    await expect(run({ out: join(dir, 'empty.png'), since: '2020-01-01', until: '2020-02-01' }, ['volume'])).rejects.toThrow(/try --since/);
  });
});
