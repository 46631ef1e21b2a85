/**
 * The served model's health for `civicops status`, `/healthz` and the model card: is it older
 * than its data (model-staleness.ts), and have its strongest features drifted since training
 * (feature-drift.ts, PSI of the recent tickets against the training window's)?
 *
 * Drift needs every ticket's point-in-time features: one pass of the feature engine over the
 * warehouse (what a scorer refresh costs). So it is measured at most once per model version and
 * data clock and cached in the monitor; the staleness check is two indexed queries per call.
 */
import type { Kysely } from 'kysely';
import { FEATURE_INDEX, type FeatureName } from '../features/feature-catalog.js';
import { buildFeatureState, type FeatureState } from '../features/training-set.js';
import type { Logger } from '../shared/logger.js';
import {
  findModelDriftSpec,
  findPromotedModelWindows,
  type ModelDriftSpec,
  type PromotedModelWindows,
} from '../warehouse/model-drift.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import { type FeatureDrift, measureFeatureDrift, PSI_DRIFT_THRESHOLD } from './feature-drift.js';
import { loadModelFeatures, type ModelFeatureSpec } from './model-features.js';
import { assessModelStaleness, type ModelStaleness } from './model-staleness.js';

/** Features whose drift is measured: the model's strongest by stored importance. */
export const DRIFT_TOP_FEATURES = 5;
/** The recent window: the last 30 days of data… */
export const RECENT_WINDOW_DAYS = 30;
/** …or the newest 2,000 tickets when those days hold fewer (a small city). */
export const RECENT_WINDOW_MIN_TICKETS = 2_000;
/** Fewer recent tickets than this: PSI over 10 bins is mostly noise, so drift is not judged. */
export const MIN_TICKETS_FOR_DRIFT = 100;
const DAY_MS = 86_400_000;

export interface TicketWindow {
  from: Date;
  to: Date;
  tickets: number;
}

export interface ModelDriftReport {
  /** The data clock the drift was measured at (a cached report may be from an earlier one). */
  measuredAt: Date | null;
  /** The training window's tickets. */
  reference: TicketWindow | null;
  /** The recent tickets: created after training, in the last RECENT_WINDOW_DAYS of data (or the newest RECENT_WINDOW_MIN_TICKETS). */
  recent: TicketWindow | null;
  features: FeatureDrift[];
  /** True when any feature's PSI is above PSI_DRIFT_THRESHOLD. */
  drifted: boolean;
  /** One sentence for people when drifted or not measurable; null otherwise. */
  message: string | null;
}

export interface ModelHealth extends ModelStaleness {
  version: string;
  /** null while the first measurement for this model runs (see ModelHealthMonitor.read). */
  drift: ModelDriftReport | null;
}

/** Indexes of the tickets in each window, from the history's creation instants (sorted ascending). */
export function selectDriftWindows(
  createdMs: ArrayLike<number>,
  windows: Pick<PromotedModelWindows, 'trainFrom' | 'trainTo'>,
  dataThrough: Date,
): { reference: number[]; recent: number[] } {
  const from = windows.trainFrom.getTime();
  const to = windows.trainTo.getTime();
  const end = dataThrough.getTime();
  const cutoff = end - RECENT_WINDOW_DAYS * DAY_MS;
  const reference: number[] = [];
  const recent: number[] = [];
  for (let i = 0; i < createdMs.length; i++) if (createdMs[i]! >= from && createdMs[i]! <= to) reference.push(i);
  // Newest first: the last 30 days, and beyond them until 2,000 tickets; never a training ticket.
  for (let i = createdMs.length - 1; i >= 0; i--) {
    const at = createdMs[i]!;
    if (at > end) continue;
    if (at <= to) break;
    if (at <= cutoff && recent.length >= RECENT_WINDOW_MIN_TICKETS) break;
    recent.push(i);
  }
  recent.reverse();
  return { reference, recent };
}

function windowOf(indexes: readonly number[], createdMs: ArrayLike<number>): TicketWindow | null {
  if (indexes.length === 0) return null;
  return { from: new Date(createdMs[indexes[0]!]!), to: new Date(createdMs[indexes[indexes.length - 1]!]!), tickets: indexes.length };
}

/** The values of the chosen model columns for the chosen tickets, computed as the scorer computes them. */
function modelColumnValues(
  state: FeatureState,
  spec: ModelDriftSpec,
  columns: readonly number[],
  tickets: readonly number[],
): Float64Array[] {
  const engineColumns = spec.featureNames.map((name) => (Object.hasOwn(FEATURE_INDEX, name) ? FEATURE_INDEX[name as FeatureName] : -1));
  const modelFeatures = spec.modelFeatures ? loadModelFeatures(spec.modelFeatures as ModelFeatureSpec) : null;
  const values = columns.map(() => new Float64Array(tickets.length));
  const row = new Float64Array(spec.featureNames.length);
  const { history, data } = state;
  tickets.forEach((ticket, t) => {
    for (let j = 0; j < engineColumns.length; j++) row[j] = engineColumns[j]! >= 0 ? data.columns[engineColumns[j]!]![ticket]! : Number.NaN;
    modelFeatures?.completeRow(history.typeKeys[history.typeIndex[ticket]!]!, row);
    columns.forEach((column, k) => {
      values[k]![t] = row[column]!;
    });
  });
  return values;
}

