import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createLogger } from '../src/shared/logger.js';
import { trainAndRegister, type ModelArtifact, type TrainReport } from '../src/model/train-pipeline.js';
import { createScorer } from '../src/model/score-ticket.js';
import { findPromotedModel, listModels } from '../src/warehouse/model.repository.js';
import { ModelNotTrainedError, UnknownRequestTypeError } from '../src/shared/errors.js';
import { buildTrainingSet } from '../src/features/training-set.js';
import { CANDIDATES, cappedOptions, MAX_ROWS_PER_TREE } from '../src/model/choose-model.js';

describe('per-tree row sample on large training sets', () => {
  it('leaves small fits alone and caps each tree or round at MAX_ROWS_PER_TREE rows above it', () => {
    expect(cappedOptions(CANDIDATES.gbt, MAX_ROWS_PER_TREE)).toBe(CANDIDATES.gbt);
    expect(cappedOptions(CANDIDATES.gbt, 4 * MAX_ROWS_PER_TREE).subsample).toBeCloseTo(0.25, 10);
    expect(cappedOptions(CANDIDATES.forest, 2 * MAX_ROWS_PER_TREE).sampleFraction).toBeCloseTo(0.5, 10);
    // Never more than the candidate's own sample.
    expect(cappedOptions(CANDIDATES.gbt, MAX_ROWS_PER_TREE + 1).subsample).toBe(CANDIDATES.gbt.subsample);
  });
});

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const asOf = new Date('2026-11-01T00:00:00Z');
const risk = { mediumThreshold: 0.4, highThreshold: 0.7 };
// Measured on the bundled sample (README): ROC-AUC 0.760–0.763, ECE 0.042 (seeds 311, 7; 0.047 and 0.043
// with the Platt shape before). Issue #15 aims at 0.03 ECE, not reached (a perfectly calibrated model
// scores 0.032 in median on these 996 tickets); these floors catch a regression below what the model does now.
const ROC_AUC_FLOOR = 0.755;
const ECE_CEILING = 0.045;
// Two learners and their blend, a 3-fold cross-fit of both, the refits and a 4-fold forest backtest; a shared machine is slow.
const TRAIN_TIMEOUT_MS = 300_000;

