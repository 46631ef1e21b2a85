import type { ColumnType, Generated } from 'kysely';
import type { AnalyticsTables } from './schema-analytics.js';
import type { ModelTables } from './schema-model.js';
import type { SlackTables } from './schema-slack.js';
import type { JobTables } from './schema-jobs.js';
import type { StagingTables } from './schema-staging.js';

/** timestamptz: read as Date, written as Date or ISO text. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: any JSON on the way in (serialised by the caller), parsed value on the way out. */
export type Json<T = unknown> = ColumnType<T, string, string>;

export interface RawTicketTable {
  ticket_id: string;
  payload: Json<Record<string, unknown>>;
  payload_hash: string;
  source_updated_at: NullableTimestamp;
  fetched_at: Timestamp;
  ingest_run_id: number | null;
}

export interface IngestRunTable {
  run_id: Generated<number>;
  source: string;
  mode: 'full' | 'incremental' | 'file';
  status: ColumnType<'running' | 'succeeded' | 'failed' | 'resumed', 'running' | 'succeeded' | 'failed' | 'resumed' | undefined>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: NullableTimestamp;
  since_updated_at: NullableTimestamp;
  upper_updated_at: NullableTimestamp;
  high_water_mark: NullableTimestamp;
  resume_after_id: string | null;
  next_offset: Generated<number>;
  resumed_from_run: number | null;
  fetched: Generated<number>;
  inserted: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  quarantined: Generated<number>;
  error: string | null;
  duplicates: Generated<number>;
}

export interface IngestQuarantineTable {
  quarantine_id: Generated<number>;
  ticket_id: string | null;
  payload: Json<Record<string, unknown>>;
  payload_hash: string;
  reasons: string;
  first_run_id: number | null;
  last_run_id: number | null;
  first_seen_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

export interface DimRequestTypeTable {
  type_key: string;
  display_name: string;
  first_seen_at: Generated<Date>;
}

export interface DimRequestTypeAliasTable {
  source_name: string;
  type_key: string;
}

export interface DimStatusTable {
  status: string;
  is_open_state: boolean;
}

export interface DimDateTable {
  date_key: string;
  year: number;
  quarter: number;
  month: number;
  day_of_month: number;
  iso_dow: number;
  week_start: string;
  is_weekend: boolean;
}

export interface DimLocationTable {
  location_key: string;
  commission_district: string | null;
  police_sector: string | null;
}

export interface FactTicketTable {
  ticket_id: string;
  type_key: string;
  request_type: string;
  status: string;
  created_at: Timestamp;
  created_date: string;
  acknowledged_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  reopened_at: NullableTimestamp;
  last_updated_at: NullableTimestamp;
  /** First seen no longer open without closed_at (set once by ingest, then frozen); closed_at wins. */
  archived_at: NullableTimestamp;
  minutes_to_close: number | null;
  minutes_to_acknowledge: number | null;
  source_minutes_to_close: number | null;
  duration_flag: string | null;
  is_open: boolean;
  latitude: number | null;
  longitude: number | null;
  location_key: string;
  commission_district: string | null;
  police_sector: string | null;
  location_detail: string | null;
  reporter_display: string | null;
  assigned_to: string | null;
  description: string | null;
  description_length: number;
  source_updated_at: NullableTimestamp;
  row_hash: string;
  ingest_run_id: number | null;
  /** When the ticket becomes late under its type's SLA policy and clock (migration 017); null = not computed yet. */
  sla_due_at: NullableTimestamp;
}

/** One statement that wrote fact_ticket, sla_policy or dim_request_type (migration 015's triggers). */
export interface WarehouseChangeTable {
  change_id: Generated<number>;
  table_name: string;
  changed_at: Generated<Date>;
}

/** The change rows folded away so far (migration 020): the version is this plus the rows left. */
export interface WarehouseChangeBaseTable {
  only_row: Generated<boolean>;
  folded: Generated<number>;
}

/** Applied migrations, created by migrate.ts itself (not by a migration file). */
export interface SchemaMigrationsTable {
  version: string;
  applied_at: Generated<Date>;
}

export interface CoreTables {
  raw_ticket: RawTicketTable;
  ingest_run: IngestRunTable;
  ingest_quarantine: IngestQuarantineTable;
  dim_request_type: DimRequestTypeTable;
  dim_request_type_alias: DimRequestTypeAliasTable;
  dim_status: DimStatusTable;
  dim_date: DimDateTable;
  dim_location: DimLocationTable;
  fact_ticket: FactTicketTable;
  schema_migrations: SchemaMigrationsTable;
  warehouse_change: WarehouseChangeTable;
  warehouse_change_base: WarehouseChangeBaseTable;
}

/** Every table of the warehouse; each domain declares its own in a schema-*.ts file. */
export interface WarehouseSchema extends CoreTables, AnalyticsTables, ModelTables, SlackTables, JobTables, StagingTables {}
