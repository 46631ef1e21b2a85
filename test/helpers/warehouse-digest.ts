import { sql, type QueryExecutorProvider } from 'kysely';

/**
 * A fingerprint of everything ingest derives from the city's rows (facts, raw payloads,
 * quarantine), leaving out run bookkeeping (run ids, fetch times) that legitimately differs.
 */
export async function digestWarehouse(db: QueryExecutorProvider): Promise<{ facts: number; quarantined: number; digest: string }> {
  const result = await sql<{ facts: number; quarantined: number; digest: string }>`
    select
      (select count(*)::int from fact_ticket) as facts,
      (select count(*)::int from ingest_quarantine) as quarantined,
      md5(
        coalesce((select string_agg(concat_ws('|', ticket_id, type_key, status, created_at, closed_at, acknowledged_at,
                   minutes_to_close, is_open, latitude, longitude, commission_district, police_sector, description_length,
                   duration_flag, row_hash), ',' order by ticket_id) from fact_ticket), '') ||
        coalesce((select string_agg(ticket_id || ':' || payload_hash, ',' order by ticket_id) from raw_ticket), '') ||
        coalesce((select string_agg(payload_hash || ':' || reasons, ',' order by payload_hash) from ingest_quarantine), '')
      ) as digest`.execute(db);
  return result.rows[0]!;
}
