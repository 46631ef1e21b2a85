import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;

export interface ModelRegistryTable {
  model_version: string;
  trained_at: Generated<Date>;
  kind: string;
  sla_hours: number;
  train_from: ColumnType<Date, Date, Date>;
  train_to: ColumnType<Date, Date, Date>;
  test_from: ColumnType<Date, Date, Date>;
  test_to: ColumnType<Date, Date, Date>;
  n_train: number;
  n_test: number;
  feature_names: Json<string[]>;
  metrics: Json<Record<string, number>>;
  report: Json<Record<string, unknown>>;
  artifact: Json<unknown>;
  promoted: Generated<boolean>;
  promoted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  promotion_note: string | null;
}

/** Tables owned by the model domain (db/migrations/003_model_registry.sql). */
export interface ModelTables {
  model_registry: ModelRegistryTable;
}
