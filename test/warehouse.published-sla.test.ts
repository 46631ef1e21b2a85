import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFederalHolidayCalendar } from '../src/analytics/holiday-calendar.js';
import { citiesDirectory } from '../src/config/city-profile.js';
import { loadConfig } from '../src/config/config.js';
import { publishedSlaPoliciesOf } from '../src/main.js';
import { seedPublishedSlaPolicies, type SlaDueContext } from '../src/warehouse/sla-due.repository.js';
import { listSlaPolicyRows, setSlaHours } from '../src/warehouse/sla-policy.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets } from './helpers/ticket-fixtures.js';

/** Chicago's profile with two published targets and a city-wide default, written to a temporary file. */
function profileWithTargets(dir: string): string {
  const profile = JSON.parse(readFileSync(join(citiesDirectory, 'chicago.json'), 'utf8')) as Record<string, unknown>;
  profile.sla = {
    defaultHours: 96,
    policies: [
      { requestType: 'Pothole in Street Complaint', hours: 168, source: 'https://example.test/chicago-311-targets' },
      { requestType: 'Graffiti Removal Request', hours: 48, source: 'https://example.test/chicago-311-targets' },
    ],
  };
  const path = join(dir, 'chicago-with-targets.json');
  writeFileSync(path, JSON.stringify(profile));
  return path;
}

describe('SLA targets a city publishes (its profile)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'civicops-published-sla-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the profile's city-wide default when SLA_HOURS is not set, and SLA_HOURS over it", () => {
    const path = profileWithTargets(dir);
    expect(loadConfig({ CIVICOPS_CITY: path }).slaHours).toBe(96);
    expect(loadConfig({ CIVICOPS_CITY: path, SLA_HOURS: '24' }).slaHours).toBe(24);
    // A profile without a default: the seed's 72 h.
    expect(loadConfig({ CIVICOPS_CITY: 'chicago' }).slaHours).toBe(72);
  });

  it('keys each target as the ingest keys its request type', () => {
    const config = loadConfig({ CIVICOPS_CITY: profileWithTargets(dir) });
    expect(publishedSlaPoliciesOf(config.city)).toEqual([
      { typeKey: 'pothole_in_street_complaint', hours: 168, source: 'https://example.test/chicago-311-targets' },
      { typeKey: 'graffiti_removal_request', hours: 48, source: 'https://example.test/chicago-311-targets' },
    ]);
  });
});

describe.each(engines)('seeding published SLA targets on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  const due: SlaDueContext = {
    fallbackHours: 72,
    clockContext: { timeZone: 'America/Chicago', holidays: createFederalHolidayCalendar() },
  };
  const published = [
    { typeKey: 'pothole_in_street_complaint', hours: 168, source: 'targets page' },
    { typeKey: 'graffiti_removal_request', hours: 48, source: 'targets page' },
  ];

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, [
      { ticketId: 'G-1', requestType: 'Graffiti Removal Request', createdAt: cityTime('2024-03-04 09:00') },
    ]);
  });
  afterAll(async () => warehouse?.dispose());

  it('adds a wall-clock row per target, moves its tickets’ deadlines, and leaves a row the city set itself', async () => {
    await setSlaHours(warehouse.db, 'pothole_in_street_complaint', 120, 'set with civicops sla-policy set');
    expect(await seedPublishedSlaPolicies(warehouse.db, due, published)).toEqual(['graffiti_removal_request']);
    const rows = await warehouse.db.selectFrom('sla_policy').select(['type_key', 'sla_hours', 'note']).orderBy('type_key').execute();
    expect(rows.filter((row) => row.type_key !== '*')).toEqual([
      { type_key: 'graffiti_removal_request', sla_hours: 48, note: 'Published by the city: targets page' },
      { type_key: 'pothole_in_street_complaint', sla_hours: 120, note: 'set with civicops sla-policy set' },
    ]);
    expect((await listSlaPolicyRows(warehouse.db)).find((row) => row.typeKey === 'graffiti_removal_request')?.clock?.kind).toBe('wall');
    const ticket = await warehouse.db
      .selectFrom('fact_ticket')
      .select('sla_due_at')
      .where('ticket_id', '=', 'G-1')
      .executeTakeFirstOrThrow();
    expect(new Date(ticket.sla_due_at!)).toEqual(cityTime('2024-03-06 09:00'));
    // A second start-up adds nothing and changes nothing.
    expect(await seedPublishedSlaPolicies(warehouse.db, due, published)).toEqual([]);
  });
});
