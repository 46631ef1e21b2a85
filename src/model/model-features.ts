import { FEATURE_INDEX, type FeatureName } from '../features/feature-catalog.js';
import { InputError } from '../shared/errors.js';
import type { Dataset } from './dataset.js';
import { loadTypeEncoding, type SerializedTypeEncoding, type TypeEncoding } from './type-encoding.js';

/*
 * The model's own columns on top of the feature engine's: what a trained model adds from its
 * training data (the type encoding) or derives from engine features (hours to the next business
 * day). Training and scoring both go through completeModelRow / buildModelDataset.
 */

/** Features the model derives; their values are computed here, not by the feature engine. */
export const DERIVED_FEATURES = ['typeFamilyBreachRate', 'hoursToNextBusinessDay'] as const;
export type DerivedFeature = (typeof DERIVED_FEATURES)[number];

/** Which engine features the model reads, which derived ones it adds, and the type encoding it was trained with. */
export interface ModelFeatureSpec {
  format: 'civicops-model-features/1';
  engineFeatures: FeatureName[];
  derived: DerivedFeature[];
  typeEncoding: SerializedTypeEncoding;
}

/** The model's column names in order: engine features, then derived ones. */
export function modelFeatureNames(spec: Pick<ModelFeatureSpec, 'engineFeatures' | 'derived'>): string[] {
  return [...spec.engineFeatures, ...spec.derived];
}

export function isDerivedFeature(name: string): name is DerivedFeature {
  return (DERIVED_FEATURES as readonly string[]).includes(name);
}

/** Business hours the next-business-day count aims at: weekdays 08:00–17:00 city time. */
const OPEN_HOUR = 8;
const CLOSE_HOUR = 17;

/**
 * Hours from creation (city-local hour and ISO weekday) to the next business hours: 0 inside
 * them, 15 on a weekday evening, 62 on a Friday evening. A weekend or evening ticket waits before
 * anyone can act, inside its wall-clock SLA.
 */
export function hoursToNextBusinessDay(hourOfDay: number, isoWeekday: number): number {
  if (!Number.isFinite(hourOfDay) || !Number.isFinite(isoWeekday)) return Number.NaN;
  const isWeekday = isoWeekday >= 1 && isoWeekday <= 5;
  if (isWeekday && hourOfDay >= OPEN_HOUR && hourOfDay < CLOSE_HOUR) return 0;
  // Walk forward day by day to the next weekday's opening.
  let hours = hourOfDay < OPEN_HOUR && isWeekday ? OPEN_HOUR - hourOfDay : 24 - hourOfDay + OPEN_HOUR;
  let day = hourOfDay < OPEN_HOUR && isWeekday ? isoWeekday : (isoWeekday % 7) + 1;
  while (day === 6 || day === 7) {
    hours += 24;
    day = (day % 7) + 1;
  }
  return hours;
}

/** A spec ready to fill rows: the loaded encoding and the columns derived features read. */
export interface ModelFeatures {
  readonly spec: ModelFeatureSpec;
  readonly featureNames: string[];
  readonly encoding: TypeEncoding;
  /** Fills the derived columns of a row that holds the engine features in the model's order. */
  completeRow(typeKey: string, row: Float64Array): void;
}

export function loadModelFeatures(spec: ModelFeatureSpec): ModelFeatures {
  if (spec.format !== 'civicops-model-features/1') throw new InputError(`Unsupported model feature format "${String(spec.format)}".`);
  const featureNames = modelFeatureNames(spec);
  const encoding = loadTypeEncoding(spec.typeEncoding);
  const hourColumn = spec.engineFeatures.indexOf('hourOfDay');
  const weekdayColumn = spec.engineFeatures.indexOf('dayOfWeek');
  const derivedAt = spec.derived.map((name) => featureNames.indexOf(name));
  return {
    spec,
    featureNames,
    encoding,
    completeRow(typeKey, row) {
      spec.derived.forEach((name, k) => {
        const at = derivedAt[k]!;
        if (name === 'typeFamilyBreachRate') row[at] = encoding.encode(typeKey).rate;
        else if (name === 'hoursToNextBusinessDay') {
          row[at] = hourColumn >= 0 && weekdayColumn >= 0 ? hoursToNextBusinessDay(row[hourColumn]!, row[weekdayColumn]!) : Number.NaN;
        }
      });
    },
  };
}

/**
 * The model's dataset from the engine's (FEATURE_NAMES columns) and each row's type key.
 * `typeRates` replaces the encoded rate (out-of-fold values for training rows).
 */
export function buildModelDataset(
  features: ModelFeatures,
  engine: Dataset,
  typeKeys: readonly string[],
  typeRates?: Float64Array,
): Dataset {
  const { spec, featureNames } = features;
  if (typeKeys.length !== engine.rows) throw new InputError(`Got ${typeKeys.length} type keys for ${engine.rows} rows.`);
  const columns = spec.engineFeatures.map((name) => engine.columns[FEATURE_INDEX[name]]!.slice());
  const row = new Float64Array(featureNames.length);
  const derivedColumns = spec.derived.map(() => new Float64Array(engine.rows));
  for (let i = 0; i < engine.rows; i++) {
    for (let f = 0; f < columns.length; f++) row[f] = columns[f]![i]!;
    features.completeRow(typeKeys[i]!, row);
    spec.derived.forEach((name, k) => {
      derivedColumns[k]![i] = name === 'typeFamilyBreachRate' && typeRates ? typeRates[i]! : row[columns.length + k]!;
    });
  }
  return { featureNames: [...featureNames], rows: engine.rows, columns: [...columns, ...derivedColumns] };
}