/** The model's strongest features the scorer can compute (engine or derived), as column indexes. */
function driftColumns(spec: ModelDriftSpec): { names: string[]; columns: number[] } {
  const derived = new Set<string>((spec.modelFeatures as Partial<ModelFeatureSpec> | null)?.derived ?? []);
  const names: string[] = [];
  const columns: number[] = [];
  for (const { feature } of spec.topFeatures) {
    const column = spec.featureNames.indexOf(feature);
    if (column < 0 || !(Object.hasOwn(FEATURE_INDEX, feature) || derived.has(feature))) continue;
    names.push(feature);
    columns.push(column);
    if (names.length === DRIFT_TOP_FEATURES) break;
  }
  return { names, columns };
}

/** PSI of the model's top features, recent tickets against the training window, from one feature pass. */
export function measureModelDrift(
  state: FeatureState,
  windows: PromotedModelWindows,
  spec: ModelDriftSpec,
  dataThrough: Date | null,
): ModelDriftReport {
  const empty = { measuredAt: dataThrough, reference: null, recent: null, features: [], drifted: false };
  if (dataThrough === null) return { ...empty, message: 'The warehouse holds no tickets: drift is not measured.' };
  const createdMs = state.history.createdMs;
  const { reference, recent } = selectDriftWindows(createdMs, windows, dataThrough);
  const shape = { measuredAt: dataThrough, reference: windowOf(reference, createdMs), recent: windowOf(recent, createdMs) };
  const { names, columns } = driftColumns(spec);
  if (names.length === 0)
    return { ...shape, features: [], drifted: false, message: 'The model stores no feature importances: drift is not measured.' };
  if (recent.length < MIN_TICKETS_FOR_DRIFT || reference.length < MIN_TICKETS_FOR_DRIFT) {
    return {
      ...shape,
      features: [],
      drifted: false,
      message: `Too few tickets to measure drift (${reference.length} in training, ${recent.length} since; at least ${MIN_TICKETS_FOR_DRIFT} each).`,
    };
  }
  const features = measureFeatureDrift(
    names,
    modelColumnValues(state, spec, columns, reference),
    modelColumnValues(state, spec, columns, recent),
  );
  const drifted = features.filter((feature) => feature.drifted);
  return {
    ...shape,
    features,
    drifted: drifted.length > 0,
    message:
      drifted.length > 0
        ? `Feature drift since training (PSI > ${PSI_DRIFT_THRESHOLD}): ${drifted.map((feature) => `${feature.feature} ${feature.psi}`).join(', ')}; consider retraining (civicops train).`
        : null,
  };
}

export interface ModelHealthDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  slaHours: number;
  timeZone: string;
  /** MODEL_MAX_AGE_DAYS. */
  maxAgeDays: number;
}

export interface ModelHealthMonitor {
  /**
   * The promoted model's health; null before the first training. Staleness is always current.
   * Drift is cached per model version and data clock; when they changed, a new measurement
   * starts (one at a time) and `waitForDrift` awaits it, else the previous measurement of the
   * same model is returned meanwhile (its `measuredAt` says when), or null for a new model.
   */
  read(options?: { waitForDrift?: boolean }): Promise<ModelHealth | null>;
}

/** One monitor per process (the App's): the drift cache lives here. */
export function createModelHealthMonitor(deps: ModelHealthDeps): ModelHealthMonitor {
  let cached: { key: string; version: string; drift: ModelDriftReport } | undefined;
  let running: { key: string; done: Promise<ModelDriftReport> } | undefined;
  // A measurement that failed is not restarted by /healthz until the model or the data changes.
  let failedKey: string | undefined;

  async function measure(windows: PromotedModelWindows, dataThrough: Date | null): Promise<ModelDriftReport> {
    const [spec, state] = await Promise.all([
      findModelDriftSpec(deps.db, windows.modelVersion),
      buildFeatureState(deps.db, { slaHours: deps.slaHours, timeZone: deps.timeZone }),
    ]);
    if (!spec)
      return {
        measuredAt: dataThrough,
        reference: null,
        recent: null,
        features: [],
        drifted: false,
        message: 'The model is no longer registered.',
      };
    return measureModelDrift(state, windows, spec, dataThrough);
  }

  function start(key: string, windows: PromotedModelWindows, dataThrough: Date | null): Promise<ModelDriftReport> {
    if (running?.key === key) return running.done;
    const done = measure(windows, dataThrough).then(
      (drift) => {
        cached = { key, version: windows.modelVersion, drift };
        return drift;
      },
      (error: unknown) => {
        failedKey = key;
        deps.logger.error({ err: error, modelVersion: windows.modelVersion }, 'measuring feature drift failed');
        throw error;
      },
    );
    const entry = { key, done };
    running = entry;
    void done
      .finally(() => {
        if (running === entry) running = undefined;
      })
      .catch(() => undefined);
    return done;
  }

  return {
    async read(options = {}) {
      const [windows, dataThrough] = await Promise.all([findPromotedModelWindows(deps.db), findLatestEventAt(deps.db)]);
      if (!windows) return null;
      const staleness = assessModelStaleness({ trainedThrough: windows.testTo, dataThrough, maxAgeDays: deps.maxAgeDays });
      const key = `${windows.modelVersion}|${dataThrough?.toISOString() ?? 'empty'}`;
      let drift: ModelDriftReport | null;
      if (cached?.key === key) drift = cached.drift;
      else if (options.waitForDrift) drift = await start(key, windows, dataThrough);
      else {
        if (failedKey !== key) {
          const done = start(key, windows, dataThrough);
          // Logged in start(); /healthz answers with the previous measurement meanwhile.
          done.catch(() => undefined);
        }
        drift = cached?.version === windows.modelVersion ? cached.drift : null;
      }
      return { version: windows.modelVersion, ...staleness, drift };
    },
  };
}
