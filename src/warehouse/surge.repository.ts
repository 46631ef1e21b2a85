import { sql, type Kysely } from 'kysely';
import {
  SURGE_BASELINE_WEEKS,
  compareSurgesFirst,
  judgeSurge,
  resolveSurgeRule,
  surgeWindowsAt,
  type SurgeRule,
  type TypeSurgeAssessment,
} from '../analytics/surge-rule.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/**
 * Every type with tickets in the last 7 days or the 8 weeks before, with its surge verdict
 * (analytics judgeSurge), surging types first (smallest p-value first), then by last-7-day count.
 */
export async function assessTypeSurges(db: Db, options: { now: Date; rule?: Partial<SurgeRule> }): Promise<TypeSurgeAssessment[]> {
  const rule = resolveSurgeRule(options.rule);
  const { baselineStart, weekAgo } = surgeWindowsAt(options.now);
  const result = await sql<{ type_key: string; display_name: string; last7: number; prior: number }>`
    select f.type_key, t.display_name,
      count(*) filter (where f.created_at >= ${weekAgo}::timestamptz) as last7,
      count(*) filter (where f.created_at < ${weekAgo}::timestamptz) as prior
    from fact_ticket f join dim_request_type t on t.type_key = f.type_key
    where f.created_at >= ${baselineStart}::timestamptz and f.created_at < ${options.now}::timestamptz
    group by f.type_key, t.display_name`.execute(db);
  return result.rows
    .map((row) =>
      judgeSurge(
        { typeKey: row.type_key, displayName: row.display_name, last7Days: row.last7, weeklyMean: row.prior / SURGE_BASELINE_WEEKS },
        rule,
      ),
    )
    .sort(compareSurgesFirst);
}

/**
 * Request types whose intake surged in the last 7 days (7 × 24 h before `now`) under the
 * surge rule (analytics judgeSurge: far more than the type's usual week would produce by chance).
 */
export async function findSurgingTypes(db: Db, options: { now: Date; rule?: Partial<SurgeRule> }): Promise<TypeSurgeAssessment[]> {
  return (await assessTypeSurges(db, options)).filter((assessment) => assessment.surging);
}