describe.each(engines)('training and scoring on the Gainesville snapshot ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let report: TrainReport;
  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await ingestRows({ db: warehouse.db, logger, timeZone }, await readSodaSnapshot(bundledSnapshotPath), { source: 'file:snapshot' });
  });
  afterAll(async () => warehouse?.dispose());

  it('scoring before any model is trained says to run civicops train', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk });
    expect(scorer.currentModelVersion()).toBeNull();
    await expect(scorer.scoreTicket({ requestType: 'Road Repair' })).rejects.toBeInstanceOf(ModelNotTrainedError);
  });

  it(
    'trains on the earliest 80% and tests on the latest 20%, beating the baselines and the base-rate Brier score',
    async () => {
      report = await trainAndRegister({ db: warehouse.db, logger, slaHours: 72, timeZone }, { asOf });
      expect(new Date(report.test_from) >= new Date(report.train_from)).toBe(true);
      expect(report.n_test).toBe(Math.ceil((report.n_train + report.n_test) * 0.2));
      expect(report.roc_auc).toBeGreaterThanOrEqual(0.74);
      expect(report.roc_auc).toBeGreaterThan(report.baselines.type_breach_rate_roc_auc);
      expect(report.brier).toBeLessThan(report.brier_base_rate);
      expect(report.pr_auc).toBeGreaterThan(report.base_rate);
      expect(report.calibration.reduce((sum, row) => sum + row.count, 0)).toBe(report.n_test);
      expect(report.promoted).toBe(true);
      for (const key of ['model_version', 'roc_auc', 'pr_auc', 'brier', 'ece', 'base_rate', 'n_train', 'n_test', 'test_from', 'promoted']) {
        expect(report).toHaveProperty(key);
      }
    },
    TRAIN_TIMEOUT_MS,
  );

  it('reports a margin over the type rate with its interval, calibration, graded probabilities and a backtest (issue #15)', () => {
    expect(report.roc_auc).toBeGreaterThanOrEqual(ROC_AUC_FLOOR);
    expect(report.roc_auc_ci95[0]).toBeLessThan(report.roc_auc);
    expect(report.roc_auc_ci95[1]).toBeGreaterThan(report.roc_auc);
    expect(report.margin_over_type_rate).toBeCloseTo(report.roc_auc - report.baselines.type_breach_rate_roc_auc, 3);
    expect(report.margin_over_type_rate).toBeGreaterThanOrEqual(0.04);
    expect(report.margin_over_type_rate_ci95[0]).toBeGreaterThan(0);
    expect(report.ece).toBeLessThanOrEqual(ECE_CEILING);
    expect(report.ece).toBeGreaterThan(0);
    expect(report.probabilities.min).toBeGreaterThanOrEqual(0.01);
    expect(report.probabilities.max).toBeLessThanOrEqual(0.99);
    expect(report.probabilities.distinct).toBeGreaterThanOrEqual(50);
    expect(report.backtest.length).toBeGreaterThanOrEqual(4);
    for (const fold of report.backtest) {
      expect(fold.roc_auc).toBeGreaterThan(0.5);
      expect(fold.roc_auc).toBeLessThan(1);
      expect(new Date(fold.to) > new Date(fold.from)).toBe(true);
    }
    // Feature trials run only when asked (`train --trials`); the optional features are used meanwhile.
    expect(report.feature_trials).toEqual([]);
    expect(report.top_features.length).toBeGreaterThan(0);
    for (const fold of report.backtest) expect(fold.learner).toBe('forest (100 trees)');
    // Beta's shape, recalibrated to the latest slice (RECALIBRATED_METHOD), whatever the cross-validated log-loss prefers.
    expect(report.calibration_method).toBe('beta');
    for (const method of ['isotonic', 'platt', 'beta'] as const) expect(report.calibration_log_loss[method]).toBeGreaterThan(0);
    expect(report.calibration_shift.slope).toBeGreaterThan(0);
  });

  it(
    'registers every model with its window, features and metrics, and keeps a better promoted one',
    async () => {
      const promoted = await findPromotedModel(warehouse.db);
      expect(promoted?.modelVersion).toBe(report.model_version);
      expect(promoted?.featureNames).not.toContain('status');
      expect(promoted?.featureNames).toContain('hoursToNextBusinessDay');
      expect(promoted?.featureNames).toContain('locationTickets30d');
      expect(promoted?.metrics.roc_auc).toBe(report.roc_auc);
      // Make the promoted model look far better: a new, ordinary model must not replace it…
      await warehouse.db
        .updateTable('model_registry')
        .set({ metrics: JSON.stringify({ roc_auc: 0.99 }) })
        .where('promoted', '=', true)
        .execute();
      // One learner is enough here: this is about the registry, not the choice of learner.
      const second = await trainAndRegister(
        { db: warehouse.db, logger, slaHours: 72, timeZone },
        { asOf, seed: 7, kinds: ['gbt'], trials: true },
      );
      expect(second.promoted).toBe(false);
      // --trials: each optional feature with and without on the calibration slice.
      expect(second.feature_trials.map((trial) => trial.feature)).toEqual(['hoursToNextBusinessDay', 'locationTickets30d']);
      for (const trial of second.feature_trials) expect(trial.kept).toBe(trial.with_roc_auc > trial.without_roc_auc);
      expect(second.promotion_note).toContain('--force');
      expect((await findPromotedModel(warehouse.db))?.modelVersion).toBe(report.model_version);
      // …unless forced.
      const forced = await trainAndRegister(
        { db: warehouse.db, logger, slaHours: 72, timeZone },
        { asOf, seed: 8, force: true, kinds: ['gbt'] },
      );
      expect(forced.promoted).toBe(true);
      expect((await findPromotedModel(warehouse.db))?.modelVersion).toBe(forced.model_version);
      expect((await listModels(warehouse.db)).length).toBe(3);
    },
    2 * TRAIN_TIMEOUT_MS,
  );

  it('scores a ticket with a calibrated probability, a risk level and reasons from the model', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk, now: () => asOf });
    const score = await scorer.scoreTicket({ requestType: 'road repair', overrides: { rolling7dVolume: 12, backlogAtCreation: 40 } });
    expect(score.requestType.displayName).toBe('Road Repair');
    expect(score.slaBreachProbability).toBeGreaterThan(0);
    expect(score.slaBreachProbability).toBeLessThan(1);
    expect(['Low', 'Medium', 'High']).toContain(score.riskLevel);
    expect(score.topFactors.length).toBeGreaterThan(0);
    for (const factor of score.topFactors) expect(factor).toMatch(/\((raises|lowers) the risk\)\.$/);
    expect(score.modelVersion).toBe(scorer.currentModelVersion());
    expect(score.slaHours).toBe(72);
    expect(score.ticketId).toMatch(/^hyp-/);
  });

  it("the seed's example scores higher with a long backlog than a short one", async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk, now: () => asOf });
    const at = async (backlog: number) =>
      (await scorer.scoreTicket({ requestType: 'road repair', overrides: { rolling7dVolume: 12, backlogAtCreation: backlog } }))
        .slaBreachProbability;
    expect(await at(150)).toBeGreaterThan(await at(5));
  });

  it('a type the model never saw says so in its reasons and uses its category', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk, now: () => asOf });
    // First filed in 2023, after the training period.
    const score = await scorer.scoreTicket({ requestType: 'Trees Near Wires or Cables' });
    expect(score.topFactors[0]).toBe('The model has not seen this request type; it uses the Trees and grass category.');
    expect(score.topFactors.join(' ')).not.toContain('Trees Near Wires or Cables tickets');
    // A renamed type is not new to the model: its old name's record counts.
    const renamed = await scorer.scoreTicket({ requestType: 'Overgrown Grass' });
    expect(renamed.topFactors.join(' ')).not.toContain('has not seen');
  });

  it('a Friday ticket and a Tuesday ticket of the same type get different risks (weekends fall inside 72 h)', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk });
    const friday = await scorer.scoreTicket({ requestType: 'Road Repair', createdAt: new Date('2026-11-27T15:00:00Z') });
    const tuesday = await scorer.scoreTicket({ requestType: 'Road Repair', createdAt: new Date('2026-11-24T15:00:00Z') });
    // The weekend effect the model learned from the data: a Friday ticket is likelier to miss 72 h.
    expect(friday.slaBreachProbability).toBeGreaterThan(tuesday.slaBreachProbability);
  });

  // 3431595 has no location (its same-location count is absent, NaN); 7100566 had 5 tickets at its spot in the 30 days before.
  it.each([
    ['8806604', 0],
    ['3431595', Number.NaN],
    ['7100566', 5],
  ])('ticket %s scored at its past instant gets the same features as in training (point-in-time in SQL)', async (ticketId, atSpot) => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk });
    const set = await buildTrainingSet(warehouse.db, { slaHours: 72, timeZone, asOf });
    const index = set.ticketIds.indexOf(ticketId);
    expect(set.data.columns[set.data.featureNames.indexOf('locationTickets30d')]![index]).toBe(atSpot);
    const fact = await warehouse.db.selectFrom('fact_ticket').selectAll().where('ticket_id', '=', ticketId).executeTakeFirstOrThrow();
    const promoted = await findPromotedModel(warehouse.db);
    const viaScorer = await scorer.scoreTicket({
      ticketId: fact.ticket_id,
      requestType: fact.request_type,
      createdAt: fact.created_at,
      latitude: fact.latitude ?? undefined,
      longitude: fact.longitude ?? undefined,
      commissionDistrict: fact.commission_district ?? undefined,
      policeSector: fact.police_sector ?? undefined,
      description: fact.description ?? undefined,
      reporterDisplay: fact.reporter_display ?? undefined,
    });
    const { loadClassifier } = await import('../src/model/classifier.js');
    const { loadCalibrator } = await import('../src/model/calibration.js');
    const { buildModelDataset, loadModelFeatures } = await import('../src/model/model-features.js');
    const { selectRows, extractRow } = await import('../src/model/dataset.js');
    const artifact = promoted!.artifact as ModelArtifact;
    const classifier = loadClassifier(artifact.classifier);
    // The served model is the refit on the whole training period, not one of the cross-fit folds.
    expect(classifier.summary.trainRows).toBe(report.n_train);
    const features = loadModelFeatures(artifact.modelFeatures!);
    const modelData = buildModelDataset(features, selectRows(set.data, [index]), [set.typeKeys[index]!]);
    const expected = loadCalibrator(artifact.calibrator).apply(classifier.predictRow(extractRow(modelData, 0)));
    expect(viaScorer.slaBreachProbability).toBeCloseTo(expected, 4);
    expect(viaScorer.ticketId).toBe(ticketId);
    // The stored ticket scored from the feature pass (scoreStoredTickets) gets the same probability.
    expect((await scorer.scoreStoredTickets([ticketId]))[0]!.slaBreachProbability).toBeCloseTo(expected, 4);
  });

  it('concurrent refreshes share one rebuild of the model and the feature state', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk });
    const first = scorer.refresh();
    expect(scorer.refresh()).toBe(first);
    await first;
    const next = scorer.refresh();
    expect(next).not.toBe(first);
    await next;
    expect(scorer.currentModelVersion()).not.toBeNull();
  });

  it('an unknown request type is refused with the closest known types', async () => {
    const scorer = await createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk });
    // Issue #13: suggestions share a word with the text ("xylophone tuning" shares none, so gets none).
    const error = await scorer.scoreTicket({ requestType: 'tree trimming' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownRequestTypeError);
    expect((error as UnknownRequestTypeError).suggestions.length).toBeGreaterThan(0);
    expect((await scorer.scoreTicket({ requestType: 'ROAD-repair' })).requestType.displayName).toBe('Road Repair');
  });
});
