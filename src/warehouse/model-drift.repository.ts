import { sql, type Kysely } from 'kysely';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** The promoted model's version and data windows (no JSON columns: this runs on every /healthz). */
export interface PromotedModelWindows {
  modelVersion: string;
  /** Tickets the model learned from: created in [trainFrom, trainTo]. */
  trainFrom: Date;
  trainTo: Date;
  /** The newest ticket of its test period: the last data it was built and checked on. */
  testTo: Date;
}

/** What the drift check reads of one model: importances and feature spec, without the megabytes of trees. */
export interface ModelDriftSpec {
  /** Stored importances, strongest first (the training report's top_features); empty when absent. */
  topFeatures: { feature: string; importance: number }[];
  /** The model's columns in order (artifact.featureNames). */
  featureNames: string[];
  /** artifact.modelFeatures (type encoding, derived columns); null for models trained before them. */
  modelFeatures: unknown;
}

/** The promoted model's windows; undefined before the first promotion. */
export async function findPromotedModelWindows(db: Db): Promise<PromotedModelWindows | undefined> {
  const row = await db
    .selectFrom('model_registry')
    .select(['model_version', 'train_from', 'train_to', 'test_to'])
    .where('promoted', '=', true)
    .executeTakeFirst();
  return row
    ? {
        modelVersion: row.model_version,
        trainFrom: new Date(row.train_from),
        trainTo: new Date(row.train_to),
        testTo: new Date(row.test_to),
      }
    : undefined;
}

interface SpecRow {
  top_features: unknown;
  feature_names: unknown;
  model_features: unknown;
}

/** Importances and feature spec of one registered model; undefined when no such version. */
export async function findModelDriftSpec(db: Db, modelVersion: string): Promise<ModelDriftSpec | undefined> {
  const result = await sql<SpecRow>`
    select report -> 'top_features' as top_features,
      artifact -> 'featureNames' as feature_names,
      artifact -> 'modelFeatures' as model_features
    from model_registry where model_version = ${modelVersion}`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const topFeatures = Array.isArray(row.top_features)
    ? row.top_features.filter(
        (item): item is { feature: string; importance: number } =>
          typeof item === 'object' && item !== null && typeof item.feature === 'string' && typeof item.importance === 'number',
      )
    : [];
  return {
    topFeatures,
    featureNames: Array.isArray(row.feature_names) ? row.feature_names.filter((name): name is string => typeof name === 'string') : [],
    modelFeatures: row.model_features ?? null,
  };
}
