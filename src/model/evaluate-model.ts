import { FEATURE_INDEX } from '../features/feature-catalog.js';
import type { BacktestFold } from './backtest.js';
import type { ChosenModel, ModelDatasets, TrainedCandidate } from './choose-model.js';
import {
  bootstrapRocAucs,
  brierScore,
  calibrationTable,
  expectedCalibrationError,
  percentileInterval,
  prAuc,
  rocAuc,
  trainLogistic,
} from './metrics.js';
import type { TrainReport } from './train-pipeline.js';
import type { TrainingSplit } from './training-split.js';

/** What the test period says about a model: every field of the train report but its registration. */
export type TrainEvaluation = Omit<TrainReport, 'model_version' | 'promoted' | 'promotion_note' | 'train_seconds'>;

/** Rounds for the report; NaN and infinities stay as they are. */
export function round(value: number, digits = 4): number {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}

function meanOf(labels: Uint8Array): number {
  let sum = 0;
  for (const label of labels) sum += label;
  return labels.length ? sum / labels.length : Number.NaN;
}

const isoAt = (split: TrainingSplit, row: number): string => new Date(split.set.createdAt[row]!).toISOString();

/** Baselines the model must beat on the test period: the type's breach rate alone, and a logistic regression. */
function baselines(split: TrainingSplit, datasets: ModelDatasets): TrainReport['baselines'] {
  const { fit, test } = split;
  const familyColumn = datasets.test.featureNames.indexOf('typeFamilyBreachRate');
  return {
    type_breach_rate_roc_auc: round(rocAuc(test.data.columns[FEATURE_INDEX.typeBreachRate]!, test.labels)),
    type_family_rate_roc_auc: familyColumn >= 0 ? round(rocAuc(datasets.test.columns[familyColumn]!, test.labels)) : Number.NaN,
    logistic_roc_auc: round(rocAuc(trainLogistic(fit.data, fit.labels).predict(test.data), test.labels)),
  };
}

function countUnseenTypes(split: TrainingSplit): number {
  const { set, train, test } = split;
  const trainTypes = new Set(Array.from(train.rows, (row) => set.typeKeys[row]));
  return new Set(Array.from(test.rows, (row) => set.typeKeys[row]).filter((type) => !trainTypes.has(type))).size;
}

/** Fewer resamples on large test periods keep the bootstrap to about a second. */
const resamplesFor = (rows: number) => (rows <= 20_000 ? 1000 : 300);

/**
 * Scores the chosen, calibrated model on the test period (never seen while choosing or
 * calibrating): ranking, calibration (ECE, reliability table), bootstrap 95% intervals on the
 * ROC-AUC and on its margin over the type's breach rate alone, and the training-period backtest.
 */
export function evaluateOnTestPeriod(
  split: TrainingSplit,
  trained: { chosen: ChosenModel; datasets: ModelDatasets; candidates: readonly TrainedCandidate[]; backtest: BacktestFold[] },
  asOf: Date,
): TrainEvaluation {
  const { chosen, datasets, candidates, backtest } = trained;
  const { train, calibration, test } = split;
  const probabilities = chosen.calibrator.applyAll(chosen.classifier.predict(datasets.test));
  const trainBaseRate = meanOf(train.labels);
  const constant = new Float64Array(test.labels.length).fill(trainBaseRate);
  const typeRate = test.data.columns[FEATURE_INDEX.typeBreachRate]!;
  const { featureImportance, featureNames } = chosen.classifier;
  const topFeatures = Array.from(featureImportance, (value, index) => ({ feature: featureNames[index]!, importance: round(value, 3) }))
    .sort((a, b) => b.importance - a.importance)
    .slice(0, 8);
  const resamples = resamplesFor(test.labels.length);
  const [modelAucs, typeRateAucs] = bootstrapRocAucs([probabilities, typeRate], test.labels, { resamples });
  const aucInterval = percentileInterval(modelAucs!);
  const marginInterval = percentileInterval(modelAucs!.map((auc, r) => auc - typeRateAucs![r]!));
  const rocAucValue = rocAuc(probabilities, test.labels);
  let lowest = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (const p of probabilities) {
    lowest = Math.min(lowest, p);
    highest = Math.max(highest, p);
  }
  return {
    kind: chosen.kind,
    roc_auc: round(rocAucValue),
    roc_auc_ci95: [round(aucInterval[0]), round(aucInterval[1])],
    margin_over_type_rate: round(rocAucValue - rocAuc(typeRate, test.labels)),
    margin_over_type_rate_ci95: [round(marginInterval[0]), round(marginInterval[1])],
    bootstrap_resamples: resamples,
    pr_auc: round(prAuc(probabilities, test.labels)),
    brier: round(brierScore(probabilities, test.labels)),
    brier_base_rate: round(brierScore(constant, test.labels)),
    ece: round(expectedCalibrationError(probabilities, test.labels, 10)),
    base_rate: round(meanOf(test.labels)),
    train_base_rate: round(trainBaseRate),
    n_train: train.rows.length,
    n_calibration: calibration.rows.length,
    n_test: test.rows.length,
    train_from: isoAt(split, train.rows[0]!),
    test_from: isoAt(split, test.rows[0]!),
    test_to: isoAt(split, test.rows[test.rows.length - 1]!),
    as_of: asOf.toISOString(),
    baselines: baselines(split, datasets),
    candidates: candidates.map((candidate) => ({
      kind: candidate.kind,
      calibration_roc_auc: round(candidate.calibrationRocAuc),
      train_seconds: round(candidate.seconds, 2),
    })),
    feature_trials: chosen.featureTrials.map((trial) => ({
      ...trial,
      with_roc_auc: round(trial.with_roc_auc),
      without_roc_auc: round(trial.without_roc_auc),
    })),
    calibration_method: chosen.calibrationMethod,
    calibration_log_loss: {
      isotonic: round(chosen.calibrationLogLoss.isotonic),
      platt: round(chosen.calibrationLogLoss.platt),
      beta: round(chosen.calibrationLogLoss.beta),
    },
    calibration_shift: {
      to_rate: chosen.shiftedToRate === null ? null : round(chosen.shiftedToRate),
      log_odds: round(chosen.calibrator.shift),
      slope: round(chosen.calibrator.slope),
    },
    calibration: calibrationTable(probabilities, test.labels, 10).map((row) => ({
      ...row,
      meanPredicted: round(row.meanPredicted),
      observedRate: round(row.observedRate),
    })),
    probabilities: {
      min: round(lowest),
      max: round(highest),
      distinct: new Set(Array.from(probabilities, (p) => p.toFixed(4))).size,
    },
    backtest: backtest.map((fold) => ({
      ...fold,
      roc_auc: round(fold.roc_auc),
      type_breach_rate_roc_auc: round(fold.type_breach_rate_roc_auc),
    })),
    top_features: topFeatures,
    unseen_types_in_test: countUnseenTypes(split),
  };
}
