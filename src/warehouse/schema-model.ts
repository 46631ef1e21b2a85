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

/** ticket_score: one ticket's score by one model version, as of its creation (008_ticket_score.sql). */
export interface TicketScoreTable {
  model_version: string;
  ticket_id: string;
  /** The ticket's created_at and type_key when it was scored; a ticket that differs is scored again. */
  created_at: ColumnType<Date, Date, Date>;
  type_key: string;
  probability: number;
  risk_level: 'Low' | 'Medium' | 'High';
  top_factors: Json<string[]>;
  scored_at: Generated<Date>;
}

/** Tables owned by the model domain (db/migrations/003_model_registry.sql, 008_ticket_score.sql). */
export interface ModelTables {
  model_registry: ModelRegistryTable;
  ticket_score: TicketScoreTable;
}
