import type { Generated } from 'kysely';

/** sla_policy: per-type SLA overrides; type_key '*' is the default row (see 002_analytics.sql). */
export interface SlaPolicyTable {
  type_key: string;
  sla_hours: number;
  note: string | null;
  updated_at: Generated<Date>;
  /** 'wall' (real hours, the default) or 'business' (business hours and holidays; migration 011). */
  clock: Generated<'wall' | 'business'>;
  /** City-local opening time of a business day, as PostgreSQL prints a time ('08:00:00'). */
  business_day_start: Generated<string>;
  /** City-local closing time ('17:00:00'; '24:00:00' is the end of the day). */
  business_day_end: Generated<string>;
}

/** Tables owned by the analytics domain (migration files in db/migrations). */
export interface AnalyticsTables {
  sla_policy: SlaPolicyTable;
}
