import type { Kysely } from 'kysely';
import { DEFAULT_SLA_POLICY_KEY, assertSlaHours, createSlaPolicy, type SlaPolicy } from '../analytics/sla-policy.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** Reads sla_policy; `fallbackHours` (config slaHours) is the default only when there is no '*' row. */
export async function loadSlaPolicy(db: Db, fallbackHours: number): Promise<SlaPolicy> {
  const rows = await db.selectFrom('sla_policy').select(['type_key', 'sla_hours']).execute();
  return createSlaPolicy(
    rows.map((row) => ({ typeKey: row.type_key, slaHours: row.sla_hours })),
    fallbackHours,
  );
}

/** Sets the SLA of one type, or of every type without its own row when typeKey is '*'. */
export async function setSlaHours(db: Db, typeKey: string, hours: number, note: string | null = null): Promise<void> {
  assertSlaHours(hours);
  await db
    .insertInto('sla_policy')
    .values({ type_key: typeKey, sla_hours: hours, note })
    .onConflict((oc) => oc.column('type_key').doUpdateSet({ sla_hours: hours, note, updated_at: new Date() }))
    .execute();
}

/**
 * Keeps the '*' default row equal to the configured SLA_HOURS, so the environment, the CLI,
 * the model and analysts' SQL agree on the default; per-type rows still override it.
 */
export async function syncDefaultSlaHours(db: Db, hours: number): Promise<void> {
  const current = await db.selectFrom('sla_policy').select('sla_hours').where('type_key', '=', DEFAULT_SLA_POLICY_KEY).executeTakeFirst();
  if (current?.sla_hours === hours) return;
  await setSlaHours(db, DEFAULT_SLA_POLICY_KEY, hours, 'City-wide default, from SLA_HOURS');
}
