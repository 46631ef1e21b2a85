import { FEATURE_INDEX } from '../features/feature-catalog.js';
import type { ChosenModel, TrainedCandidate } from './choose-model.js';
import { brierScore, calibrationTable, prAuc, rocAuc, trainLogistic } from './metrics.js';
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
function baselines(split: TrainingSplit): TrainReport['baselines'] {
  const { fit, test } = split;
  const typeRateColumn = test.data.columns[FEATURE_INDEX.typeBreachRate]!;
  return {
    type_breach_rate_roc_auc: round(rocAuc(typeRateColumn, test.labels)),
    logistic_roc_auc: round(rocAuc(trainLogistic(fit.data, fit.labels).predict(test.data), test.labels)),
  };
}

function countUnseenTypes(split: TrainingSplit): number {
  const { set, train, test } = split;
  const trainTypes = new Set(Array.from(train.rows, (row) => set.typeKeys[row]));
  return new Set(Array.from(test.rows, (row) => set.typeKeys[row]).filter((type) => !trainTypes.has(type))).size;
}

/** Scores the chosen, calibrated model on the test period (never seen while choosing or calibrating). */
export function evaluateOnTestPeriod(
  split: TrainingSplit,
  chosen: ChosenModel,
  candidates: readonly TrainedCandidate[],
  asOf: Date,
): TrainEvaluation {
  const { train, calibration, test } = split;
  const probabilities = chosen.calibrator.applyAll(chosen.classifier.predict(test.data));
  const trainBaseRate = meanOf(train.labels);
  const constant = new Float64Array(test.labels.length).fill(trainBaseRate);
  const { featureImportance, featureNames } = chosen.classifier;
  const topFeatures = Array.from(featureImportance, (value, index) => ({ feature: featureNames[index]!, importance: round(value, 3) }))
    .sort((a, b) => b.importance - a.importance)
    .slice(0, 8);
  return {
    kind: chosen.kind,
    roc_auc: round(rocAuc(probabilities, test.labels)),
    pr_auc: round(prAuc(probabilities, test.labels)),
    brier: round(brierScore(probabilities, test.labels)),
    brier_base_rate: round(brierScore(constant, test.labels)),
    base_rate: round(meanOf(test.labels)),
    train_base_rate: round(trainBaseRate),
    n_train: train.rows.length,
    n_calibration: calibration.rows.length,
    n_test: test.rows.length,
    train_from: isoAt(split, train.rows[0]!),
    test_from: isoAt(split, test.rows[0]!),
    test_to: isoAt(split, test.rows[test.rows.length - 1]!),
    as_of: asOf.toISOString(),
    baselines: baselines(split),
    candidates: candidates.map((candidate) => ({
      kind: candidate.kind,
      calibration_roc_auc: round(candidate.calibrationRocAuc),
      train_seconds: round(candidate.seconds, 2),
    })),
    calibration: calibrationTable(probabilities, test.labels, 10).map((row) => ({
      ...row,
      meanPredicted: round(row.meanPredicted),
      observedRate: round(row.observedRate),
    })),
    top_features: topFeatures,
    unseen_types_in_test: countUnseenTypes(split),
  };
}
