import { InputError } from '../shared/errors.js';

/**
 * Column-major feature matrix: one Float64Array per feature, `rows` long.
 * NaN (or any non-finite value) means "missing".
 */
export interface Dataset {
  featureNames: string[];
  rows: number;
  columns: Float64Array[];
}

/** Builds a Dataset from row-major numbers; null/undefined cells become NaN (missing). */
export function datasetFromRows(featureNames: string[], rows: ReadonlyArray<ReadonlyArray<number | null | undefined>>): Dataset {
  const columns = featureNames.map(() => new Float64Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== featureNames.length) {
      throw new InputError(`Row ${r} has ${row.length} values but there are ${featureNames.length} features.`);
    }
    for (let f = 0; f < featureNames.length; f++) {
      const value = row[f];
      columns[f][r] = typeof value === 'number' ? value : Number.NaN;
    }
  }
  return { featureNames: [...featureNames], rows: rows.length, columns };
}

/** A new Dataset holding the given rows (in the given order; repeats allowed). */
export function selectRows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const columns = data.columns.map((column) => {
    const out = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = column[indices[i]];
    return out;
  });
  return { featureNames: [...data.featureNames], rows: indices.length, columns };
}

/** Picks the entries of a label vector matching `selectRows`. */
export function selectLabels(labels: Uint8Array, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = labels[indices[i]];
  return out;
}

/** Throws InputError unless the dataset is rectangular and (optionally) matches the labels. */
export function assertValidDataset(data: Dataset, labels?: Uint8Array): void {
  if (data.columns.length !== data.featureNames.length) {
    throw new InputError(`Dataset has ${data.columns.length} columns but ${data.featureNames.length} feature names.`);
  }
  for (let f = 0; f < data.columns.length; f++) {
    if (data.columns[f].length !== data.rows) {
      throw new InputError(`Column "${data.featureNames[f]}" has ${data.columns[f].length} values, expected ${data.rows}.`);
    }
  }
  if (labels) {
    if (labels.length !== data.rows) {
      throw new InputError(`Got ${labels.length} labels for ${data.rows} rows.`);
    }
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] > 1) throw new InputError(`Label at row ${i} is ${labels[i]}; labels must be 0 or 1.`);
    }
  }
}

/** Row `row` of a dataset as a Float64Array (feature order). */
export function extractRow(data: Dataset, row: number): Float64Array {
  const out = new Float64Array(data.columns.length);
  for (let f = 0; f < data.columns.length; f++) out[f] = data.columns[f][row];
  return out;
}
