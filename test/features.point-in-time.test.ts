import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFeatureContext, buildTrainingSet, type TrainingSet } from '../src/features/training-set.js';
import { computeFeaturesAt } from '../src/features/features-at.js';
import { FEATURE_NAMES, type FeatureVector } from '../src/features/feature-catalog.js';
import type { TicketInput } from '../src/features/assemble-features.js';
import { extractRow } from '../src/model/dataset.js';
import type { SlaPolicy } from '../src/analytics/sla-policy.js';
import { loadSlaPolicy, setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { getBacklogAt } from '../src/warehouse/volume.repository.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { toCityParts } from '../src/shared/city-time.js';
import { createLogger } from '../src/shared/logger.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import {
  cityTime,
  generateFixtureTickets,
  insertFixtureTickets,
  FIXTURE_TIME_ZONE,
  type FixtureTicket,
} from './helpers/ticket-fixtures.js';

const timeZone = FIXTURE_TIME_ZONE;
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

function rowOf(set: TrainingSet, ticketId: string): Record<string, number> {
  const index = set.ticketIds.indexOf(ticketId);
  if (index < 0) throw new Error(`ticket ${ticketId} is not in the training set`);
  const row = extractRow(set.data, index);
  return Object.fromEntries(set.data.featureNames.map((name, f) => [name, row[f]]));
}

function inputOf(ticket: FixtureTicket, createdAt = ticket.createdAt): TicketInput {
  return {
    typeKey: ticket.requestType
      .toLowerCase()
      .replace(/&/g, ' and ')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, ''),
    createdAt,
    latitude: ticket.latitude,
    longitude: ticket.longitude,
    commissionDistrict: ticket.commissionDistrict,
    policeSector: ticket.policeSector,
    description: ticket.description,
    reporterDisplay: ticket.reporterDisplay,
  };
}

