import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { UnknownRequestTypeError, InputError } from '../src/shared/errors.js';
import type { CliCommand, CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import { slaCommand, parseReportWindow } from '../src/cli/commands/sla.js';
import { reportCommand } from '../src/cli/commands/report.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets } from './helpers/ticket-fixtures.js';
import { Capture } from './helpers/capture.js';

describe('civicops sla and report', () => {
  let warehouse: TestWarehouse;
  const config = loadConfig({});

  async function run(command: CliCommand, argv: { values?: Record<string, string | boolean>; positionals?: string[] }) {
    const stdout = new Capture();
    const stderr = new Capture();
    const context: CliContext = withTestApp(
      {
        config,
        logger: createLogger({ level: 'silent' }),
        stdout,
        stderr,
      },
      warehouse,
    );
    const code = await command.run({ values: argv.values ?? {}, positionals: argv.positionals ?? [] }, context);
    return { code, stdout: stdout.text, lines: stdout.text.trimEnd().split('\n') };
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse('pglite');
    await insertFixtureTickets(warehouse.db, [
      { ticketId: 'R1', requestType: 'Road Repair', createdAt: cityTime('2023-05-01 09:00'), closedAt: cityTime('2023-05-02 09:00') },
      { ticketId: 'R2', requestType: 'Road Repair', createdAt: cityTime('2023-05-02 09:00'), closedAt: cityTime('2023-05-09 09:00') },
      { ticketId: 'S1', requestType: 'Streetlight/Lamp', createdAt: cityTime('2023-05-03 09:00'), closedAt: cityTime('2023-05-03 19:00') },
      { ticketId: 'S2', requestType: 'Streetlight/Lamp', createdAt: cityTime('2023-04-20 09:00'), closedAt: cityTime('2023-04-20 19:00') },
    ]);
  });
  afterAll(async () => warehouse?.dispose());

  it('prints one JSON object for a type matched loosely, over the given city-local days', async () => {
    const { code, lines } = await run(slaCommand, {
      values: { json: true, since: '2023-05-01', until: '2023-05-07' },
      positionals: ['road', 'repair'],
    });
    expect(code).toBe(0);
    const report = JSON.parse(lines[lines.length - 1]);
    expect(report.typeKey).toBe('road_repair');
    expect(report.current).toMatchObject({ tickets: 2, metSla: 1, breached: 1, attainment: 0.5 });
    expect(report.current.since).toBe(cityTime('2023-05-01').toISOString());
    expect(report.current.until).toBe(cityTime('2023-05-08').toISOString());
  });

  it('prints a readable report for one type', async () => {
    const { stdout } = await run(slaCommand, { values: { since: '2023-05-01', until: '2023-05-07' }, positionals: ['Road Repair'] });
    expect(stdout).toContain('Road Repair — SLA 72 h');
    expect(stdout).toMatch(/SLA attainment\s+50%/);
    expect(stdout).toContain('2023-05-01 → 2023-05-07');
  });

  it('prints every type in an aligned table, worst first', async () => {
    const { lines } = await run(reportCommand, { values: { since: '2023-05-01', until: '2023-05-07' } });
    const header = lines.findIndex((line) => line.startsWith('Request type'));
    expect(lines[header + 1]).toMatch(/^Road Repair\s+72\s+2\s+.*50%/);
    expect(lines[header + 2]).toMatch(/^Streetlight\/Lamp\s+72\s+1\s+.*100%/);
    expect(lines[header + 3]).toMatch(/^All types\s+3\s+67%/);
    // Columns line up: every row has the Tickets column ending at the same place.
    const end = (line: string) => line.indexOf(' ', line.search(/\d/));
    expect(new Set([lines[header + 1], lines[header + 2]].map(end)).size).toBe(1);
    const json = await run(reportCommand, { values: { since: '2023-05-01', until: '2023-05-07', json: true } });
    expect(JSON.parse(json.lines[json.lines.length - 1]).types).toHaveLength(2);
  });

  // The default window now ends at the data clock (issue #12, test/cli.data-clock.test.ts), so an
  // empty window is one the user asked for.
  it('says clearly when a window holds no tickets and suggests --since', async () => {
    const empty = { since: '2022-10-01', until: '2022-12-31' };
    const { stdout } = await run(reportCommand, { values: empty });
    expect(stdout).toContain('No tickets were created in');
    expect(stdout).toContain('try --since 2023-02-');
    const json = await run(slaCommand, { values: { ...empty, json: true }, positionals: ['road repair'] });
    expect(JSON.parse(json.lines[json.lines.length - 1]).notice).toContain('--until 2023-05-03');
  });

  it('rejects unknown types with suggestions and malformed dates', async () => {
    await expect(run(slaCommand, { positionals: ['xyzzy'] })).rejects.toBeInstanceOf(UnknownRequestTypeError);
    await expect(run(slaCommand, { positionals: [] })).rejects.toBeInstanceOf(InputError);
    expect(() => parseReportWindow({ since: '2023-02-30' }, config, new Date())).toThrow(InputError);
    expect(() => parseReportWindow({ since: '2023-05-02', until: '2023-05-01' }, config, new Date())).toThrow(/before/);
  });

  it('defaults to the 90 city days before now', () => {
    const now = cityTime('2023-06-30 15:00');
    const window = parseReportWindow({}, config, now);
    expect(window.until).toEqual(now);
    expect(window.since).toEqual(cityTime('2023-04-01 00:00'));
  });
});
