import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import { warehouseColumns } from './schema-columns.js';
import type { ModelRegistryTable } from './schema-model.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

export interface RegisteredModel<Artifact = unknown> {
  modelVersion: string;
  trainedAt: Date;
  kind: string;
  slaHours: number;
  trainFrom: Date;
  trainTo: Date;
  testFrom: Date;
  testTo: Date;
  nTrain: number;
  nTest: number;
  featureNames: string[];
  metrics: Record<string, number>;
  report: Record<string, unknown>;
  artifact: Artifact;
  promoted: boolean;
  promotedAt: Date | null;
  promotionNote: string | null;
}

export type NewModel = Omit<RegisteredModel, 'trainedAt' | 'promoted' | 'promotedAt' | 'promotionNote'>;

type Row = Omit<Selectable<ModelRegistryTable>, 'artifact'>;

type SummaryColumn = Exclude<keyof ModelRegistryTable & string, 'artifact'>;

/** Every registry column but the artifact (megabytes), derived so that a new column is never forgotten. */
const SUMMARY_COLUMNS = warehouseColumns.model_registry.filter((column): column is SummaryColumn => column !== 'artifact');

function toModel(row: Row & { artifact?: unknown }): RegisteredModel {
  return {
    modelVersion: row.model_version,
    trainedAt: row.trained_at,
    kind: row.kind,
    slaHours: row.sla_hours,
    trainFrom: row.train_from,
    trainTo: row.train_to,
    testFrom: row.test_from,
    testTo: row.test_to,
    nTrain: row.n_train,
    nTest: row.n_test,
    featureNames: row.feature_names,
    metrics: row.metrics,
    report: row.report,
    artifact: row.artifact,
    promoted: row.promoted,
    promotedAt: row.promoted_at,
    promotionNote: row.promotion_note,
  };
}

export async function insertModel(db: Db, model: NewModel): Promise<void> {
  await db
    .insertInto('model_registry')
    .values({
      model_version: model.modelVersion,
      kind: model.kind,
      sla_hours: model.slaHours,
      train_from: model.trainFrom,
      train_to: model.trainTo,
      test_from: model.testFrom,
      test_to: model.testTo,
      n_train: model.nTrain,
      n_test: model.nTest,
      feature_names: JSON.stringify(model.featureNames),
      metrics: JSON.stringify(model.metrics),
      report: JSON.stringify(model.report),
      artifact: JSON.stringify(model.artifact),
    })
    .execute();
}

/** The model currently served, with its artifact; undefined before the first promotion. */
export async function findPromotedModel(db: Db): Promise<RegisteredModel | undefined> {
  const row = await db.selectFrom('model_registry').selectAll().where('promoted', '=', true).executeTakeFirst();
  return row ? toModel(row) : undefined;
}

/**
 * Serialises model registrations: two trainers finishing together each decide their promotion
 * against the model promoted when they commit, not one that is about to be replaced. Readers
 * (the scorer, listings) are not blocked. Call inside a transaction; it holds until commit.
 */
export async function lockModelRegistry(trx: Transaction<WarehouseSchema>): Promise<void> {
  await sql`lock table model_registry in share row exclusive mode`.execute(trx);
}

/** The model currently served, without its artifact; undefined before the first promotion. */
export async function findPromotedModelSummary(db: Db): Promise<RegisteredModel | undefined> {
  const row = await db.selectFrom('model_registry').select(SUMMARY_COLUMNS).where('promoted', '=', true).executeTakeFirst();
  return row ? toModel(row) : undefined;
}

/**
 * Makes one model the served one (the unique partial index allows only one). Two statements: run
 * it in the caller's transaction, so that no instant without a promoted model is ever visible.
 */
export async function promoteModel(trx: Transaction<WarehouseSchema>, modelVersion: string, note: string): Promise<void> {
  await trx.updateTable('model_registry').set({ promoted: false }).where('promoted', '=', true).execute();
  await trx
    .updateTable('model_registry')
    .set({ promoted: true, promoted_at: sql<Date>`now()`, promotion_note: note })
    .where('model_version', '=', modelVersion)
    .execute();
}

/** Records why a registered model was not promoted. */
export async function recordPromotionNote(db: Db, modelVersion: string, note: string): Promise<void> {
  await db.updateTable('model_registry').set({ promotion_note: note }).where('model_version', '=', modelVersion).execute();
}

/** Registry listing without artifacts (they can be megabytes), newest first. */
export async function listModels(db: Db, limit = 20): Promise<RegisteredModel[]> {
  const rows = await db.selectFrom('model_registry').select(SUMMARY_COLUMNS).orderBy('trained_at', 'desc').limit(limit).execute();
  return rows.map((row) => toModel(row));
}
