import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWorklist, placeOnWorklist } from '../src/analytics/worklist-ranking.js';
import type { CliContext } from '../src/cli/command.js';
import { worklistCommand } from '../src/cli/commands/worklist.js';
import { runCli } from '../src/cli/main.js';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import type { WorklistResponse } from '../src/worklist/build-worklist.js';
import { worklistResponseSchema } from '../src/worklist/build-worklist.js';
import { findOpenTicketsAt } from '../src/warehouse/worklist.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { withTestApp } from './helpers/cli-context.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const config = loadConfig({});
const HOUR = 3_600_000;

describe.each(engines)('civicops worklist on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;

  async function run(values: Record<string, string | boolean>) {
    const stdout = new Capture();
    const stderr = new Capture();
    const context: CliContext = withTestApp({ config, logger, stdout, stderr }, warehouse);
    const code = await worklistCommand.run({ values, positionals: [] }, context);
    return { code, stdout: stdout.text, lines: stdout.text.trimEnd().split('\n') };
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    // One learner keeps the test fast; the worklist only needs a promoted model.
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
  }, 120_000);
  afterAll(async () => warehouse?.dispose());

  it('answers as of the last event of the 2023 snapshot, says so, and ranks by the documented rule', async () => {
    const { code, lines } = await run({ json: true, limit: '10' });
    expect(code).toBe(0);
    const result: WorklistResponse = worklistResponseSchema.parse(JSON.parse(lines[lines.length - 1]));
    expect(result.stale).toBe(true);
    expect(result.as_of).toBe(result.data_through);
    expect(result.as_of.startsWith('2023-07-')).toBe(true);
    expect(result.notice).toContain('not today');
    expect(result.model_version).toMatch(/gbt$/);
    expect(result.tickets).toHaveLength(10);
    expect(result.total).toBeGreaterThan(10);
    const asOf = new Date(result.as_of);
    for (const [index, ticket] of result.tickets.entries()) {
      expect(ticket.rank).toBe(index + 1);
      // due_at = created + the type's SLA (72 h: no per-type rows in this warehouse).
      expect(ticket.sla_hours).toBe(72);
      expect(new Date(ticket.due_at).getTime() - new Date(ticket.created_at).getTime()).toBe(72 * HOUR);
      // One decimal in the reply.
      expect(Math.abs(ticket.hours_left - (new Date(ticket.due_at).getTime() - asOf.getTime()) / HOUR)).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(ticket.sla_status).toBe(ticket.hours_left < 0 ? 'breached' : ticket.sla_status);
      expect(ticket.top_factors.length).toBeGreaterThan(0);
      expect(ticket.url).toContain(encodeURIComponent(ticket.ticket_id));
    }
    // The order follows the rule: re-sorting the rows with the rule changes nothing.
    const placed = result.tickets.map((ticket) =>
      placeOnWorklist(
        {
          ticketId: ticket.ticket_id,
          createdAt: new Date(ticket.created_at),
          sla: { hours: ticket.sla_hours },
          probability: ticket.sla_breach_probability,
        },
        asOf,
        config.risk,
      ),
    );
    expect([...placed].sort(compareWorklist).map((ticket) => ticket.ticketId)).toEqual(result.tickets.map((ticket) => ticket.ticket_id));
    // The snapshot's open tickets are mostly long overdue: breached come first.
    expect(result.tickets[0].sla_status).toBe('breached');
  });

  it('scores every open ticket in one batch exactly as the alerts path (scoreTicket at its creation) does', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk: config.risk });
    const open = await warehouse.db
      .selectFrom('fact_ticket')
      .select([
        'ticket_id',
        'type_key',
        'created_at',
        'latitude',
        'longitude',
        'commission_district',
        'police_sector',
        'description',
        'reporter_display',
      ])
      .where('is_open', '=', true)
      .orderBy('ticket_id')
      .execute();
    expect(open.length).toBeGreaterThan(20);
    const started = performance.now();
    const batch = await scorer.scoreStoredTickets(open.map((row) => row.ticket_id));
    const batchMs = performance.now() - started;
    for (const [index, row] of open.entries()) {
      const single = await scorer.scoreTicket({
        ticketId: row.ticket_id,
        requestType: row.type_key,
        createdAt: row.created_at,
        latitude: row.latitude ?? undefined,
        longitude: row.longitude ?? undefined,
        commissionDistrict: row.commission_district ?? undefined,
        policeSector: row.police_sector ?? undefined,
        description: row.description ?? undefined,
        reporterDisplay: row.reporter_display ?? undefined,
      });
      expect(batch[index]).toEqual(single);
    }
    // Open at the last refresh: no query at all (a few ms for the whole list).
    expect(batchMs).toBeLessThan(500);
    // A past instant includes tickets closed since: one new feature pass, same scores.
    const past = await findOpenTicketsAt(warehouse.db, { asOf: new Date('2021-01-15T12:00:00Z'), fallbackSlaHours: 72 });
    const closedSince = past.filter((ticket) => !open.some((row) => row.ticket_id === ticket.ticketId)).slice(0, 5);
    expect(closedSince.length).toBeGreaterThan(0);
    const replayed = await scorer.scoreStoredTickets(closedSince.map((ticket) => ticket.ticketId));
    for (const [index, ticket] of closedSince.entries()) {
      const row = await warehouse.db
        .selectFrom('fact_ticket')
        .selectAll()
        .where('ticket_id', '=', ticket.ticketId)
        .executeTakeFirstOrThrow();
      const single = await scorer.scoreTicket({
        ticketId: row.ticket_id,
        requestType: row.type_key,
        createdAt: row.created_at,
        latitude: row.latitude ?? undefined,
        longitude: row.longitude ?? undefined,
        commissionDistrict: row.commission_district ?? undefined,
        policeSector: row.police_sector ?? undefined,
        description: row.description ?? undefined,
        reporterDisplay: row.reporter_display ?? undefined,
      });
      expect(replayed[index]).toEqual(single);
    }
    await expect(scorer.scoreStoredTickets(['no-such-ticket'])).rejects.toThrow(/No stored ticket with id no-such-ticket/);
  });

  it('filters by type and status, and prints a table with where the data ends', async () => {
    const breached = await run({ json: true, status: 'breached', limit: '1000' });
    const result: WorklistResponse = JSON.parse(breached.lines[breached.lines.length - 1]);
    expect(result.tickets.length).toBe(result.total);
    expect(result.tickets.every((ticket) => ticket.sla_status === 'breached' && ticket.hours_left < 0)).toBe(true);
    const typeKey = result.tickets[0].request_type;
    const oneType = await run({ json: true, type: typeKey });
    const typed: WorklistResponse = JSON.parse(oneType.lines[oneType.lines.length - 1]);
    expect(typed.request_type?.display_name).toBe(typeKey);
    expect(typed.tickets.every((ticket) => ticket.request_type === typeKey)).toBe(true);

    const table = await run({ limit: '5' });
    expect(table.code).toBe(0);
    expect(table.lines[0]).toMatch(/as of 2023-07-\d\d \d\d:\d\d \(data ends 2023-07-\d\d \d\d:\d\d; not today\)/);
    expect(table.lines[2]).toMatch(/^#\s+Ticket\s+Type\s+Created\s+Due\s+Left\s+P\(breach\)\s+Risk\s+Top reason/);
    expect(table.lines[3]).toMatch(/^ ?1\s+\S+\s.*-\d+(\.\d)? [hd]\s+\d+%\s+(Low|Medium|High)\s+/);
    expect(table.stdout).toContain('Showing 5 of');
  });
});

describe('civicops worklist arguments', () => {
  it('rejects --limit abc with exit code 2 and one line, before opening the warehouse', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'civicops-worklist-'));
    try {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await runCli(['worklist', '--limit', 'abc'], { env: { CIVICOPS_DATA_DIR: dataDir }, stdout, stderr, logger });
      expect(code).toBe(2);
      expect(stdout.text).toBe('');
      expect(stderr.text.trimEnd().split('\n')).toEqual(['civicops worklist: --limit must be a whole number from 1 to 1000 (got "abc").']);
      for (const bad of [
        ['--status', 'late'],
        ['--as-of', 'yesterday'],
        ['--limit', '0'],
      ]) {
        const err = new Capture();
        expect(await runCli(['worklist', ...bad], { env: { CIVICOPS_DATA_DIR: dataDir }, stdout, stderr: err, logger })).toBe(2);
        expect(err.text.trimEnd().split('\n')).toHaveLength(1);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
