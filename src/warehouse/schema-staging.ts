import type { Generated } from 'kysely';
import type { Json, NullableTimestamp, Timestamp } from './schema.js';

/** ingest_staging (db/migrations/010): one chunk's validated rows on their way into fact_ticket. */
export interface IngestStagingTable {
  batch_id: Generated<number>;
  ticket_id: string;
  type_key: string;
  request_type: string;
  status: string;
  status_is_open: boolean;
  created_at: Timestamp;
  created_date: string;
  acknowledged_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  reopened_at: NullableTimestamp;
  last_updated_at: NullableTimestamp;
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
  payload: Json<Record<string, unknown>>;
}

export interface StagingTables {
  ingest_staging: IngestStagingTable;
}
