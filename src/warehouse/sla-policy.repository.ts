import type { Kysely } from 'kysely';
import { DEFAULT_SLA_POLICY_KEY, assertSlaHours, createSlaPolicy, type SlaPolicy, type SlaPolicyRow } from '../analytics/sla-policy.js';
import {
  DEFAULT_BUSINESS_HOURS,
  WALL_CLOCK,
  assertBusinessHours,
  formatTimeOfDay,
  parseTimeOfDay,
  type SlaClockRule,
} from '../analytics/sla-clock.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** A row's clock: the wall clock, or business hours from its start and end columns (Monday to Friday). */
function clockOfRow(row: { clock: 'wall' | 'business'; business_day_start: string; business_day_end: string }): SlaClockRule {
  if (row.clock === 'wall') return WALL_CLOCK;
  return {
    kind: 'business',
    businessHours: {
      startMinute: parseTimeOfDay(row.business_day_start),
      endMinute: parseTimeOfDay(row.business_day_end),
      weekdays: DEFAULT_BUSINESS_HOURS.weekdays,
    },
  };
}

/** Every sla_policy row with its clock. */
export async function listSlaPolicyRows(db: Db): Promise<SlaPolicyRow[]> {
  const rows = await db
    .selectFrom('sla_policy')
    .select(['type_key', 'sla_hours', 'clock', 'business_day_start', 'business_day_end'])
    .orderBy('type_key')
    .execute();
  return rows.map((row) => ({ typeKey: row.type_key, slaHours: row.sla_hours, clock: clockOfRow(row) }));
}

/** Reads sla_policy; `fallbackHours` (config slaHours) is the default only when there is no '*' row. */
export async function loadSlaPolicy(db: Db, fallbackHours: number): Promise<SlaPolicy> {
  return createSlaPolicy(await listSlaPolicyRows(db), fallbackHours);
}

/** The clock columns of a rule; a wall row keeps the default business times, so switching back and forth loses nothing. */
function clockColumns(clock: SlaClockRule) {
  if (clock.kind === 'wall') return { clock: 'wall' as const };
  assertBusinessHours(clock.businessHours);
  return {
    clock: 'business' as const,
    business_day_start: formatTimeOfDay(clock.businessHours.startMinute),
    business_day_end: formatTimeOfDay(clock.businessHours.endMinute),
  };
}

/**
 * Sets the SLA of one type, or of every type without its own row when typeKey is '*'. Without
 * `clock` a new row runs on the wall clock and an existing row keeps the clock it has.
 */
export async function setSlaHours(db: Db, typeKey: string, hours: number, note: string | null = null, clock?: SlaClockRule): Promise<void> {
  assertSlaHours(hours);
  const clockValues = clock ? clockColumns(clock) : {};
  await db
    .insertInto('sla_policy')
    .values({ type_key: typeKey, sla_hours: hours, note, ...clockValues })
    .onConflict((oc) => oc.column('type_key').doUpdateSet({ sla_hours: hours, note, updated_at: new Date(), ...clockValues }))
    .execute();
}

/** Sets the clock of an existing policy row, leaving its hours; false when the type has no row. */
export async function setSlaClock(db: Db, typeKey: string, clock: SlaClockRule): Promise<boolean> {
  const result = await db
    .updateTable('sla_policy')
    .set({ ...clockColumns(clock), updated_at: new Date() })
    .where('type_key', '=', typeKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Keeps the '*' default row equal to the configured SLA_HOURS, so the environment, the CLI,
 * the model and analysts' SQL agree on the default; per-type rows still override it. The row's
 * clock is left as it is. True when the row changed (the deadlines it sets must move:
 * sla-due.repository syncSlaPolicyAndDueDates).
 */
export async function syncDefaultSlaHours(db: Db, hours: number): Promise<boolean> {
  const current = await db.selectFrom('sla_policy').select('sla_hours').where('type_key', '=', DEFAULT_SLA_POLICY_KEY).executeTakeFirst();
  if (current?.sla_hours === hours) return false;
  await setSlaHours(db, DEFAULT_SLA_POLICY_KEY, hours, 'City-wide default, from SLA_HOURS');
  return true;
}