/** What the warehouse knew at T: tickets created by T, closures and archivals after T not yet happened. */
function asKnownAt(tickets: readonly FixtureTicket[], t: Date): FixtureTicket[] {
  return tickets
    .filter((ticket) => ticket.createdAt.getTime() <= t.getTime())
    .map((ticket) => {
      const closedLater = ticket.closedAt && ticket.closedAt.getTime() > t.getTime();
      const archivedLater = ticket.status === 'Archived' && (ticket.lastUpdatedAt?.getTime() ?? 0) > t.getTime();
      if (!closedLater && !archivedLater) return ticket;
      return { ...ticket, closedAt: null, status: 'Open', isOpen: true, lastUpdatedAt: ticket.createdAt };
    });
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** A SODA row as the city serves it (local times without zone, values as text, null fields omitted). */
function sodaRowOf(ticket: FixtureTicket, updatedAt: string): Record<string, unknown> {
  const iso = (at: Date) => {
    const p = toCityParts(at, timeZone);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.000`;
  };
  const stamp = (at: Date) => {
    const p = toCityParts(at, timeZone);
    return `${pad(p.month)}/${pad(p.day)}/${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  };
  const row: Record<string, unknown> = {
    id: ticket.ticketId,
    status: ticket.status ?? (ticket.closedAt ? 'Closed' : 'Open'),
    request_type: ticket.requestType,
    created: iso(ticket.createdAt),
    last_updated: stamp(ticket.lastUpdatedAt ?? ticket.closedAt ?? ticket.createdAt),
    ':updated_at': updatedAt,
  };
  if (ticket.closedAt) row.closed = stamp(ticket.closedAt);
  if (ticket.latitude != null) row.latitude = String(ticket.latitude);
  if (ticket.longitude != null) row.longitude = String(ticket.longitude);
  if (ticket.commissionDistrict != null) row.commission_district = ticket.commissionDistrict;
  if (ticket.policeSector != null) row.police_sector = ticket.policeSector;
  if (ticket.description != null) row.description = ticket.description;
  if (ticket.reporterDisplay != null) row.reporter_display = ticket.reporterDisplay;
  return row;
}

describe.each(engines)('point-in-time features on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let policy: SlaPolicy;
  const tickets = generateFixtureTickets({ count: 400, start: cityTime('2024-01-01 00:00'), days: 150, seed: 11 });
  const cutoff = cityTime('2024-03-20 12:00');
  let early: TrainingSet;
  let full: TrainingSet;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await setSlaHours(warehouse.db, 'noise_complaint', 24);
    policy = await loadSlaPolicy(warehouse.db, 72);
    // First the warehouse as it was at the cutoff, then everything that happened after.
    await insertFixtureTickets(warehouse.db, asKnownAt(tickets, cutoff));
    early = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
    await insertFixtureTickets(warehouse.db, tickets);
    full = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('uses the per-type SLA policy from the warehouse', () => {
    expect(full.policy.overrides.get('noise_complaint')).toBe(24);
    expect(full.data.featureNames).toEqual([...FEATURE_NAMES]);
    expect(full.data.rows).toBe(tickets.length);
  });

  it('gives every ticket created at or before T the same features whatever happens after T', () => {
    const before = early.ticketIds;
    expect(before.length).toBeGreaterThan(100);
    expect(before.length).toBeLessThan(tickets.length);
    // Later closures of these early tickets exist, so a leak would show up.
    const closedLater = tickets.filter((t) => t.createdAt <= cutoff && t.closedAt && t.closedAt > cutoff);
    expect(closedLater.length).toBeGreaterThanOrEqual(3);
    for (const ticketId of before) expect(rowOf(full, ticketId)).toEqual(rowOf(early, ticketId));
  });

  it('computes the same features in SQL (computeFeaturesAt) as in the streaming pass', async () => {
    const sample = tickets.filter((_, index) => index % 9 === 0 || index % 10 === 9);
    for (const ticket of sample) {
      const sqlFeatures = await computeFeaturesAt(warehouse.db, inputOf(ticket), { sla: policy, timeZone });
      expect({ id: ticket.ticketId, ...sqlFeatures }).toEqual({ id: ticket.ticketId, ...rowOf(full, ticket.ticketId) });
    }
  });

  it('computes the same features for a new ticket from the context as from SQL, at and after the horizon', async () => {
    const context = await buildFeatureContext(warehouse.db, { slaHours: 72, timeZone });
    const horizon = context.horizon!;
    expect(horizon.getTime()).toBeGreaterThanOrEqual(tickets[tickets.length - 1].createdAt.getTime());
    const templates = [tickets[3], tickets[5], tickets[8]];
    for (const at of [horizon, new Date(horizon.getTime() + 3 * 3_600_000), new Date(horizon.getTime() + 40 * 86_400_000)]) {
      for (const template of templates) {
        const input = inputOf(template, at);
        const fromContext = context.computeFeatures(input);
        const fromSql = await computeFeaturesAt(warehouse.db, input, { sla: policy, timeZone });
        expect(fromContext).toEqual(fromSql);
      }
    }
    const unseen = { ...inputOf(tickets[3], horizon), typeKey: 'brand_new_type', reporterDisplay: 'someone new' };
    expect(context.computeFeatures(unseen)).toEqual(await computeFeaturesAt(warehouse.db, unseen, { sla: policy, timeZone }));
    expect(Number.isNaN(context.computeFeatures(unseen).requestTypeCode)).toBe(true);
    expect(() => context.computeFeatures(inputOf(tickets[3], new Date(horizon.getTime() - 1)))).toThrow(/computeFeaturesAt/);
  });

  it('lets the caller override context features, recomputing the ratio that depends on them', async () => {
    const context = await buildFeatureContext(warehouse.db, { slaHours: 72, timeZone });
    const at = new Date(context.horizon!.getTime() + 3_600_000);
    const plain = context.computeFeatures(inputOf(tickets[3], at));
    const overridden = context.computeFeatures({
      ...inputOf(tickets[3], at),
      overrides: { typeBacklog: plain.typeBacklog + 50, totalVolume7d: 7 },
    });
    expect(overridden.typeBacklog).toBe(plain.typeBacklog + 50);
    expect(overridden.totalVolume7d).toBe(7);
    expect(overridden.typeBacklogRatio).toBeGreaterThan(plain.typeBacklogRatio);
    expect(overridden.typeBreachRate).toBe(plain.typeBreachRate);
  });
});

describe.each(engines)('a later edit of an archived ticket on $name', ({ name }) => {
  // The city edits archived rows long after archiving them (bulk re-archivals bump last_updated).
  // Ingested through the real upsert: archived_at is frozen at the first archival seen, so such an
  // edit, arriving after T, changes no feature (nor backlog) of a ticket created at or before T.
  let warehouse: TestWarehouse;
  let policy: SlaPolicy;
  const logger = createLogger({ level: 'silent' });
  const tickets = generateFixtureTickets({ count: 300, start: cityTime('2024-01-01 00:00'), days: 120, seed: 23, idPrefix: '7' });
  const archived = tickets.filter((ticket) => ticket.status === 'Archived');
  const bumpedTo = cityTime('2024-09-01 03:00');
  const backlogInstants = ['2024-02-15 12:00', '2024-03-20 08:00', '2024-04-25 17:00'].map((text) => cityTime(text));
  let before: TrainingSet;
  let after: TrainingSet;
  let backlogBefore: Awaited<ReturnType<typeof getBacklogAt>>[];

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    policy = await loadSlaPolicy(warehouse.db, 72);
    const ingest = (rows: Record<string, unknown>[]) => ingestRows({ db: warehouse.db, logger, timeZone }, rows, { source: 'file:test' });
    await ingest(tickets.map((ticket) => sodaRowOf(ticket, '2024-06-01T00:00:00.000Z')));
    before = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
    backlogBefore = await Promise.all(backlogInstants.map((at) => getBacklogAt(warehouse.db, at)));
    // Months later the city edits every archived row: only last_updated (and :updated_at) move.
    await ingest(archived.map((ticket) => sodaRowOf({ ...ticket, lastUpdatedAt: bumpedTo }, '2024-09-01T07:00:00.000Z')));
    after = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('stores the later last update but keeps the archival instant first seen', async () => {
    expect(archived.length).toBeGreaterThanOrEqual(10);
    const rows = await warehouse.db
      .selectFrom('fact_ticket')
      .select(['ticket_id', 'last_updated_at', 'archived_at', 'is_open', 'closed_at'])
      .where('status', '=', 'Archived')
      .execute();
    expect(rows).toHaveLength(archived.length);
    for (const row of rows) {
      const ticket = archived.find((t) => t.ticketId === row.ticket_id)!;
      expect(row.last_updated_at?.getTime()).toBe(bumpedTo.getTime()); // the edit was applied
      expect(row.archived_at?.getTime()).toBe(ticket.lastUpdatedAt!.getTime()); // the archival was not moved
      expect(row.is_open).toBe(false);
      expect(row.closed_at).toBeNull();
    }
    const others = await warehouse.db
      .selectFrom('fact_ticket')
      .select('ticket_id')
      .where('status', '<>', 'Archived')
      .where('archived_at', 'is not', null)
      .execute();
    expect(others).toEqual([]);
  });

  it('changes no feature of any ticket created before the edit', () => {
    // A leak would show: tickets are created between an archival and the edit.
    const firstArchival = Math.min(...archived.map((ticket) => ticket.lastUpdatedAt!.getTime()));
    expect(tickets.filter((ticket) => ticket.createdAt.getTime() > firstArchival).length).toBeGreaterThan(100);
    expect(after.ticketIds).toEqual(before.ticketIds);
    expect(after.ticketIds.length).toBe(tickets.length);
    for (const ticketId of before.ticketIds)
      expect({ ticketId, ...rowOf(after, ticketId) }).toEqual({ ticketId, ...rowOf(before, ticketId) });
    expect(Array.from(after.labels)).toEqual(Array.from(before.labels));
    expect(Array.from(after.labelKnown)).toEqual(Array.from(before.labelKnown));
  });

  it('keeps backlog counts at earlier instants, and SQL features agree with the streaming pass', async () => {
    const backlogAfter = await Promise.all(backlogInstants.map((at) => getBacklogAt(warehouse.db, at)));
    expect(backlogAfter).toEqual(backlogBefore);
    for (const ticket of tickets.filter((_, index) => index % 15 === 0)) {
      const fromSql = await computeFeaturesAt(warehouse.db, inputOf(ticket), { sla: policy, timeZone });
      expect({ id: ticket.ticketId, ...fromSql }).toEqual({ id: ticket.ticketId, ...rowOf(after, ticket.ticketId) });
    }
  });
});

describe.each(engines)('feature definitions on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let set: TrainingSet;
  const road = 'Road Repair';
  const noise = 'Noise Complaint';
  // SLA 72 h. asOf 2024-05-10 12:00.
  const fixture: FixtureTicket[] = [
    {
      ticketId: 'A',
      requestType: road,
      createdAt: cityTime('2024-05-01 09:00'),
      closedAt: cityTime('2024-05-02 09:00'),
      reporterDisplay: 'andy k',
    }, // 24 h: met
    {
      ticketId: 'B',
      requestType: road,
      createdAt: cityTime('2024-05-01 10:00'),
      closedAt: cityTime('2024-05-06 10:00'),
      reporterDisplay: 'An anonymous SeeClickFix user',
    }, // 120 h: breached
    { ticketId: 'C', requestType: road, createdAt: cityTime('2024-05-03 09:00'), reporterDisplay: 'andy k', description: '  big hole  ' }, // open 7 d at asOf: breached
    { ticketId: 'D', requestType: road, createdAt: cityTime('2024-05-03 09:00'), reporterDisplay: 'andy k' }, // same instant as C
    { ticketId: 'E', requestType: noise, createdAt: cityTime('2024-05-09 09:00') }, // open 27 h: unknown
    {
      ticketId: 'F',
      requestType: noise,
      createdAt: cityTime('2024-05-04 09:00'),
      status: 'Archived',
      isOpen: false,
      lastUpdatedAt: cityTime('2024-05-05 09:00'),
    }, // unknown
    { ticketId: 'G', requestType: noise, createdAt: cityTime('2024-05-04 10:00'), closedAt: cityTime('2024-05-04 08:00') }, // flagged: unknown
    { ticketId: 'H', requestType: noise, createdAt: cityTime('2024-05-07 09:00'), closedAt: cityTime('2024-05-11 09:00') }, // closes after asOf, 3 d 3 h old then: breached
    { ticketId: 'I', requestType: road, createdAt: cityTime('2024-05-08 09:00'), reporterDisplay: 'andy k' }, // open 51 h: unknown
    // Closed in 2 h, but only 26 h old at asOf: unknown like the open ones of its age (a label only
    // for the fast closures among young tickets would bias the newest tickets toward 'met').
    { ticketId: 'J', requestType: road, createdAt: cityTime('2024-05-09 10:00'), closedAt: cityTime('2024-05-09 12:00') },
  ];
  const asOf = cityTime('2024-05-10 12:00');

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, fixture);
    set = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf, timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('labels breaches as of asOf and marks unknown outcomes', () => {
    const label = (id: string) => {
      const i = set.ticketIds.indexOf(id);
      return set.labelKnown[i] ? set.labels[i] : 'unknown';
    };
    expect(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map(label)).toEqual([
      0,
      1,
      1,
      1,
      'unknown',
      'unknown',
      'unknown',
      1,
      'unknown',
      'unknown',
    ]);
    expect(set.typeKeys[set.ticketIds.indexOf('E')]).toBe('noise_complaint');
  });

  it('counts only tickets created strictly before, with same-instant tickets not counting each other', () => {
    const c = rowOf(set, 'C');
    const d = rowOf(set, 'D');
    expect(c.typePriorTickets).toBe(2);
    expect(d.typePriorTickets).toBe(2);
    expect(c.reporterPriorTickets).toBe(1); // A only: B is anonymous, D is at the same instant
    expect(d.reporterPriorTickets).toBe(1);
    expect(rowOf(set, 'I').reporterPriorTickets).toBe(3);
    expect(Number.isNaN(rowOf(set, 'B').reporterPriorTickets)).toBe(true);
    expect(Number.isNaN(rowOf(set, 'E').reporterPriorTickets)).toBe(true);
  });

  it('counts backlog with archived tickets leaving it at their archival and closures only once they happened', () => {
    const i = rowOf(set, 'I'); // 2024-05-08 09:00
    // Open then: C, D (road), H (noise, closes the 11th). A closed, B closed the 6th, F archived the 5th, G flagged.
    expect(i.typeBacklog).toBe(2);
    expect(i.totalBacklog).toBe(3);
    expect(i.typeVolume7d).toBe(4);
    expect(i.totalVolume7d).toBe(7);
  });

  it('learns type speed and breach rate only from closures before creation, smoothed toward the global rate', () => {
    const c = rowOf(set, 'C'); // 2024-05-03 09:00: only A closed (24 h, met)
    expect(c.typeMedianHoursToClose).toBe(24);
    expect(c.typeBreachRate).toBeCloseTo((0 + 20 * 0) / (1 + 20), 12);
    const i = rowOf(set, 'I'); // A (met) and B (breached) closed; G is flagged and ignored
    expect(i.typeMedianHoursToClose).toBe(72);
    expect(i.globalBreachRate90d).toBeCloseTo(0.5, 12);
    expect(i.typeBreachRate).toBeCloseTo((1 + 20 * 0.5) / (2 + 20), 12);
    const e = rowOf(set, 'E'); // a type with no closures gets the global rate
    expect(e.typeBreachRate).toBeCloseTo(0.5, 12);
    expect(Number.isNaN(e.typeMedianHoursToClose)).toBe(true);
    expect(Number.isNaN(rowOf(set, 'A').typeBreachRate)).toBe(true); // nothing closed anywhere yet
  });

  it('reads calendar features in city time and the ticket fields at creation', () => {
    const c = rowOf(set, 'C');
    expect(c.hourOfDay).toBe(9);
    expect(c.dayOfWeek).toBe(5); // Friday
    expect(c.month).toBe(5);
    expect(c.hasDescription).toBe(1);
    expect(c.descriptionLength).toBe('big hole'.length);
    expect(rowOf(set, 'A').requestTypeCode).toBe(Number.NaN);
    expect(rowOf(set, 'C').requestTypeCode).toBe(0);
    expect(Number.isNaN(rowOf(set, 'F').requestTypeCode)).toBe(true); // first noise ticket
    expect(rowOf(set, 'G').requestTypeCode).toBe(1);
  });

  it('agrees with computeFeaturesAt on every fixture ticket', async () => {
    const policy = await loadSlaPolicy(warehouse.db, 72);
    for (const ticket of fixture) {
      const features: FeatureVector = await computeFeaturesAt(warehouse.db, inputOf(ticket), { sla: policy, timeZone });
      expect({ id: ticket.ticketId, ...features }).toEqual({ id: ticket.ticketId, ...rowOf(set, ticket.ticketId) });
    }
  });
});

