import type { Generated } from 'kysely';

/** sla_policy: per-type SLA overrides; type_key '*' is the default row (see 002_analytics.sql). */
export interface SlaPolicyTable {
  type_key: string;
  sla_hours: number;
  note: string | null;
  updated_at: Generated<Date>;
}

/** Tables owned by the analytics domain (migration files in db/migrations). */
export interface AnalyticsTables {
  sla_policy: SlaPolicyTable;
}
