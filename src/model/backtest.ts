import type { TrainClassifierOptions } from './classifier.js';
import { trainClassifier } from './classifier.js';
import { selectLabels, selectRows } from './dataset.js';
import { rocAuc } from './metrics.js';
import { buildModelDataset, loadModelFeatures, type ModelFeatureSpec } from './model-features.js';
import type { TrainingSplit } from './training-split.js';
import { encodeOutOfFold, fitTypeEncoding, type TypeContinuity } from './type-encoding.js';
import { CANDIDATES, cappedOptions, contiguousFolds, TYPE_ENCODING_FOLDS } from './choose-model.js';

/** Training rows of one backtest fold at most (the latest before its origin). */
export const MAX_BACKTEST_TRAIN_ROWS = 20_000;

/**
 * The backtest's learner: the cheaper of the two, a 100-tree forest with the candidate forest's
 * settings, whichever learner was chosen. The backtest asks whether the features rank tickets
 * as well in every period, not which learner wins (the calibration slice decides that); four
 * early-stopped gbt fits made it the largest part of a train.
 */
export const BACKTEST_LEARNER: TrainClassifierOptions = { ...CANDIDATES.forest, nTrees: 100 };

/** One origin of the rolling backtest: trained on everything before `from`, scored on [from, to). */
export interface BacktestFold {
  fold: number;
  /** The learner the fold trained (BACKTEST_LEARNER). */
  learner: string;
  train_rows: number;
  test_rows: number;
  from: string;
  to: string;
  roc_auc: number;
  /** The type's own (engine) breach rate alone on the same rows. */
  type_breach_rate_roc_auc: number;
}

/**
 * Rolling-origin backtest inside the training period: it is cut into `folds + 2` contiguous
 * blocks, and fold k trains BACKTEST_LEARNER (the chosen features, its own type encoding) on blocks 0..k and scores block k + 1 — what the model would have scored had it
 * been trained then. Uncalibrated scores: ROC-AUC only.
 */
export async function rollingOriginBacktest(
  split: TrainingSplit,
  continuity: TypeContinuity,
  spec: Pick<ModelFeatureSpec, 'engineFeatures' | 'derived'>,
  options: TrainClassifierOptions = BACKTEST_LEARNER,
  folds = 4,
): Promise<BacktestFold[]> {
  const { set, train } = split;
  const blocks = folds + 2;
  const startOf = (block: number) => Math.floor((block * train.rows.length) / blocks);
  const typeRateColumn = train.data.featureNames.indexOf('typeBreachRate');
  const result: BacktestFold[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const trainEnd = startOf(fold + 2);
    const testEnd = startOf(fold + 3);
    // At most the latest MAX_BACKTEST_TRAIN_ROWS before the origin: the backtest stays a fraction of the training time.
    const fitStart = Math.max(0, trainEnd - MAX_BACKTEST_TRAIN_ROWS);
    const fitAt = Int32Array.from({ length: trainEnd - fitStart }, (_, i) => fitStart + i);
    const scoreAt = Int32Array.from({ length: testEnd - trainEnd }, (_, i) => trainEnd + i);
    const fitTypes = Array.from(fitAt, (i) => set.typeKeys[train.rows[i]!]!);
    const scoreTypes = Array.from(scoreAt, (i) => set.typeKeys[train.rows[i]!]!);
    const fitLabels = selectLabels(train.labels, fitAt);
    const scoreLabels = selectLabels(train.labels, scoreAt);
    const features = loadModelFeatures({
      format: 'civicops-model-features/1',
      ...spec,
      typeEncoding: fitTypeEncoding(continuity, fitTypes, fitLabels).toJSON(),
    });
    const rates = encodeOutOfFold(continuity, fitTypes, fitLabels, contiguousFolds(fitAt.length, TYPE_ENCODING_FOLDS), TYPE_ENCODING_FOLDS);
    const fitData = buildModelDataset(features, selectRows(train.data, fitAt), fitTypes, rates);
    const scoreEngine = selectRows(train.data, scoreAt);
    const classifier = await trainClassifier(fitData, fitLabels, cappedOptions(options, fitData.rows));
    const scores = classifier.predict(buildModelDataset(features, scoreEngine, scoreTypes));
    result.push({
      fold: fold + 1,
      learner: `${options.kind}${options.kind === 'forest' ? ` (${options.nTrees} trees)` : ''}`,
      train_rows: fitAt.length,
      test_rows: scoreAt.length,
      from: new Date(set.createdAt[train.rows[trainEnd]!]!).toISOString(),
      to: new Date(set.createdAt[train.rows[testEnd - 1]!]!).toISOString(),
      roc_auc: rocAuc(scores, scoreLabels),
      type_breach_rate_roc_auc: typeRateColumn >= 0 ? rocAuc(scoreEngine.columns[typeRateColumn]!, scoreLabels) : Number.NaN,
    });
  }
  return result;
}
