/**
 * The model card of the promoted breach-risk model: version, when and on what it was trained,
 * its test evaluation (ROC-AUC with its bootstrap interval, the margin over the type-rate baseline,
 * PR-AUC, Brier, ECE, the rolling-origin backtest) against the baselines, its reliability bins, how
 * old the data is against the training and the model's health (staleness and feature drift). Read
 * from the model registry (the report stored at training); nothing is rescored. A model trained by
 * an older version lacks the newer figures: they are null ("not measured"), never an error.
 */
import type { Kysely } from 'kysely';
import { resolveDataClock } from '../analytics/data-clock.js';
import { buildCalibrationChart } from '../charts/calibration-chart.js';
import type { ModelHealth } from '../model/model-health.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { findPromotedModelSummary } from '../warehouse/model.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import { chartOrNull, round } from './dashboard-schemas.js';
import { modelCardHealth } from './model-card-health.js';
import type { ModelCardResponse } from './model-card.schema.js';

type Db = Kysely<WarehouseSchema>;
const DAY_MS = 86_400_000;

export { type ModelCardResponse, modelCardResponseSchema } from './model-card.schema.js';

const numberOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const recordOf = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function intervalOrNull(value: unknown): { lower: number; upper: number } | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [lower, upper] = value.map(numberOrNull);
  return lower === null || upper === null ? null : { lower, upper };
}

/** Each item of a stored array that has every named field of the right type, or null when the report has no such array. */
function rowsOrNull<Row>(
  value: unknown,
  fields: Record<string, 'number' | 'string' | 'boolean'>,
  shape: (row: Record<string, unknown>) => Row,
) {
  if (!Array.isArray(value)) return null;
  return value
    .map(recordOf)
    .filter((row) => Object.entries(fields).every(([key, type]) => typeof row[key] === type))
    .map(shape);
}

/** The test evaluation added by model v2 (null fields for a model trained before it). */
function evaluationOf(report: Record<string, unknown>) {
  const probabilities = recordOf(report.probabilities);
  const shift = recordOf(report.calibration_shift);
  const logLoss = Object.entries(recordOf(report.calibration_log_loss)).filter(([, value]) => numberOrNull(value) !== null);
  return {
    test_roc_auc_ci95: intervalOrNull(report.roc_auc_ci95),
    margin_over_type_rate: numberOrNull(report.margin_over_type_rate),
    margin_over_type_rate_ci95: intervalOrNull(report.margin_over_type_rate_ci95),
    bootstrap_resamples: numberOrNull(report.bootstrap_resamples),
    ece: numberOrNull(report.ece),
    probabilities:
      typeof probabilities.min === 'number' && typeof probabilities.max === 'number' && typeof probabilities.distinct === 'number'
        ? { min: probabilities.min, max: probabilities.max, distinct: probabilities.distinct }
        : null,
    calibration_method: typeof report.calibration_method === 'string' ? report.calibration_method : null,
    calibration_log_loss: logLoss.length > 0 ? (Object.fromEntries(logLoss) as Record<string, number>) : null,
    calibration_shift:
      typeof shift.log_odds === 'number'
        ? { to_rate: numberOrNull(shift.to_rate), log_odds: shift.log_odds, slope: numberOrNull(shift.slope) }
        : null,
    backtest: rowsOrNull(
      report.backtest,
      { fold: 'number', train_rows: 'number', test_rows: 'number', from: 'string', to: 'string' },
      (fold) => ({
        fold: fold.fold as number,
        train_rows: fold.train_rows as number,
        test_rows: fold.test_rows as number,
        from: fold.from as string,
        to: fold.to as string,
        roc_auc: numberOrNull(fold.roc_auc),
        type_breach_rate_roc_auc: numberOrNull(fold.type_breach_rate_roc_auc),
      }),
    ),
    feature_trials: rowsOrNull(
      report.feature_trials,
      { feature: 'string', with_roc_auc: 'number', without_roc_auc: 'number', kept: 'boolean' },
      (trial) => ({
        feature: trial.feature as string,
        with_roc_auc: trial.with_roc_auc as number,
        without_roc_auc: trial.without_roc_auc as number,
        kept: trial.kept as boolean,
      }),
    ),
  };
}

