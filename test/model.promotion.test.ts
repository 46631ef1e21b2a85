import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decidePromotion, PROMOTION_TOLERANCE, type PromotionInput } from '../src/model/promotion.js';
import { registerModel } from '../src/model/register-model.js';
import { findPromotedModelSummary, listModels, type NewModel } from '../src/warehouse/model.repository.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';

const current = { modelVersion: '20261101T000000Z-gbt', rocAuc: 0.75 };
const decide = (candidateAuc: number | undefined, overrides: Partial<PromotionInput> = {}) =>
  decidePromotion({
    candidate: { modelVersion: '20261102T000000Z-forest', rocAuc: candidateAuc },
    current,
    force: false,
    tolerance: PROMOTION_TOLERANCE,
    ...overrides,
  });

describe('decidePromotion', () => {
  it('promotes the first model, whatever its score', () => {
    expect(decide(0.51, { current: undefined })).toEqual({ promote: true, reason: 'first model: promoted' });
    expect(decide(Number.NaN, { current: undefined }).promote).toBe(true);
  });

  it('promotes a model that scores better than the promoted one', () => {
    expect(decide(0.76)).toEqual({ promote: true, reason: 'promoted: ROC-AUC 0.76 vs 0.75 of 20261101T000000Z-gbt' });
  });

  it('promotes a model up to the tolerance worse, exactly at the boundary included', () => {
    expect(decide(0.745).promote).toBe(true);
    expect(decide(0.74).promote).toBe(true);
    // 0.5006 - 0.01 is 0.49059999…, below 0.4906: a plain `>=` would keep the promoted model.
    expect(decide(0.4906, { current: { modelVersion: 'a', rocAuc: 0.5006 } }).promote).toBe(true);
  });

  it('keeps the promoted model when the new one is more than the tolerance worse, and says how to override', () => {
    const decision = decide(0.7399);
    expect(decision.promote).toBe(false);
    expect(decision.reason).toBe(
      'kept 20261101T000000Z-gbt: its ROC-AUC 0.75 beats 0.7399 by more than 0.01 (use --force to promote anyway)',
    );
  });

  it('--force promotes a worse model and names the one it replaces', () => {
    expect(decide(0.6, { force: true })).toEqual({
      promote: true,
      reason: 'promoted with --force (previous 20261101T000000Z-gbt, ROC-AUC 0.75)',
    });
  });

  it('a promoted model without a usable score is replaced', () => {
    expect(decide(0.7, { current: { modelVersion: 'old', rocAuc: undefined } }).promote).toBe(true);
    expect(decide(0.7, { current: { modelVersion: 'old', rocAuc: Number.NaN } }).promote).toBe(true);
  });

  it('a new model without a usable score does not replace a scored one', () => {
    expect(decide(Number.NaN).promote).toBe(false);
    expect(decide(undefined).promote).toBe(false);
  });

  it('the tolerance is the one given', () => {
    expect(decide(0.72, { tolerance: 0.05 }).promote).toBe(true);
    expect(decide(0.72, { tolerance: 0 }).promote).toBe(false);
    expect(decide(0.75, { tolerance: 0 }).promote).toBe(true);
  });
});

const newModel = (modelVersion: string, rocAuc: number): NewModel => ({
  modelVersion,
  kind: 'gbt',
  slaHours: 72,
  trainFrom: new Date('2025-01-01T00:00:00Z'),
  trainTo: new Date('2026-01-01T00:00:00Z'),
  testFrom: new Date('2026-01-01T00:00:00Z'),
  testTo: new Date('2026-06-01T00:00:00Z'),
  nTrain: 800,
  nTest: 200,
  featureNames: ['a', 'b'],
  metrics: { roc_auc: rocAuc },
  report: { roc_auc: rocAuc },
  artifact: { format: 'test' },
});

describe.each(engines)('registerModel ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  const rules = { force: false, tolerance: PROMOTION_TOLERANCE };
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterAll(async () => warehouse?.dispose());

  it('registers and promotes in one step, records why a worse model was kept, and stores the decision in the report', async () => {
    expect(await registerModel(warehouse.db, newModel('m1', 0.75), rules)).toMatchObject({ promote: true });
    const kept = await registerModel(warehouse.db, newModel('m2', 0.7), rules);
    expect(kept.promote).toBe(false);
    const models = await listModels(warehouse.db);
    expect(models.map((model) => [model.modelVersion, model.promoted, model.promotionNote])).toEqual(
      expect.arrayContaining([
        ['m1', true, 'first model: promoted'],
        ['m2', false, kept.reason],
      ]),
    );
    expect(models.find((model) => model.modelVersion === 'm2')?.report).toMatchObject({ promoted: false, promotion_note: kept.reason });
    expect(await registerModel(warehouse.db, newModel('m3', 0.6), { ...rules, force: true })).toMatchObject({ promote: true });
    expect((await findPromotedModelSummary(warehouse.db))?.modelVersion).toBe('m3');
  });

  it('registrations finishing together are decided one after the other, leaving one promoted model', async () => {
    const decisions = await Promise.all([
      registerModel(warehouse.db, newModel('c1', 0.9), rules),
      registerModel(warehouse.db, newModel('c2', 0.91), rules),
    ]);
    expect(decisions.every((decision) => decision.promote)).toBe(true);
    const promoted = (await listModels(warehouse.db)).filter((model) => model.promoted);
    expect(promoted).toHaveLength(1);
    expect(['c1', 'c2']).toContain(promoted[0]!.modelVersion);
  });

  it('a promotion that fails leaves the model unregistered and the promoted one in place', async () => {
    const before = (await findPromotedModelSummary(warehouse.db))?.modelVersion;
    await sql`create function refuse_promotion() returns trigger language plpgsql as $$
      begin if new.promoted then raise exception 'promotion refused'; end if; return new; end $$`.execute(warehouse.db);
    await sql`create trigger refuse_promotion before update on model_registry for each row execute function refuse_promotion()`.execute(
      warehouse.db,
    );
    try {
      await expect(registerModel(warehouse.db, newModel('f1', 0.99), rules)).rejects.toThrow(/promotion refused/);
    } finally {
      await sql`drop trigger refuse_promotion on model_registry`.execute(warehouse.db);
    }
    const versions = (await listModels(warehouse.db)).map((model) => model.modelVersion);
    expect(versions).not.toContain('f1');
    expect((await findPromotedModelSummary(warehouse.db))?.modelVersion).toBe(before);
  });
});