describe.each(engines)('same-location tickets in the 30 days before on $name', ({ name }) => {
  // Repeat reports of one spot: 4-decimal cells of latitude and longitude, any type, created in
  // [T - 30 d, T). Absent (NaN), not 0, for a ticket without a location.
  let warehouse: TestWarehouse;
  let policy: SlaPolicy;
  let set: TrainingSet;
  const spot = { latitude: 29.6519, longitude: -82.325 };
  const road = 'Road Repair';
  const fixture: FixtureTicket[] = [
    { ticketId: 'L1', requestType: road, createdAt: cityTime('2024-03-01 09:00'), ...spot },
    // Same cell (within 0.00005 of the spot), same instant as L3: they do not count each other.
    { ticketId: 'L2', requestType: road, createdAt: cityTime('2024-03-11 09:00'), latitude: 29.65193, longitude: -82.32497 },
    { ticketId: 'L3', requestType: road, createdAt: cityTime('2024-03-11 09:00'), ...spot },
    // Exactly 30 days after L2 and L3 (no DST change between): they count, L1 (40 days) does not.
    { ticketId: 'L4', requestType: road, createdAt: cityTime('2024-04-10 09:00'), ...spot },
    { ticketId: 'L9', requestType: road, createdAt: cityTime('2024-04-10 09:01'), ...spot }, // 30 days and a minute after L2 and L3
    { ticketId: 'L5', requestType: road, createdAt: cityTime('2024-04-11 09:00'), latitude: 29.652, longitude: -82.325 }, // next cell
    { ticketId: 'L6', requestType: road, createdAt: cityTime('2024-04-11 10:00'), latitude: null, longitude: null },
    { ticketId: 'L7', requestType: road, createdAt: cityTime('2024-04-11 11:00'), latitude: 29.6519, longitude: null },
    { ticketId: 'L8', requestType: 'Noise Complaint', createdAt: cityTime('2024-04-11 12:00'), ...spot }, // any type counts
  ];

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, fixture);
    policy = await loadSlaPolicy(warehouse.db, 72);
    set = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('counts tickets of the same 4-decimal cell created in the 30 days before, absent without a location', () => {
    const count = (id: string) => rowOf(set, id).locationTickets30d;
    expect(count('L1')).toBe(0);
    expect(count('L2')).toBe(1);
    expect(count('L3')).toBe(1);
    expect(count('L4')).toBe(2);
    expect(count('L9')).toBe(1); // L4 only
    expect(count('L5')).toBe(0);
    expect(count('L6')).toBeNaN();
    expect(count('L7')).toBeNaN();
    expect(count('L8')).toBe(2); // L4 and L9, whatever their type
  });

  it('agrees with computeFeaturesAt on every fixture ticket', async () => {
    for (const ticket of fixture) {
      const features = await computeFeaturesAt(warehouse.db, inputOf(ticket), { sla: policy, timeZone });
      expect({ id: ticket.ticketId, ...features }).toEqual({ id: ticket.ticketId, ...rowOf(set, ticket.ticketId) });
    }
  });

  it('scores a new ticket from the context as from SQL: at a known spot, at a new one, and without a location', async () => {
    const context = await buildFeatureContext(warehouse.db, { slaHours: 72, timeZone });
    const at = new Date(context.horizon!.getTime() + 3_600_000);
    const inputs: TicketInput[] = [
      { typeKey: 'road_repair', createdAt: at, ...spot },
      { typeKey: 'road_repair', createdAt: at, latitude: 29.7, longitude: -82.3 },
      { typeKey: 'road_repair', createdAt: at },
      { typeKey: 'road_repair', createdAt: at, latitude: 29.6519, longitude: null },
    ];
    const fromContext = inputs.map((input) => context.computeFeatures(input).locationTickets30d);
    expect(fromContext).toEqual([3, 0, Number.NaN, Number.NaN]); // L4, L9 and L8
    for (const input of inputs) {
      expect(context.computeFeatures(input)).toEqual(await computeFeaturesAt(warehouse.db, input, { sla: policy, timeZone }));
    }
  });
});

