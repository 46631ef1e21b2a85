// analytics/: the pure SLA domain (policy, clock, report windows and periods, worst-type ranking, surge rule); no SQL, no I/O.
import { InputError } from '../shared/errors.js';

/** Milliseconds in an hour: SLAs are stated in hours, instants are epoch milliseconds. */
export const HOUR_MS = 3_600_000;

/** The sla_policy row that applies to every type without its own row. */
export const DEFAULT_SLA_POLICY_KEY = '*';

/**
 * Effective SLA hours per request type: a type's own sla_policy row, else the '*' row, else
 * the configured SLA_HOURS (only when the '*' row was deleted; migration 002 inserts it).
 */
export interface SlaPolicy {
  readonly defaultHours: number;
  /** Where defaultHours came from: the '*' row of sla_policy or the configured fallback. */
  readonly defaultSource: 'table' | 'config';
  readonly overrides: ReadonlyMap<string, number>;
}

/** A policy with one SLA for every type (tests, benchmarks, or a warehouse without sla_policy rows). */
export function createUniformSlaPolicy(hours: number): SlaPolicy {
  if (!(hours > 0)) throw new InputError(`SLA hours must be positive (got ${hours}).`);
  return { defaultHours: hours, defaultSource: 'config', overrides: new Map() };
}

/**
 * The policy described by sla_policy rows: the '*' row is the default; without one,
 * `fallbackHours` (config SLA_HOURS) is.
 */
export function createSlaPolicy(rows: Iterable<{ typeKey: string; slaHours: number }>, fallbackHours: number): SlaPolicy {
  const overrides = new Map<string, number>();
  let tableDefault: number | undefined;
  for (const row of rows) {
    if (row.typeKey === DEFAULT_SLA_POLICY_KEY) tableDefault = row.slaHours;
    else overrides.set(row.typeKey, row.slaHours);
  }
  return tableDefault === undefined
    ? { defaultHours: fallbackHours, defaultSource: 'config', overrides }
    : { defaultHours: tableDefault, defaultSource: 'table', overrides };
}

/** Effective SLA of one request type under a policy. */
export function slaHoursFor(policy: SlaPolicy, typeKey: string): number {
  return policy.overrides.get(typeKey) ?? policy.defaultHours;
}

/** Effective SLA of one request type in milliseconds (the unit of the SLA clock). */
export function slaMsFor(policy: SlaPolicy, typeKey: string): number {
  return slaHoursFor(policy, typeKey) * HOUR_MS;
}

/** Throws InputError unless `hours` can be an SLA (positive and finite). */
export function assertSlaHours(hours: number): void {
  if (!(hours > 0) || !Number.isFinite(hours)) throw new InputError(`SLA hours must be a positive number (got ${hours}).`);
}
