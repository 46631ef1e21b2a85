import type { Kysely } from 'kysely';
import {
  DEFAULT_BUSINESS_HOURS,
  SLA_CLOCK_KINDS,
  formatTimeOfDay,
  type SlaClockKind,
  type SlaClockRule,
} from '../../analytics/sla-clock.js';
import { DEFAULT_SLA_POLICY_KEY, assertSlaHours, type SlaPolicyRow } from '../../analytics/sla-policy.js';
import { slaDueContext } from '../../main.js';
import { InputError } from '../../shared/errors.js';
import { resolveRequestType } from '../../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import { applySlaPolicy } from '../../warehouse/sla-due.repository.js';
import { listSlaPolicyRows } from '../../warehouse/sla-policy.repository.js';
import { writeLine, type CliCommand, type CliContext } from '../command.js';

const USAGE = 'Usage: civicops sla-policy list [--json] | set <request type|*> --hours N [--clock wall|business]';

/** The clock of a policy row as one word and, for business hours, the working day. */
function describeClock(clock: SlaClockRule | undefined): string {
  if (!clock || clock.kind === 'wall') return 'wall';
  const { startMinute, endMinute } = clock.businessHours;
  return `business ${formatTimeOfDay(startMinute)}–${formatTimeOfDay(endMinute)} Mon–Fri`;
}

function parseHours(text: string | boolean | undefined): number {
  if (typeof text !== 'string') throw new InputError('--hours is required: the SLA length, e.g. --hours 72.');
  const hours = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (Number.isNaN(hours)) throw new InputError(`--hours must be a positive number of hours (got "${text}").`);
  assertSlaHours(hours);
  return hours;
}

function parseClockKind(text: string | boolean | undefined): SlaClockKind | undefined {
  if (text === undefined) return undefined;
  const kind = SLA_CLOCK_KINDS.find((candidate) => candidate === text);
  if (!kind) throw new InputError(`--clock must be wall or business (got "${String(text)}").`);
  return kind;
}

/** The rule to store: a business row keeps the working day it has; a new business clock is 08:00–17:00. */
function clockRule(kind: SlaClockKind | undefined, current: SlaPolicyRow | undefined): SlaClockRule | undefined {
  if (kind === undefined) return undefined;
  if (kind === 'wall') return { kind: 'wall' };
  return current?.clock?.kind === 'business' ? current.clock : { kind: 'business', businessHours: DEFAULT_BUSINESS_HOURS };
}

async function listPolicies(db: Kysely<WarehouseSchema>, context: CliContext, json: boolean): Promise<number> {
  const rows = await listSlaPolicyRows(db);
  const names = new Map(
    (await db.selectFrom('dim_request_type').select(['type_key', 'display_name']).execute()).map((t) => [t.type_key, t.display_name]),
  );
  const entries = rows.map((row) => ({
    type_key: row.typeKey,
    request_type: row.typeKey === DEFAULT_SLA_POLICY_KEY ? 'every other type' : (names.get(row.typeKey) ?? row.typeKey),
    sla_hours: row.slaHours,
    clock: row.clock?.kind ?? 'wall',
    clock_description: describeClock(row.clock),
  }));
  if (json) {
    writeLine(context.stdout, JSON.stringify({ policies: entries }));
    return 0;
  }
  const width = Math.max(...entries.map((entry) => entry.request_type.length), 12);
  for (const entry of entries)
    writeLine(context.stdout, `${entry.request_type.padEnd(width)}  ${String(entry.sla_hours).padStart(5)} h  ${entry.clock_description}`);
  return 0;
}

async function setPolicy(
  db: Kysely<WarehouseSchema>,
  context: CliContext,
  typeText: string,
  values: Record<string, string | boolean | undefined>,
) {
  const hours = parseHours(values.hours);
  const kind = parseClockKind(values.clock);
  const typeKey = typeText.trim() === DEFAULT_SLA_POLICY_KEY ? DEFAULT_SLA_POLICY_KEY : (await resolveRequestType(db, typeText)).typeKey;
  const current = (await listSlaPolicyRows(db)).find((row) => row.typeKey === typeKey);
  const clock = clockRule(kind, current);
  const due = slaDueContext(context.config);
  const moved = await applySlaPolicy(db, due, { typeKey, hours, clock, note: 'set with civicops sla-policy' });
  const clockText = describeClock(clock ?? current?.clock);
  const what = typeKey === DEFAULT_SLA_POLICY_KEY ? "the default ('*', every type without its own row)" : typeKey;
  writeLine(context.stdout, `SLA of ${what}: ${hours} h on the ${clockText} clock; ${moved} ticket deadline(s) moved.`);
  return 0;
}

export const slaPolicyCommand: CliCommand = {
  name: 'sla-policy',
  summary: 'List or set the SLA of a request type: its hours and its clock (wall-clock or business hours)',
  usage: 'civicops sla-policy list [--json] | civicops sla-policy set <request type|*> --hours N [--clock wall|business]',
  options: {
    hours: { type: 'string', description: 'set: the SLA length in hours (business hours on the business clock)' },
    clock: {
      type: 'string',
      description:
        'set: wall (real elapsed hours) or business (08:00–17:00 Mon–Fri city time, holidays off); default: keep the row’s clock',
    },
    json: { type: 'boolean', description: 'list: print one JSON object' },
  },
  details: [
    "A type's SLA is its sla_policy row, else the '*' row (SLA_HOURS). On the business clock only the",
    "city's business hours count: weekends, US federal holidays and the city's days in",
    'data/holidays/<city>.json are skipped. Setting a policy recomputes the stored deadline of every',
    'ticket it governs, so reports, the worklist and the model label follow at once.',
    '',
    'Examples:',
    '  civicops sla-policy list',
    '  civicops sla-policy list --json',
    '  civicops sla-policy set pothole --hours 72 --clock wall',
  ].join('\n'),
  async run({ values, positionals }, context) {
    const [action, ...rest] = positionals;
    const isList = action === 'list' && rest.length === 0;
    const isSet = action === 'set' && rest.length === 1;
    if (!isList && !isSet) throw new InputError(USAGE);
    const app = await context.openApp();
    try {
      const db = app.warehouse.db;
      return isList ? await listPolicies(db, context, values.json === true) : await setPolicy(db, context, rest[0]!, values);
    } finally {
      await app.close();
    }
  },
};
