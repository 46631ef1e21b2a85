// analytics/: the pure SLA domain (policy, clock, report windows and periods, worst-type ranking, surge rule); no SQL, no I/O.
import { InputError } from '../shared/errors.js';
import { createSlaClock, describeSlaClock, WALL_CLOCK, type SlaClock, type SlaClockContext, type SlaClockRule } from './sla-clock.js';

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
  /** The '*' row's clock; absent means the wall clock (every policy before migration 011). */
  readonly defaultClock?: SlaClockRule;
  /** The clock of each type with its own row; a type's row sets its hours and its clock together. */
  readonly clockOverrides?: ReadonlyMap<string, SlaClockRule>;
}

/** One sla_policy row as the domain sees it; `clock` absent is the wall clock. */
export interface SlaPolicyRow {
  readonly typeKey: string;
  readonly slaHours: number;
  readonly clock?: SlaClockRule;
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
export function createSlaPolicy(rows: Iterable<SlaPolicyRow>, fallbackHours: number): SlaPolicy {
  const overrides = new Map<string, number>();
  const clockOverrides = new Map<string, SlaClockRule>();
  let tableDefault: number | undefined;
  let defaultClock: SlaClockRule = WALL_CLOCK;
  for (const row of rows) {
    if (row.typeKey === DEFAULT_SLA_POLICY_KEY) {
      tableDefault = row.slaHours;
      defaultClock = row.clock ?? WALL_CLOCK;
    } else {
      overrides.set(row.typeKey, row.slaHours);
      clockOverrides.set(row.typeKey, row.clock ?? WALL_CLOCK);
    }
  }
  // Without a '*' row the configured SLA_HOURS is the default, on the wall clock as it always was.
  return tableDefault === undefined
    ? { defaultHours: fallbackHours, defaultSource: 'config', overrides, defaultClock: WALL_CLOCK, clockOverrides }
    : { defaultHours: tableDefault, defaultSource: 'table', overrides, defaultClock, clockOverrides };
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

/** The clock of one request type: its own row's clock, else the '*' row's, else the wall clock. */
export function slaClockFor(policy: SlaPolicy, typeKey: string): SlaClockRule {
  return policy.clockOverrides?.get(typeKey) ?? (policy.overrides.has(typeKey) ? WALL_CLOCK : (policy.defaultClock ?? WALL_CLOCK));
}

/** True when every type runs on the wall clock (callers may keep the plain `created + hours`). */
export function isWallClockPolicy(policy: SlaPolicy): boolean {
  if ((policy.defaultClock ?? WALL_CLOCK).kind !== 'wall') return false;
  for (const rule of policy.clockOverrides?.values() ?? []) if (rule.kind !== 'wall') return false;
  return true;
}

/** Deadlines and time left of any request type under a policy, each type on its own clock. */
export interface PolicyClock {
  /** The clock of one type (shared by every type with the same clock rule). */
  clockOf(typeKey: string): SlaClock;
  /** When a ticket of this type created at `createdAt` breaches its SLA. */
  dueAt(typeKey: string, createdAt: Date): Date;
  /** The type's clock hours from `at` to its deadline; negative once breached. */
  hoursLeft(typeKey: string, createdAt: Date, at: Date): number;
  /** The type's clock hours between two instants (business hours on a business clock). */
  elapsedHours(typeKey: string, from: Date, to: Date): number;
}

/**
 * The policy on its clocks, in the city's zone and holidays. For a policy read before migration
 * 011 (no clocks) every answer is today's wall-clock one: due = created + the type's hours.
 */
export function createPolicyClock(policy: SlaPolicy, context: SlaClockContext): PolicyClock {
  const clocks = new Map<string, SlaClock>();
  const clockOf = (typeKey: string): SlaClock => {
    const rule = slaClockFor(policy, typeKey);
    const key = describeSlaClock(rule);
    let clock = clocks.get(key);
    if (!clock) {
      clock = createSlaClock(rule, context);
      clocks.set(key, clock);
    }
    return clock;
  };
  return {
    clockOf,
    dueAt: (typeKey, createdAt) => clockOf(typeKey).dueAt(createdAt, slaHoursFor(policy, typeKey)),
    hoursLeft: (typeKey, createdAt, at) => clockOf(typeKey).hoursLeft(createdAt, slaHoursFor(policy, typeKey), at),
    elapsedHours: (typeKey, from, to) => clockOf(typeKey).elapsedHours(from, to),
  };
}
