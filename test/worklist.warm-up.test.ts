import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { findUnscoredOpenTickets } from '../src/warehouse/ticket-score.repository.js';
import { findLatestEventAt } from '../src/warehouse/worklist.repository.js';
import { buildWorklist, MAX_WORKLIST_LIMIT } from '../src/worklist/build-worklist.js';
import { warmTicketScores } from '../src/worklist/warm-ticket-scores.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const config = loadConfig({});
const timeZone = config.cityTimeZone;

describe.each(engines)('score warm-up of the open tickets ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;

  async function storedScores(modelVersion: string) {
    return warehouse.db
      .selectFrom('ticket_score')
      .select(['ticket_id', 'created_at', 'probability', 'scored_at'])
      .where('model_version', '=', modelVersion)
      .orderBy('ticket_id')
      .execute();
  }

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
    await trainAndRegister(
      { db: warehouse.db, logger, slaHours: 72, timeZone },
      { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] },
    );
    scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk: config.risk });
  }, 300_000);
  afterAll(async () => warehouse?.dispose());

  it('stores a score for every open ticket in batches; the worklist then scores nothing new', async () => {
    const version = scorer.currentModelVersion()!;
    expect(await storedScores(version)).toEqual([]);
    const warmed = await warmTicketScores({ db: warehouse.db, scorer, logger }, 7);
    const stored = await storedScores(version);
    expect(warmed).toEqual({ modelVersion: version, scored: stored.length });
    expect(stored.length).toBeGreaterThan(7);

    const worklist = await buildWorklist({ db: warehouse.db, scorer, config }, { limit: MAX_WORKLIST_LIMIT });
    expect(worklist.total).toBe(stored.length);
    // Every row as the warm-up wrote it (same scored_at): the request read the scores, it did not score.
    expect(await storedScores(version)).toEqual(stored);
    const byId = new Map(stored.map((row) => [row.ticket_id, row.probability]));
    for (const ticket of worklist.tickets) expect(ticket.sla_breach_probability).toBe(byId.get(ticket.ticket_id));
    // Nothing left, so a second warm-up scores nothing.
    const asOf = (await findLatestEventAt(warehouse.db))!;
    expect(await findUnscoredOpenTickets(warehouse.db, { asOf, modelVersion: version })).toEqual([]);
    expect(await warmTicketScores({ db: warehouse.db, scorer, logger })).toEqual({ modelVersion: version, scored: 0 });
  });

  it('stops between batches once told to', async () => {
    await warehouse.db.deleteFrom('ticket_score').execute();
    const warmed = await warmTicketScores({ db: warehouse.db, scorer, logger, stopped: () => true }, 5);
    expect(warmed.scored).toBe(0);
  });
});
