import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { buildSummary } from '../src/dashboard/build-summary.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { promoteModel } from '../src/warehouse/model.repository.js';
import { buildWorklist, MAX_WORKLIST_LIMIT } from '../src/worklist/build-worklist.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const config = loadConfig({});
const timeZone = config.cityTimeZone;

describe.each(engines)('persisted ticket scores of the worklist ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let scorer: Scorer;
  const deps = () => ({ db: warehouse.db, scorer, config });

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

  it('scores every open ticket once, stores the scores, and reads them back on the next request unchanged', async () => {
    const version = scorer.currentModelVersion()!;
    expect(await storedScores(version)).toEqual([]);
    const first = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    const stored = await storedScores(version);
    expect(first.total).toBeGreaterThan(0);
    expect(stored).toHaveLength(first.total);
    const second = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    expect(second).toEqual(first);
    // Not scored again: the same rows, written once.
    expect(await storedScores(version)).toEqual(stored);
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
    const before = await storedScores(version);
    const changed = before[0]!;
    const movedTo = new Date(changed.created_at.getTime() - 60_000);
    await sql`update fact_ticket set created_at = ${movedTo}::timestamptz where ticket_id = ${changed.ticket_id}`.execute(warehouse.db);
    await buildWorklist(deps(), { limit: 10 });
    const after = await storedScores(version);
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
    expect(await storedScores(newVersion)).toEqual([]);

    const worklist = await buildWorklist(deps(), { limit: MAX_WORKLIST_LIMIT });
    expect(worklist.model_version).toBe(newVersion);
    expect(await storedScores(newVersion)).toHaveLength(worklist.total);
    const summary = await buildSummary({ ...deps(), config }, {});
    expect(summary.model_version).toBe(newVersion);
    // The window ends on the data clock's day, so its backlog instant is as_of: the worklist's instant.
    expect(summary.as_of).toBe(worklist.as_of);
    expect(worklist.tickets).toHaveLength(worklist.total);
    expect(summary.figures.at_risk.value).toBe(worklist.tickets.filter((ticket) => ticket.sla_status !== 'on_track').length);
  });
});
