import type { Kysely } from 'kysely';
import type { Logger } from '../shared/logger.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import type { SerializedCalibrator } from './calibration.js';
import { rollingOriginBacktest, type BacktestFold } from './backtest.js';
import { chooseAndCalibrate, type ChosenModel, type FeatureTrial } from './choose-model.js';
import type { ModelKind, SerializedClassifier } from './classifier.js';
import type { Dataset } from './dataset.js';
import { evaluateOnTestPeriod, round, type TrainEvaluation } from './evaluate-model.js';
import type { CalibrationRow } from './metrics.js';
import { PROMOTION_TOLERANCE } from './promotion.js';
import { registerModel } from './register-model.js';
import type { ModelFeatureSpec } from './model-features.js';
import { loadTrainingSplit, type TrainingSplit } from './training-split.js';
import { loadTypeContinuity } from './type-encoding.js';

/** What the registry stores to serve a model: the trees, the calibration, and the feature order. */
export interface ModelArtifact {
  format: 'civicops-breach-model/1';
  classifier: SerializedClassifier;
  calibrator: SerializedCalibrator;
  featureNames: string[];
  /** The model's columns beyond the feature engine's (type encoding, derived features); absent in older models. */
  modelFeatures?: ModelFeatureSpec;
  slaHours: number;
}

export interface TrainReport {
  model_version: string;
  kind: ModelKind;
  roc_auc: number;
  /** Percentile bootstrap 95% interval of the test ROC-AUC. */
  roc_auc_ci95: [number, number];
  /** Test ROC-AUC minus that of the type's breach rate alone, with its bootstrap 95% interval. */
  margin_over_type_rate: number;
  margin_over_type_rate_ci95: [number, number];
  bootstrap_resamples: number;
  pr_auc: number;
  brier: number;
  /** Expected calibration error over 10 equal-width bins (the `calibration` table). */
  ece: number;
  /** Brier of always predicting the training base rate: the model must beat it. */
  brier_base_rate: number;
  base_rate: number;
  train_base_rate: number;
  n_train: number;
  n_calibration: number;
  n_test: number;
  train_from: string;
  test_from: string;
  test_to: string;
  as_of: string;
  baselines: { type_breach_rate_roc_auc: number; type_family_rate_roc_auc: number; logistic_roc_auc: number };
  /** `train_seconds`: each fit's wall time on its thread, copying its rows in; the two run at once on a large set, and the ensemble's is their sum. */
  candidates: { kind: ModelKind; calibration_roc_auc: number; train_seconds: number }[];
  /** Optional features with the calibration-slice ROC-AUC with and without each (empty unless `--trials`). */
  feature_trials: FeatureTrial[];
  calibration_method: 'isotonic' | 'platt' | 'beta';
  /** Cross-validated log-loss of each method on the out-of-fold training scores (reported; beta is used, see RECALIBRATED_METHOD). */
  calibration_log_loss: { isotonic: number; platt: number; beta: number };
  /**
   * The recalibration to the latest training slice: its breach rate (null: none), the log-odds
   * added and the factor on the calibrated log-odds (see recalibrateToLatest).
   */
  calibration_shift: { to_rate: number | null; log_odds: number; slope: number };
  /** 10-bin reliability table on the test period. */
  calibration: CalibrationRow[];
  /** Range and number of distinct (4-decimal) test probabilities. */
  probabilities: { min: number; max: number; distinct: number };
  /** Rolling-origin backtest inside the training period, one ROC-AUC per fold. */
  backtest: BacktestFold[];
  top_features: { feature: string; importance: number }[];
  unseen_types_in_test: number;
  promoted: boolean;
  promotion_note: string;
  train_seconds: number;
}

export interface TrainDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  slaHours: number;
  timeZone: string;
  onProgress?: (message: string) => void;
}

export interface TrainOptions {
  /** Labels and features as of this instant (default now). */
  asOf?: Date;
  /** Promote even when the new model scores worse than the promoted one. */
  force?: boolean;
  seed?: number;
  kinds?: ModelKind[];
  /** Run the optional-feature trials (`civicops train --trials`); off by default. */
  trials?: boolean;
}

function modelVersion(at: Date, kind: ModelKind): string {
  return `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${kind}`;
}

