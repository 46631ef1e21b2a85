import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSummary } from '../src/dashboard/build-summary.js';
import type { Scorer } from '../src/model/scorer.js';
import { InputError } from '../src/shared/errors.js';
import { promoteModel } from '../src/warehouse/model.repository.js';
import { buildWorklist, MAX_WORKLIST_LIMIT } from '../src/worklist/build-worklist.js';
import { engines, type TestWarehouse } from './helpers/databases.js';
import { config, type ScoredSnapshot, setUpScoredSnapshot, storedScores } from './helpers/scored-snapshot.js';

describe.each(engines)('persisted ticket scores of the worklist ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  let scorerAt: ScoredSnapshot['scorerAt'];
  const deps = () => ({ db: warehouse.db, scorer, config });

  beforeAll(async () => {
    ({ warehouse, scorer, scorerAt } = await setUpScoredSnapshot(name));
  }, 300_000);
  afterAll(async () => warehouse?.dispose());

  it('scores every open ticket once, stores the scores, and reads them back on the next request unchanged', async () => {
    const version = scorer.currentModelVersion()!;
    expect(await storedScores(warehouse.db, version)).toEqual([]);
    const first = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    const stored = await storedScores(warehouse.db, version);
    expect(first.total).toBeGreaterThan(0);
    expect(stored).toHaveLength(first.total);
    const second = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    expect(second).toEqual(first);
    // Not scored again: the same rows, written once.
    expect(await storedScores(warehouse.db, version)).toEqual(stored);
    const byId = new Map(stored.map((row) => [row.ticket_id, row.probability]));
    for (const ticket of first.tickets) expect(ticket.sla_breach_probability).toBe(byId.get(ticket.ticket_id));
  });

  it('the stored score is the scorer’s own score of the ticket as of its creation', async () => {
    const worklist = await buildWorklist(deps(), { limit: 5 });
    const ids = worklist.tickets.map((ticket) => ticket.ticket_id);
    const direct = await scorer.scoreStoredTickets(ids);
    expect(worklist.tickets.map((ticket) => ticket.sla_breach_probability)).toEqual(direct.map((score) => score.slaBreachProbability));
    expect(worklist.tickets.map((ticket) => ticket.top_factors)).toEqual(direct.map((score) => score.topFactors));
    expect(worklist.tickets.map((ticket) => ticket.risk_level)).toEqual(direct.map((score) => score.riskLevel));
  });

  it('a ticket whose creation instant changed is scored again; the others keep their rows', async () => {
    const version = scorer.currentModelVersion()!;
    const before = await storedScores(warehouse.db, version);
    const changed = before[0]!;
    const movedTo = new Date(changed.created_at.getTime() - 60_000);
    await sql`update fact_ticket set created_at = ${movedTo}::timestamptz where ticket_id = ${changed.ticket_id}`.execute(warehouse.db);
    await buildWorklist(deps(), { limit: 10 });
    const after = await storedScores(warehouse.db, version);
    const row = after.find((candidate) => candidate.ticket_id === changed.ticket_id)!;
    expect(row.created_at.getTime()).toBe(movedTo.getTime());
    expect(row.scored_at.getTime()).toBeGreaterThanOrEqual(changed.scored_at.getTime());
    expect(after.filter((candidate) => candidate.ticket_id !== changed.ticket_id)).toEqual(
      before.filter((candidate) => candidate.ticket_id !== changed.ticket_id),
    );
  });

  it('after a promotion the new model scores the open tickets under its own version, and the at-risk count follows it', async () => {
    const oldVersion = scorer.currentModelVersion()!;
    const newVersion = `${oldVersion}-copy`;
    // The same model registered under a second version and promoted, as `civicops train` does.
    await sql`insert into model_registry (model_version, kind, sla_hours, train_from, train_to, test_from, test_to, n_train, n_test,
        feature_names, metrics, report, artifact, promoted, promotion_note)
      select ${newVersion}, kind, sla_hours, train_from, train_to, test_from, test_to, n_train, n_test,
        feature_names, metrics, report, artifact, false, promotion_note
      from model_registry where model_version = ${oldVersion}`.execute(warehouse.db);
    await warehouse.db.transaction().execute((trx) => promoteModel(trx, newVersion, 'test promotion'));
    await scorer.refresh();
    expect(scorer.currentModelVersion()).toBe(newVersion);
    expect(await storedScores(warehouse.db, newVersion)).toEqual([]);

    const worklist = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    expect(worklist.model_version).toBe(newVersion);
    expect(await storedScores(warehouse.db, newVersion)).toHaveLength(worklist.total);
    const summary = await buildSummary({ ...deps(), config }, {});
    expect(summary.model_version).toBe(newVersion);
    // The window ends on the data clock's day, so its backlog instant is as_of: the worklist's instant.
    expect(summary.as_of).toBe(worklist.as_of);
    expect(worklist.tickets).toHaveLength(worklist.total);
    expect(summary.figures.at_risk.value).toBe(worklist.tickets.filter((ticket) => ticket.sla_status !== 'on_track').length);
  });

  const clock = new Date('2023-06-15T12:00:00Z');
  it('a ticket closed or created after the scorer’s clock is scored without a new pass, as a new pass scores it', async () => {
    const db = warehouse.db;
    // Open at the clock but closed since (a worklist at that instant lists it), and created after the clock.
    const closedLater = await db
      .selectFrom('fact_ticket')
      .select('ticket_id')
      .where('created_at', '<', clock)
      .where('closed_at', '>', clock)
      .where('duration_flag', 'is', null)
      .orderBy('ticket_id')
      .executeTakeFirstOrThrow();
    const createdLater = await db
      .selectFrom('fact_ticket')
      .select('ticket_id')
      .where('created_at', '>', clock)
      .where('closed_at', '<', new Date('2023-07-01T00:00:00Z'))
      .orderBy('ticket_id')
      .executeTakeFirstOrThrow();
    const ids = [closedLater.ticket_id, createdLater.ticket_id];
    const atClock = await scorerAt(clock);
    // After the data's end: both tickets are closed then, so this scorer needs a pass over the warehouse for them.
    const afterData = await scorerAt(new Date('2023-08-01T00:00:00Z'));
    const fromPass = await afterData.scoreStoredTickets(ids);
    expect(await atClock.scoreStoredTickets(ids)).toEqual(fromPass);

    // With the tickets gone from the warehouse, a pass cannot find them; the scorer at the clock still answers from memory.
    await sql`update fact_ticket set ticket_id = 'moved-' || ticket_id where ticket_id in (${sql.join(ids)})`.execute(db);
    try {
      await expect(afterData.scoreStoredTickets(ids)).rejects.toBeInstanceOf(InputError);
      expect(await atClock.scoreStoredTickets(ids)).toEqual(fromPass);
    } finally {
      await sql`update fact_ticket set ticket_id = substr(ticket_id, 7) where ticket_id like 'moved-%'`.execute(db);
    }
  });
});
