import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalTypeKey } from '../src/ingest/soda-row.js';
import { cityAliasesPath } from '../src/warehouse/request-type.repository.js';
import {
  categoryOf,
  encodeOutOfFold,
  familyOf,
  fitTypeEncoding,
  loadTypeContinuity,
  loadTypeEncoding,
  typeKeyOfName,
} from '../src/model/type-encoding.js';
import { hoursToNextBusinessDay } from '../src/model/model-features.js';

const continuity = loadTypeContinuity();

describe('request-type continuity across the 2021 system change', () => {
  it('names become type keys exactly as ingest makes them', () => {
    const file = JSON.parse(readFileSync(cityAliasesPath, 'utf8')) as { renamed: Record<string, string> };
    for (const [from, to] of Object.entries(file.renamed)) {
      expect(typeKeyOfName(from)).toBe(canonicalTypeKey(from));
      expect(typeKeyOfName(to)).toBe(canonicalTypeKey(to));
    }
  });

  it('maps every type the sample renamed in 2021 to its new name', () => {
    const renames: [string, string][] = [
      ['Vehicle (Abandoned/Non-Operational)', 'Abandoned Vehicle'],
      ['Grass (Overgrown)', 'Overgrown Grass'],
      ['Streetlight/Lamp', 'Streetlight Repair'],
      ['Street Sign', 'Street Sign Repair'],
      ['Parking in Yard (Other Than Driveway)', 'Parking in Yard'],
      ['Maintenance Ditch/Drainage/Flooding', 'Flooding & Ditch Maintenance'],
      ['Traffic/Pedestrian Signal', 'Traffic / Pedestrian Signal within City Limits'],
      ['Graffiti', 'Graffiti (Public Property)'],
      ['Water Pipe Leaks/Spills', 'Leaks'],
      ['Sewer/Wastewater', 'Wastewater & Sewer'],
      // Spacing-only renames already share a key.
      ['Trash/Debris (Public Property)', 'Trash / Debris (Public Property)'],
      ['Tree/Limbs (Private Property)', 'Tree / Limbs (Private Property)'],
    ];
    for (const [from, to] of renames) expect(familyOf(continuity, canonicalTypeKey(from))).toBe(canonicalTypeKey(to));
    expect(familyOf(continuity, 'road_repair')).toBe('road_repair');
  });

  it('a renamed type keeps the history of its old name; an unseen type backs off to its category', () => {
    // Training saw only the old name: 30 of 40 breached. The new name gets that record, shrunk a little.
    const types = [
      ...Array(40).fill('grass_overgrown'),
      ...Array(60).fill('tree_limbs_public_property'),
      ...Array(100).fill('road_repair'),
    ];
    const labels = [...Array(40).keys()].map((i) => (i < 30 ? 1 : 0));
    labels.push(...Array(60).fill(0), ...Array(100).fill(0));
    const encoding = loadTypeEncoding(JSON.parse(JSON.stringify(fitTypeEncoding(continuity, types, labels).toJSON())));
    const renamed = encoding.encode('overgrown_grass');
    expect(renamed.family).toBe('overgrown_grass');
    expect(renamed.familyTickets).toBe(40);
    expect(renamed.rate).toBeCloseTo(encoding.encode('grass_overgrown').rate, 12);
    expect(renamed.rate).toBeGreaterThan(0.5);
    // Never seen, but a tree type: the category (trees and grass: 30 of 100 breached) not the global rate (30 of 200).
    const unseen = encoding.encode('trees_near_wires_or_cables');
    expect(unseen.familyTickets).toBe(0);
    expect(unseen.category).toBe('Trees and grass');
    expect(unseen.rate).toBeGreaterThan(encoding.encode('xylophone_tuning').rate);
    expect(encoding.encode('xylophone_tuning').category).toBeNull();
    expect(categoryOf(continuity, 'abandoned_vehicle')).toBe(categoryOf(continuity, 'vehicle_abandoned_non_operational'));
  });

  it('encodes training rows out of fold: a row never sees its own label', () => {
    const types = ['a_type', 'a_type', 'a_type', 'a_type'];
    const labels = [1, 1, 0, 0];
    const rates = encodeOutOfFold(continuity, types, labels, [0, 1, 0, 1], 2);
    // Fold 0 (rows 0, 2) is encoded from rows 1 and 3 (one breach of two), and the other way round.
    expect(rates[0]).toBeCloseTo(rates[1]!, 12);
    const alone = fitTypeEncoding(continuity, ['a_type', 'a_type'], [1, 0]).encode('a_type').rate;
    expect(rates[0]).toBeCloseTo(alone, 12);
  });
});

describe('hoursToNextBusinessDay', () => {
  it('is 0 in business hours and counts the wait on evenings and weekends', () => {
    expect(hoursToNextBusinessDay(10, 2)).toBe(0);
    expect(hoursToNextBusinessDay(18, 2)).toBe(14);
    expect(hoursToNextBusinessDay(6, 3)).toBe(2);
    expect(hoursToNextBusinessDay(18, 5)).toBe(62);
    expect(hoursToNextBusinessDay(12, 6)).toBe(44);
    expect(hoursToNextBusinessDay(23, 7)).toBe(9);
    expect(Number.isNaN(hoursToNextBusinessDay(Number.NaN, 1))).toBe(true);
  });
});