function artifactOf(chosen: ChosenModel, slaHours: number): ModelArtifact {
  return {
    format: 'civicops-breach-model/1',
    classifier: chosen.classifier.toJSON(),
    calibrator: chosen.calibrator.toJSON(),
    featureNames: chosen.classifier.featureNames,
    modelFeatures: chosen.features.spec,
    slaHours,
  };
}

/** Registers the evaluated model in one transaction, promoting it unless the promoted one is better. */
async function registerEvaluatedModel(
  deps: TrainDeps,
  trained: { version: string; split: TrainingSplit; chosen: ChosenModel; evaluation: TrainEvaluation },
  force: boolean,
): Promise<TrainReport> {
  const { version, split, chosen, evaluation } = trained;
  const artifact = artifactOf(chosen, deps.slaHours);
  const registered = { model_version: version, ...evaluation, promoted: false, promotion_note: '', train_seconds: 0 } satisfies TrainReport;
  const decision = await registerModel(
    deps.db,
    {
      modelVersion: version,
      kind: chosen.kind,
      slaHours: deps.slaHours,
      trainFrom: new Date(evaluation.train_from),
      trainTo: new Date(split.set.createdAt[split.train.rows[split.train.rows.length - 1]!]!),
      testFrom: new Date(evaluation.test_from),
      testTo: new Date(evaluation.test_to),
      nTrain: evaluation.n_train,
      nTest: evaluation.n_test,
      featureNames: artifact.featureNames,
      metrics: {
        roc_auc: evaluation.roc_auc,
        pr_auc: evaluation.pr_auc,
        brier: evaluation.brier,
        base_rate: evaluation.base_rate,
        ece: evaluation.ece,
        roc_auc_ci95_lower: evaluation.roc_auc_ci95[0],
        roc_auc_ci95_upper: evaluation.roc_auc_ci95[1],
        margin_over_type_rate: evaluation.margin_over_type_rate,
        margin_over_type_rate_ci95_lower: evaluation.margin_over_type_rate_ci95[0],
        margin_over_type_rate_ci95_upper: evaluation.margin_over_type_rate_ci95[1],
      },
      report: registered,
      artifact,
    },
    { force, tolerance: PROMOTION_TOLERANCE },
  );
  return { ...registered, promoted: decision.promote, promotion_note: decision.reason };
}

/**
 * Trains the SLA-breach model honestly: features known at creation only, a temporal split
 * (earliest 80% by creation to train, latest 20% to test), the learner chosen and calibrated on
 * the latest slice of the training period — never on the test period — then registers it and,
 * in the same transaction, promotes it unless it is worse than the promoted model by more than
 * 0.01 ROC-AUC (see decidePromotion).
 */
export async function trainAndRegister(deps: TrainDeps, options: TrainOptions = {}): Promise<TrainReport> {
  const started = performance.now();
  const asOf = options.asOf ?? new Date();
  const progress = deps.onProgress ?? (() => undefined);
  progress('building point-in-time features');
  const split = await loadTrainingSplit(deps.db, { slaHours: deps.slaHours, timeZone: deps.timeZone, asOf });
  const continuity = loadTypeContinuity();
  const { candidates, chosen, datasets } = await chooseAndCalibrate(split, {
    kinds: options.kinds ?? ['gbt', 'forest'],
    seed: options.seed ?? 311,
    logger: deps.logger,
    progress,
    continuity,
    trials: options.trials ?? false,
  });
  progress('rolling-origin backtest (4 folds of the training period)');
  const backtest = await rollingOriginBacktest(split, continuity, chosen.features.spec);
  progress('evaluating on the latest 20% (test period)');
  const evaluation = evaluateOnTestPeriod(split, { chosen, datasets, candidates, backtest }, asOf);
  progress('registering the model');
  const version = modelVersion(new Date(), chosen.kind);
  const report = await registerEvaluatedModel(deps, { version, split, chosen, evaluation }, options.force ?? false);
  report.train_seconds = round((performance.now() - started) / 1000, 2);
  deps.logger.info({ modelVersion: version, rocAuc: report.roc_auc, promoted: report.promoted }, 'model trained');
  return report;
}

export type { Dataset };