interface StoredBin {
  bin: number;
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

function isStoredBin(value: unknown): value is StoredBin {
  if (!value || typeof value !== 'object') return false;
  const bin = value as Record<string, unknown>;
  return ['bin', 'lower', 'upper', 'count', 'meanPredicted', 'observedRate'].every((key) => typeof bin[key] === 'number');
}

export interface ModelCardDeps {
  db: Db;
  now?: () => Date;
  /**
   * The served model's health from the app's cached monitor (src/model/model-health.ts); it must
   * not wait for a drift measurement (the card says "measuring" meanwhile). Absent: health is null.
   */
  modelHealth?: () => Promise<ModelHealth | null>;
}

/** The card of the promoted model (or a card saying there is none yet). */
export async function buildModelCard(deps: ModelCardDeps): Promise<ModelCardResponse> {
  const [model, latestEvent, health] = await Promise.all([
    findPromotedModelSummary(deps.db),
    findLatestEventAt(deps.db),
    deps.modelHealth?.() ?? Promise.resolve(null),
  ]);
  const clock = resolveDataClock(latestEvent, deps.now?.() ?? new Date());
  const clockFields = {
    as_of: clock.asOf.toISOString(),
    data_through: clock.dataThrough?.toISOString() ?? null,
    stale: clock.stale,
    notice: clock.notice,
  };
  if (!model) {
    return {
      ...clockFields,
      model: null,
      calibration: { source: 'none', description: 'No model is trained yet.', ece: null, bins: [] },
      data_age: { days_since_training: null, days_of_data_after_test: null },
      health: null,
      message: 'No trained model yet: run `civicops train` on the server.',
      chart: null,
    };
  }
  const report = model.report;
  const stored = Array.isArray(report.calibration) ? report.calibration.filter(isStoredBin) : [];
  const bins = stored.map((bin) => ({
    bin: bin.bin,
    lower: bin.lower,
    upper: bin.upper,
    count: bin.count,
    mean_predicted: bin.meanPredicted,
    observed_rate: bin.observedRate,
  }));
  const baselines = recordOf(report.baselines);
  const evaluation = evaluationOf(report);
  const topFeatures = Array.isArray(report.top_features)
    ? (report.top_features as unknown[]).filter(
        (item): item is { feature: string; importance: number } =>
          !!item &&
          typeof (item as { feature?: unknown }).feature === 'string' &&
          typeof (item as { importance?: unknown }).importance === 'number',
      )
    : [];
  const daysBetween = (later: Date | null, earlier: Date) =>
    later === null ? null : round((later.getTime() - earlier.getTime()) / DAY_MS, 1);
  const nonEmpty = bins.filter((bin) => bin.count > 0);
  return {
    ...clockFields,
    model: {
      version: model.modelVersion,
      kind: model.kind,
      trained_at: model.trainedAt.toISOString(),
      promoted_at: model.promotedAt?.toISOString() ?? null,
      promotion_note: model.promotionNote,
      sla_hours: model.slaHours,
      training_window: { from: model.trainFrom.toISOString(), to: model.trainTo.toISOString() },
      test_window: { from: model.testFrom.toISOString(), to: model.testTo.toISOString() },
      labels_as_of: typeof report.as_of === 'string' ? report.as_of : null,
      n_train: model.nTrain,
      n_test: model.nTest,
      test_roc_auc: numberOrNull(model.metrics.roc_auc),
      test_roc_auc_ci95: evaluation.test_roc_auc_ci95,
      margin_over_type_rate: evaluation.margin_over_type_rate,
      margin_over_type_rate_ci95: evaluation.margin_over_type_rate_ci95,
      bootstrap_resamples: evaluation.bootstrap_resamples,
      test_pr_auc: numberOrNull(model.metrics.pr_auc),
      brier: numberOrNull(model.metrics.brier),
      ece: evaluation.ece,
      base_rate: numberOrNull(model.metrics.base_rate),
      probabilities: evaluation.probabilities,
      calibration_method: evaluation.calibration_method,
      calibration_log_loss: evaluation.calibration_log_loss,
      calibration_shift: evaluation.calibration_shift,
      baselines: {
        type_breach_rate_roc_auc: numberOrNull(baselines.type_breach_rate_roc_auc),
        type_family_rate_roc_auc: numberOrNull(baselines.type_family_rate_roc_auc),
        logistic_roc_auc: numberOrNull(baselines.logistic_roc_auc),
      },
      backtest: evaluation.backtest,
      feature_trials: evaluation.feature_trials,
      top_features: topFeatures.slice(0, 10),
    },
    calibration:
      bins.length > 0
        ? {
            source: 'stored-report',
            description:
              'Reliability bins stored with the model at training: its calibrated probabilities on the test period, in 10 equal-width bins (empty bins left out); observed_rate is the share that breached.',
            ece: evaluation.ece,
            bins,
          }
        : {
            source: 'none',
            description: 'The stored report of this model has no reliability bins (trained by an older version).',
            ece: evaluation.ece,
            bins: [],
          },
    data_age: {
      days_since_training: daysBetween(clock.dataThrough, model.trainedAt),
      days_of_data_after_test: daysBetween(clock.dataThrough, model.testTo),
    },
    // A reading of another version (a promotion between the two queries) would mislabel the card.
    health: health?.version === model.modelVersion ? modelCardHealth(health) : null,
    message: null,
    chart: chartOrNull(nonEmpty.length > 0, () =>
      buildCalibrationChart({
        title: `Calibration of ${model.modelVersion} on its test period`,
        bins: nonEmpty.map((bin) => ({ meanPredicted: bin.mean_predicted, observedRate: bin.observed_rate, count: bin.count })),
      }),
    ),
  };
}
