import type { Kysely } from 'kysely';
import { buildTrainingSet, type TrainingSet } from '../features/training-set.js';
import { InputError } from '../shared/errors.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { selectLabels, selectRows, type Dataset } from './dataset.js';

const MIN_LABELLED = 200;

/** Rows of the training set with their features and labels. */
export interface Slice {
  /** Indices into the training set, in creation order. */
  rows: Int32Array;
  data: Dataset;
  labels: Uint8Array;
}

/**
 * The temporal split of the labelled tickets: the earliest 80% by creation train (of which the
 * earliest 80% fit and the latest 20% calibrate), the latest 20% test.
 */
export interface TrainingSplit {
  set: TrainingSet;
  /** The whole training period: fit and calibration together. */
  train: Slice;
  fit: Slice;
  calibration: Slice;
  test: Slice;
}

/** Indices of rows with a known label, in creation order (the training set comes sorted). */
function labelledRows(set: TrainingSet): Int32Array {
  const picked: number[] = [];
  for (let i = 0; i < set.labels.length; i++) if (set.labelKnown[i]) picked.push(i);
  return Int32Array.from(picked);
}

function sliceOf(set: TrainingSet, rows: Int32Array): Slice {
  return { rows, data: selectRows(set.data, rows), labels: selectLabels(set.labels, rows) };
}

/**
 * Builds the point-in-time training set as of `asOf` and splits it in time. Throws InputError
 * when fewer than 200 tickets have a known SLA outcome.
 */
export async function loadTrainingSplit(
  db: Kysely<WarehouseSchema>,
  options: { slaHours: number; timeZone: string; asOf: Date },
): Promise<TrainingSplit> {
  const set = await buildTrainingSet(db, options);
  const rows = labelledRows(set);
  if (rows.length < MIN_LABELLED) {
    throw new InputError(
      `Only ${rows.length} tickets have a known SLA outcome; at least ${MIN_LABELLED} are needed to train. Run \`civicops ingest\` first.`,
    );
  }
  const testStart = Math.floor(rows.length * 0.8);
  const trainRows = rows.subarray(0, testStart);
  // The calibration slice is the latest 20% of the training period: closest in time to the
  // future the model will face, so calibration absorbs drift in the breach rate.
  const calibrationStart = Math.floor(trainRows.length * 0.8);
  return {
    set,
    train: sliceOf(set, trainRows),
    fit: sliceOf(set, trainRows.subarray(0, calibrationStart)),
    calibration: sliceOf(set, trainRows.subarray(calibrationStart)),
    test: sliceOf(set, rows.subarray(testStart)),
  };
}
