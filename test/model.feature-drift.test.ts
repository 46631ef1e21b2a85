import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../src/features/feature-catalog.js';
import {
  countInBins,
  featurePsi,
  measureFeatureDrift,
  populationStabilityIndex,
  PSI_EPSILON,
  quantileBinEdges,
} from '../src/model/feature-drift.js';
import { createModelHealthMonitor, RECENT_WINDOW_MIN_TICKETS, selectDriftWindows } from '../src/model/model-health.js';
import { assessModelStaleness } from '../src/model/model-staleness.js';
import { createLogger } from '../src/shared/logger.js';
import { insertModel, promoteModel } from '../src/warehouse/model.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';

const DAY = 86_400_000;
const range = (n: number, map: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => map(i));

describe('population stability index', () => {
  it('bins at the training deciles: 0…999 gives edges 99, 199, … 899 and 100 values per bin', () => {
    const reference = range(1000);
    const edges = quantileBinEdges(reference);
    expect(edges).toEqual(range(9, (k) => 100 * k + 99));
    // Ten bins of 100, then the (empty) missing-value bin.
    expect(countInBins(reference, edges)).toEqual([...range(10, () => 100), 0]);
  });

  it('is 0 for identical distributions, and for the same shape at another sample size', () => {
    const reference = range(1000);
    expect(featurePsi(reference, reference)).toBe(0);
    expect(
      featurePsi(
        reference,
        range(2000, (i) => i % 1000),
      ),
    ).toBeCloseTo(0, 12);
  });

  it('matches the formula on a known shift: half the recent values in the lowest tenth', () => {
    // Expected shares 0.1 per bin; actual: 0.5 in bin 0 and 0.5/9 in each other bin.
    const reference = range(1000);
    const recent = [...range(900, () => 5), ...range(900, (i) => 100 + i)];
    const other = 0.5 / 9;
    const expected = (0.5 - 0.1) * Math.log(0.5 / 0.1) + 9 * (other - 0.1) * Math.log(other / 0.1);
    expect(featurePsi(reference, recent)).toBeCloseTo(expected, 10);
    expect(expected).toBeCloseTo(0.8789, 4);
  });

  it('counts an empty bin as epsilon and a missing value in its own bin', () => {
    // Two bins: expected 0.5 / 0.5, actual 1 / 0.
    const psi = populationStabilityIndex([50, 50], [100, 0]);
    expect(psi).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5), 12);
    // A feature that stops being known is drift.
    expect(
      featurePsi(
        range(100),
        range(100, () => Number.NaN),
      ),
    ).toBeGreaterThan(1);
    // A binary feature: repeated deciles collapse to its two values, so three bins and the missing one.
    expect(quantileBinEdges(range(100, (i) => (i < 40 ? 0 : 1)))).toEqual([0, 1]);
    expect(
      featurePsi(
        range(100, (i) => (i < 40 ? 0 : 1)),
        range(100, (i) => (i < 40 ? 0 : 1)),
      ),
    ).toBe(0);
  });

  it('flags only the features above 0.2', () => {
    const reference = range(1000);
    const drift = measureFeatureDrift(['same', 'shifted'], [reference, reference], [reference, range(1000, (i) => i / 2)]);
    expect(drift[0]).toEqual({ feature: 'same', psi: 0, drifted: false });
    expect(drift[1]!.drifted).toBe(true);
    expect(drift[1]!.psi).toBeGreaterThan(0.2);
  });
});

describe('model staleness', () => {
  const trainedThrough = new Date('2023-01-31T00:00:00Z');
  it('is stale when the data runs more than the limit past the training data', () => {
    const stale = assessModelStaleness({ trainedThrough, dataThrough: new Date(trainedThrough.getTime() + 31 * DAY), maxAgeDays: 30 });
    expect(stale).toMatchObject({ stale: true, ageDays: 31, maxAgeDays: 30 });
    expect(stale.message).toContain('retrain');
  });

  it('is fresh at the limit, without data, and when the data ends before the training', () => {
    expect(assessModelStaleness({ trainedThrough, dataThrough: new Date(trainedThrough.getTime() + 30 * DAY), maxAgeDays: 30 }).stale).toBe(
      false,
    );
    expect(assessModelStaleness({ trainedThrough, dataThrough: null, maxAgeDays: 30 })).toMatchObject({ stale: false, ageDays: null });
    expect(assessModelStaleness({ trainedThrough, dataThrough: new Date(trainedThrough.getTime() - DAY), maxAgeDays: 30 })).toMatchObject({
      stale: false,
      ageDays: -1,
    });
  });

  it('takes the recent window after the training, the last 30 days or the newest 2,000 tickets', () => {
    const start = Date.parse('2023-01-01T00:00:00Z');
    // One ticket an hour for 200 days; training covers the first 100.
    const created = range(200 * 24, (i) => start + i * 3_600_000);
    const windows = { trainFrom: new Date(start), trainTo: new Date(start + 100 * DAY) };
    const end = new Date(created[created.length - 1]!);
    const { reference, recent } = selectDriftWindows(created, windows, end);
    expect(reference).toHaveLength(100 * 24 + 1);
    // 30 days hold 720 tickets, fewer than 2,000: the newest 2,000.
    expect(recent).toHaveLength(RECENT_WINDOW_MIN_TICKETS);
    expect(recent[recent.length - 1]).toBe(created.length - 1);
    // Never a training ticket, even when fewer than 2,000 came after it.
    const soon = selectDriftWindows(created, windows, new Date(start + 110 * DAY));
    expect(soon.recent).toHaveLength(10 * 24);
    expect(created[soon.recent[0]!]!).toBeGreaterThan(windows.trainTo.getTime());
  });
});

