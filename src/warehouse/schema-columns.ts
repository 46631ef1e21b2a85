import type { WarehouseSchema } from './schema.js';

type TableName = keyof WarehouseSchema & string;
type ColumnOf<T extends TableName> = keyof WarehouseSchema[T] & string;

/** A list of column names for each table: only tables and columns that WarehouseSchema declares. */
export type WarehouseColumnLists = { readonly [T in TableName]: readonly ColumnOf<T>[] };

type Unlisted<Lists extends WarehouseColumnLists, T extends TableName> = Exclude<ColumnOf<T>, Lists[T][number]>;

/**
 * Makes a list that misses a declared column fail to compile, naming the column
 * ("Property 'missing' is missing … { missing: 'archived_at' }"); a table WarehouseSchema does
 * not declare is refused too.
 */
type EveryColumnListed<Lists extends WarehouseColumnLists> = {
  [T in TableName]: [Unlisted<Lists, T>] extends [never] ? Lists[T] : { missing: Unlisted<Lists, T> };
} & { [Extra in Exclude<keyof Lists, TableName>]: never };

function describeColumns<const Lists extends WarehouseColumnLists>(lists: Lists & EveryColumnListed<Lists>): Lists {
  return lists;
}

/**
 * WarehouseSchema at run time: every table and column the kysely types declare. TypeScript checks
 * it against the types in both directions, and test/warehouse.schema-types.test.ts checks it
 * against information_schema on both engines, so the types cannot drift from the migrations.
 */
export const warehouseColumns = describeColumns({
  raw_ticket: ['ticket_id', 'payload', 'payload_hash', 'source_updated_at', 'fetched_at', 'ingest_run_id'],
  ingest_run: [
    'run_id',
    'source',
    'mode',
    'status',
    'started_at',
    'finished_at',
    'since_updated_at',
    'upper_updated_at',
    'high_water_mark',
    'resume_after_id',
    'next_offset',
    'resumed_from_run',
    'fetched',
    'inserted',
    'updated',
    'unchanged',
    'quarantined',
    'error',
    'duplicates',
  ],
  ingest_quarantine: [
    'quarantine_id',
    'ticket_id',
    'payload',
    'payload_hash',
    'reasons',
    'first_run_id',
    'last_run_id',
    'first_seen_at',
    'last_seen_at',
  ],
  dim_request_type: ['type_key', 'display_name', 'first_seen_at'],
  dim_request_type_alias: ['source_name', 'type_key'],
  dim_status: ['status', 'is_open_state'],
  dim_date: ['date_key', 'year', 'quarter', 'month', 'day_of_month', 'iso_dow', 'week_start', 'is_weekend'],
  dim_location: ['location_key', 'commission_district', 'police_sector'],
  fact_ticket: [
    'ticket_id',
    'type_key',
    'request_type',
    'status',
    'created_at',
    'created_date',
    'acknowledged_at',
    'closed_at',
    'reopened_at',
    'last_updated_at',
    'archived_at',
    'minutes_to_close',
    'minutes_to_acknowledge',
    'source_minutes_to_close',
    'duration_flag',
    'is_open',
    'latitude',
    'longitude',
    'location_key',
    'commission_district',
    'police_sector',
    'location_detail',
    'reporter_display',
    'assigned_to',
    'description',
    'description_length',
    'source_updated_at',
    'row_hash',
    'ingest_run_id',
    'sla_due_at',
  ],
  schema_migrations: ['version', 'applied_at'],
  warehouse_change: ['change_id', 'table_name', 'changed_at'],
  warehouse_change_base: ['only_row', 'folded'],
  sla_policy: ['type_key', 'sla_hours', 'note', 'updated_at', 'clock', 'business_day_start', 'business_day_end'],
  ticket_score: ['model_version', 'ticket_id', 'created_at', 'type_key', 'probability', 'risk_level', 'top_factors', 'scored_at'],
  model_registry: [
    'model_version',
    'trained_at',
    'kind',
    'sla_hours',
    'train_from',
    'train_to',
    'test_from',
    'test_to',
    'n_train',
    'n_test',
    'feature_names',
    'metrics',
    'report',
    'artifact',
    'promoted',
    'promoted_at',
    'promotion_note',
  ],
  slack_alert_run: ['run_id', 'started_at', 'finished_at', 'channel', 'parent_ts', 'ticket_count', 'posted_count', 'status', 'error'],
  slack_alert: [
    'ticket_id',
    'run_id',
    'probability',
    'risk_level',
    'model_version',
    'top_factors',
    'status',
    'scored_at',
    'channel',
    'parent_ts',
    'reply_ts',
    'posted_at',
    'attempts',
    'last_error',
    'acknowledged_by',
    'acknowledged_by_name',
    'acknowledged_at',
  ],
  digest_post: ['date', 'channel', 'ts', 'claimed_at', 'posted_at'],
  slack_request_seen: ['request_key', 'seen_at'],
  job_run: ['job_run_id', 'job', 'trigger', 'status', 'started_at', 'finished_at', 'counts', 'error', 'runner'],
  ingest_staging: [
    'batch_id',
    'ticket_id',
    'type_key',
    'request_type',
    'status',
    'status_is_open',
    'created_at',
    'created_date',
    'acknowledged_at',
    'closed_at',
    'reopened_at',
    'last_updated_at',
    'minutes_to_close',
    'minutes_to_acknowledge',
    'source_minutes_to_close',
    'duration_flag',
    'is_open',
    'latitude',
    'longitude',
    'location_key',
    'commission_district',
    'police_sector',
    'location_detail',
    'reporter_display',
    'assigned_to',
    'description',
    'description_length',
    'source_updated_at',
    'row_hash',
    'payload',
  ],
});
