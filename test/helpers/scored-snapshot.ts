/**
 * The set-up the worklist's score tests share: the bundled snapshot in a fresh warehouse, a model
 * trained on it and the scorer that loads it, plus a read of the scores ticket_score holds.
 */
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { ingestRows } from '../../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../../src/ingest/snapshot.js';
import { createScorer } from '../../src/model/score-ticket.js';
import type { Scorer } from '../../src/model/scorer.js';
import { trainAndRegister } from '../../src/model/train-pipeline.js';
import { createLogger } from '../../src/shared/logger.js';
import type { WarehouseSchema } from '../../src/warehouse/schema.js';
import { createTestWarehouse, type TestWarehouse } from './databases.js';

export const logger = createLogger({ level: 'silent' });
export const config = loadConfig({});
export const timeZone = config.cityTimeZone;

export interface ScoredSnapshot {
  warehouse: TestWarehouse;
  scorer: Scorer;
  /** Another scorer of the same model whose clock is `now` (what `alerts --as-of` builds). */
  scorerAt(now: Date): Promise<Scorer>;
}

/** The snapshot ingested, a gbt model trained as of 2023-07-10 12:00 UTC, and its scorer. */
export async function setUpScoredSnapshot(engine: 'pglite' | 'postgres'): Promise<ScoredSnapshot> {
  const warehouse = await createTestWarehouse(engine);
  await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
  await trainAndRegister({ db: warehouse.db, logger, slaHours: 72, timeZone }, { asOf: new Date('2023-07-10T12:00:00Z'), kinds: ['gbt'] });
  const scorerAt = (now?: Date) =>
    createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk: config.risk, now: now ? () => now : undefined });
  return { warehouse, scorer: await scorerAt(), scorerAt };
}

/** The scores ticket_score holds for one model version, by ticket id. */
export function storedScores(db: Kysely<WarehouseSchema>, modelVersion: string) {
  return db
    .selectFrom('ticket_score')
    .select(['ticket_id', 'created_at', 'probability', 'scored_at'])
    .where('model_version', '=', modelVersion)
    .orderBy('ticket_id')
    .execute();
}
