import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scorer } from '../src/model/scorer.js';
import { findUnscoredOpenTickets } from '../src/warehouse/ticket-score.repository.js';
import { findLatestEventAt } from '../src/warehouse/worklist.repository.js';
import { buildWorklist, MAX_WORKLIST_LIMIT } from '../src/worklist/build-worklist.js';
import { warmTicketScores } from '../src/worklist/warm-ticket-scores.js';
import { engines, type TestWarehouse } from './helpers/databases.js';
import { config, logger, setUpScoredSnapshot, storedScores } from './helpers/scored-snapshot.js';

describe.each(engines)('score warm-up of the open tickets ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;

  beforeAll(async () => {
    ({ warehouse, scorer } = await setUpScoredSnapshot(name));
  }, 300_000);
  afterAll(async () => warehouse?.dispose());

  it('stores a score for every open ticket in batches; the worklist then scores nothing new', async () => {
    const version = scorer.currentModelVersion()!;
    expect(await storedScores(warehouse.db, version)).toEqual([]);
    const warmed = await warmTicketScores({ db: warehouse.db, scorer, logger }, 7);
    const stored = await storedScores(warehouse.db, version);
    expect(warmed).toEqual({ modelVersion: version, scored: stored.length });
    expect(stored.length).toBeGreaterThan(7);

    const worklist = await buildWorklist({ db: warehouse.db, scorer, config }, { limit: MAX_WORKLIST_LIMIT });
    expect(worklist.total).toBe(stored.length);
    // Every row as the warm-up wrote it (same scored_at): the request read the scores, it did not score.
    expect(await storedScores(warehouse.db, version)).toEqual(stored);
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
