import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editDistance,
  listRequestTypes,
  matchRequestType,
  normalizeTypeText,
  resolveRequestType,
  type RequestType,
} from '../src/warehouse/request-type.repository.js';
import { UnknownRequestTypeError } from '../src/shared/errors.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, fixtureTypeKey, insertFixtureTickets } from './helpers/ticket-fixtures.js';

// Canonical display names of the real Gainesville feed (one spelling per type key).
const REAL_NAMES = [
  'Abandoned Vehicle',
  'Blocked Exits',
  'Building (Abandoned/Damaged)',
  'Dead Animal (Public Property)',
  'e-Scooter Issues',
  'Emergency - Flooding',
  'Emergency - Other',
  'Emergency - Traffic',
  'Emergency - Tree or Brush Debris',
  'Fire Hydrant Issues',
  'Flooding',
  'Flooding & Ditch Maintenance',
  'Garbage Pick Up & Recycling',
  'General Code Issue',
  'General Police Enforcement',
  'Graffiti',
  'Graffiti (Public Property)',
  'Holiday Displays',
  'Leaks',
  'Maintenance Ditch/Drainage/Flooding',
  'Mosquito Control',
  'Neighbor Assistance - Clerk',
  'Neighbor Assistance - myGNV',
  'Neighborhood Watch Signs',
  'New Infrastructure',
  'Noise Complaint',
  'Other',
  'Overgrown Grass',
  'Grass (Overgrown)',
  'Park Repair or Clean Up',
  'Parking Enforcement',
  'Parking in Yard',
  'Parking in Yard (Other Than Driveway)',
  'Parking Meter Malfunction',
  'Pothole Repair',
  'Request for New Streetlight/Lamp',
  "Request to City Auditor's Office",
  'Request to General Manager of Utilities',
  'Residential Rental Maintenance',
  'Right-of-Way Maintenance',
  'Road Repair',
  'Say Thanks!',
  'Sewer/Wastewater',
  'Sidewalk Repair',
  'Smoke Detector Installation',
  'Street Sign',
  'Street Sign Repair',
  'Street Sweeping',
  'Streetlight Repair',
  'Streetlight/Lamp',
  'Substandard Commercial Rentals',
  'Traffic / Pedestrian Signal within City Limits',
  'Traffic Enforcement',
  'Traffic/Pedestrian Signal',
  'Trash/Debris (Private Property)',
  'Trash/Debris (Public Property)',
  'Tree Blocking Street',
  'Tree Planting Suggestion',
  'Tree/Limbs (Private Property)',
  'Tree/Limbs (Public Property)',
  'Trees Near Wires or Cables',
  'Vehicle (Abandoned/Non-Operational)',
  'Wastewater & Sewer',
  'Water Pipe Leaks/Spills',
];
const types: RequestType[] = REAL_NAMES.map((displayName) => ({ typeKey: fixtureTypeKey(displayName), displayName }));
const match = (text: string) => matchRequestType(text, types).displayName;
const suggestionsFor = (text: string): string[] => {
  try {
    matchRequestType(text, types);
  } catch (error) {
    if (error instanceof UnknownRequestTypeError) return error.suggestions;
    throw error;
  }
  throw new Error(`"${text}" matched a type`);
};

describe('request type matching', () => {
  it('matches ignoring case, spaces and punctuation', () => {
    expect(match('road repair')).toBe('Road Repair');
    expect(match('ROAD-REPAIR')).toBe('Road Repair');
    expect(match('trash / debris (private property)')).toBe('Trash/Debris (Private Property)');
    expect(match('road_repair')).toBe('Road Repair');
    expect(normalizeTypeText('Garbage Pick Up & Recycling')).toBe('garbagepickupandrecycling');
  });

  it('matches a type whose name contains the text, and tolerates a typo', () => {
    expect(match('pothole')).toBe('Pothole Repair');
    expect(match('noise')).toBe('Noise Complaint');
    expect(match('mosquito')).toBe('Mosquito Control');
    expect(match('raod repair')).toBe('Road Repair');
    expect(match('sidewalk')).toBe('Sidewalk Repair');
    expect(match('potholes')).toBe('Pothole Repair');
  });

  it('refuses to guess between near-equal names and suggests them', () => {
    const suggestions = suggestionsFor('streetlight');
    expect(suggestions).toHaveLength(3);
    expect(suggestions).toEqual(expect.arrayContaining(['Streetlight/Lamp', 'Streetlight Repair']));
  });

  it('suggests the three nearest names for unknown text', () => {
    expect(match('street sweeper truck')).toBe('Street Sweeping');
    const suggestions = suggestionsFor('parking garage');
    expect(suggestions).toHaveLength(3);
    for (const suggestion of suggestions) expect(suggestion).toMatch(/^Parking/);
    // Issue #13: suggestions are relevant or absent — nothing shares a word with "xyzzy".
    expect(suggestionsFor('xyzzy')).toEqual([]);
  });

  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('road', 'road')).toBe(0);
  });
});

describe.each(engines)('request type repository on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, [
      { ticketId: '1', requestType: 'Road Repair', createdAt: cityTime('2024-01-02 09:00') },
      { ticketId: '2', requestType: 'Trash/Debris (Public Property)', createdAt: cityTime('2024-01-02 10:00') },
      { ticketId: '3', requestType: 'Streetlight/Lamp', createdAt: cityTime('2024-01-02 11:00') },
    ]);
    // An older spelling of a type, as ingest records it.
    await warehouse.db
      .insertInto('dim_request_type_alias')
      .values({ source_name: 'Street Light Out', type_key: 'streetlight_lamp' })
      .execute();
  });
  afterAll(async () => warehouse?.dispose());

  it('lists the canonical types by name', async () => {
    expect(await listRequestTypes(warehouse.db)).toEqual([
      { typeKey: 'road_repair', displayName: 'Road Repair' },
      { typeKey: 'streetlight_lamp', displayName: 'Streetlight/Lamp' },
      { typeKey: 'trash_debris_public_property', displayName: 'Trash/Debris (Public Property)' },
    ]);
  });

  it('resolves names, keys and recorded source spellings', async () => {
    expect(await resolveRequestType(warehouse.db, 'road repair')).toEqual({ typeKey: 'road_repair', displayName: 'Road Repair' });
    expect((await resolveRequestType(warehouse.db, 'Trash / Debris (Public Property)')).typeKey).toBe('trash_debris_public_property');
    expect((await resolveRequestType(warehouse.db, 'street light out')).typeKey).toBe('streetlight_lamp');
  });

  it('throws UnknownRequestTypeError with suggestions', async () => {
    // Issue #13: only names that share a word are suggested ("sewer backup" shares none here).
    const error = await resolveRequestType(warehouse.db, 'lamp post repair').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownRequestTypeError);
    expect((error as UnknownRequestTypeError).suggestions.length).toBeGreaterThan(0);
    expect((error as UnknownRequestTypeError).suggestions.length).toBeLessThanOrEqual(3);
  });
});