describe.each(engines)('same-location counts over a generated history on $name', ({ name }) => {
  // A dozen spots shared by most tickets, every fifth ticket without a location: repeats in every
  // window, so a count that looked past T, or disagreed between the paths, would show.
  let warehouse: TestWarehouse;
  let policy: SlaPolicy;
  const spots = Array.from({ length: 12 }, (_, k) => ({ latitude: 29.6 + k * 0.0037, longitude: -82.4 + k * 0.0051 }));
  const tickets = generateFixtureTickets({ count: 300, start: cityTime('2024-01-01 00:00'), days: 120, seed: 31, idPrefix: 'S' }).map(
    (ticket, i) => {
      if (i % 5 === 0) return { ...ticket, latitude: null, longitude: null };
      const spot = spots[(i * 7) % spots.length];
      // Jitter inside the cell: the same spot as a reporter's phone would give it.
      const jitter = ((i % 3) - 1) * 0.00002;
      return { ...ticket, latitude: spot.latitude + jitter, longitude: spot.longitude - jitter };
    },
  );
  const cutoff = cityTime('2024-03-10 12:00');
  let early: TrainingSet;
  let full: TrainingSet;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    policy = await loadSlaPolicy(warehouse.db, 72);
    await insertFixtureTickets(warehouse.db, asKnownAt(tickets, cutoff));
    early = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
    await insertFixtureTickets(warehouse.db, tickets);
    full = await buildTrainingSet(warehouse.db, { slaHours: 72, asOf: FAR_FUTURE, timeZone });
  });
  afterAll(async () => warehouse?.dispose());

  it('has repeats to count, and no count for tickets without a location', () => {
    const counts = full.ticketIds.map((id) => rowOf(full, id).locationTickets30d);
    expect(counts.filter((count) => Number.isNaN(count)).length).toBe(tickets.filter((t) => t.latitude === null).length);
    expect(Math.max(...counts.filter((count) => !Number.isNaN(count)))).toBeGreaterThanOrEqual(4);
    expect(counts.filter((count) => count === 0).length).toBeGreaterThan(0);
  });

  it('gives every ticket created at or before T the same count whatever is created after T', () => {
    expect(early.ticketIds.length).toBeGreaterThan(100);
    expect(early.ticketIds.length).toBeLessThan(tickets.length);
    for (const ticketId of early.ticketIds) expect({ ticketId, ...rowOf(full, ticketId) }).toEqual({ ticketId, ...rowOf(early, ticketId) });
  });

  it('computes the same counts in SQL as in the streaming pass and the context', async () => {
    for (const ticket of tickets.filter((_, index) => index % 4 === 0 || index % 10 === 9)) {
      const fromSql = await computeFeaturesAt(warehouse.db, inputOf(ticket), { sla: policy, timeZone });
      expect({ id: ticket.ticketId, ...fromSql }).toEqual({ id: ticket.ticketId, ...rowOf(full, ticket.ticketId) });
    }
    const context = await buildFeatureContext(warehouse.db, { slaHours: 72, timeZone });
    for (const spot of spots.slice(0, 4)) {
      const input: TicketInput = { typeKey: 'road_repair', createdAt: context.horizon!, ...spot };
      expect(context.computeFeatures(input)).toEqual(await computeFeaturesAt(warehouse.db, input, { sla: policy, timeZone }));
    }
  });
});