describe.each(engines)('feature drift of the promoted model on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  const trainStart = new Date('2023-01-02T05:00:00Z');
  const trainEnd = new Date(trainStart.getTime() + 100 * DAY);
  const recentStart = new Date(trainEnd.getTime() + DAY);

  // One warehouse for the file (creating one is the slow part): 1,500 training tickets, 300 recent
  // ones like them; the second test adds 300 more whose latitude moved.
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const training = generateFixtureTickets({ count: 1500, start: trainStart, days: 100, seed: 11, idPrefix: 'A' });
    const recent = generateFixtureTickets({ count: 300, start: recentStart, days: 20, seed: 12, idPrefix: 'B' });
    await insertFixtureTickets(warehouse.db, [...training, ...recent]);
    const version = 'drift-test-gbt';
    await insertModel(warehouse.db, {
      modelVersion: version,
      kind: 'gbt',
      slaHours: 72,
      trainFrom: trainStart,
      trainTo: trainEnd,
      testFrom: trainEnd,
      testTo: trainEnd,
      nTrain: 1500,
      nTest: 0,
      featureNames: [...FEATURE_NAMES],
      metrics: {},
      report: {
        top_features: [
          { feature: 'latitude', importance: 0.3 },
          { feature: 'hourOfDay', importance: 0.2 },
          { feature: 'notAFeatureAnyMore', importance: 0.1 },
        ],
      },
      artifact: { featureNames: [...FEATURE_NAMES] },
    });
    await warehouse.db.transaction().execute((trx) => promoteModel(trx, version, 'test'));
  });
  afterAll(async () => warehouse?.dispose());

  const monitor = createModelHealthMonitor({
    get db() {
      return warehouse.db;
    },
    logger: createLogger({ level: 'silent' }),
    slaHours: 72,
    timeZone: 'America/New_York',
    maxAgeDays: 30,
  });

  it('does not flag drift when the recent tickets look like the training ones; answers at once, then from its cache', async () => {
    const first = await monitor.read();
    // Staleness never waits; the first drift measurement has only started.
    expect(first).toMatchObject({ version: 'drift-test-gbt', trainedThrough: trainEnd, maxAgeDays: 30, drift: null });
    expect(first!.ageDays).toBeGreaterThan(20);
    const health = await monitor.read({ waitForDrift: true });
    expect(health!.drift!.reference?.tickets).toBe(1500);
    expect(health!.drift!.recent?.tickets).toBe(300);
    // The importances name a feature the model no longer has: it is skipped.
    expect(health!.drift!.features.map((feature) => feature.feature)).toEqual(['latitude', 'hourOfDay']);
    expect(health!.drift!.features.every((feature) => feature.psi < 0.1)).toBe(true);
    expect(health!.drift!.drifted).toBe(false);
    expect((await monitor.read())!.drift).toBe(health!.drift);
  });

  it('flags drift once recent tickets move, on the feature that moved only, measured again at the new data clock', async () => {
    const moved = generateFixtureTickets({
      count: 300,
      start: new Date(recentStart.getTime() + 20 * DAY),
      days: 10,
      seed: 13,
      idPrefix: 'C',
    });
    await insertFixtureTickets(
      warehouse.db,
      moved.map((ticket) => ({ ...ticket, latitude: (ticket.latitude ?? 29.6) + 0.05 })),
    );
    const health = await monitor.read({ waitForDrift: true });
    expect(health!.drift!.recent?.tickets).toBe(600);
    const byFeature = new Map(health!.drift!.features.map((feature) => [feature.feature, feature]));
    expect(byFeature.get('latitude')!.psi).toBeGreaterThan(0.2);
    expect(byFeature.get('latitude')!.drifted).toBe(true);
    expect(byFeature.get('hourOfDay')!.psi).toBeLessThan(0.1);
    expect(health!.drift!.drifted).toBe(true);
    expect(health!.drift!.message).toContain('latitude');
  });
});
