/**
 * The model card of the promoted breach-risk model: version, when and on what it was trained,
 * its test ROC-AUC against the baselines, its reliability bins and how old the data is against
 * the training. Read from the model registry (the report stored at training); nothing is rescored.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { resolveDataClock } from '../analytics/data-clock.js';
import { buildCalibrationChart } from '../charts/calibration-chart.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { findPromotedModelSummary } from '../warehouse/model.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import { chartOrNull, chartSpecSchema, round } from './dashboard-schemas.js';
import { dataClockShape } from './dashboard-window.js';

type Db = Kysely<WarehouseSchema>;
const DAY_MS = 86_400_000;

const binSchema = z.object({
  bin: z.number().int(),
  lower: z.number(),
  upper: z.number(),
  count: z.number().int(),
  mean_predicted: z.number(),
  observed_rate: z.number(),
});

export const modelCardResponseSchema = z.object({
  ...dataClockShape,
  model: z
    .object({
      version: z.string(),
      kind: z.string(),
      trained_at: z.string(),
      promoted_at: z.string().nullable(),
      promotion_note: z.string().nullable(),
      sla_hours: z.number(),
      training_window: z.object({ from: z.string(), to: z.string() }).describe('tickets the model learned from (created in [from, to))'),
      test_window: z.object({ from: z.string(), to: z.string() }).describe('the later tickets it was evaluated on'),
      labels_as_of: z.string().nullable().describe('the instant outcomes were known at training'),
      n_train: z.number().int(),
      n_test: z.number().int(),
      test_roc_auc: z.number().nullable(),
      test_pr_auc: z.number().nullable(),
      brier: z.number().nullable(),
      base_rate: z.number().nullable().describe('share of test tickets that breached'),
      baselines: z
        .object({ type_breach_rate_roc_auc: z.number().nullable(), logistic_roc_auc: z.number().nullable() })
        .describe('ROC-AUC of the per-type breach rate and of a logistic regression on the same test period'),
      top_features: z.array(z.object({ feature: z.string(), importance: z.number() })),
    })
    .nullable()
    .describe('null before the first training'),
  calibration: z.object({
    source: z
      .enum(['stored-report', 'none'])
      .describe('stored-report: the 10 reliability bins computed on the test period at training and stored with the model'),
    description: z.string(),
    bins: z.array(binSchema),
  }),
  data_age: z
    .object({
      days_since_training: z.number().nullable().describe('data_through − trained_at, in days (negative: data ends before the training)'),
      days_of_data_after_test: z
        .number()
        .nullable()
        .describe('data_through − end of the test window, in days: tickets the model has not been checked on'),
    })
    .describe('how the data relates to the training'),
  message: z.string().nullable(),
  chart: chartSpecSchema,
});
export type ModelCardResponse = z.infer<typeof modelCardResponseSchema>;

const numberOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

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

/** The card of the promoted model (or a card saying there is none yet). */
export async function buildModelCard(deps: { db: Db; now?: () => Date }): Promise<ModelCardResponse> {
  const [model, latestEvent] = await Promise.all([findPromotedModelSummary(deps.db), findLatestEventAt(deps.db)]);
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
      calibration: { source: 'none', description: 'No model is trained yet.', bins: [] },
      data_age: { days_since_training: null, days_of_data_after_test: null },
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
  const baselines = (report.baselines ?? {}) as Record<string, unknown>;
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
      test_pr_auc: numberOrNull(model.metrics.pr_auc),
      brier: numberOrNull(model.metrics.brier),
      base_rate: numberOrNull(model.metrics.base_rate),
      baselines: {
        type_breach_rate_roc_auc: numberOrNull(baselines.type_breach_rate_roc_auc),
        logistic_roc_auc: numberOrNull(baselines.logistic_roc_auc),
      },
      top_features: topFeatures.slice(0, 10),
    },
    calibration:
      bins.length > 0
        ? {
            source: 'stored-report',
            description:
              'Reliability bins stored with the model at training: its calibrated probabilities on the test period, in 10 equal-width bins (empty bins left out); observed_rate is the share that breached.',
            bins,
          }
        : {
            source: 'none',
            description: 'The stored report of this model has no reliability bins (trained by an older version).',
            bins: [],
          },
    data_age: {
      days_since_training: daysBetween(clock.dataThrough, model.trainedAt),
      days_of_data_after_test: daysBetween(clock.dataThrough, model.testTo),
    },
    message: null,
    chart: chartOrNull(nonEmpty.length > 0, () =>
      buildCalibrationChart({
        title: `Calibration of ${model.modelVersion} on its test period`,
        bins: nonEmpty.map((bin) => ({ meanPredicted: bin.mean_predicted, observedRate: bin.observed_rate, count: bin.count })),
      }),
    ),
  };
}
