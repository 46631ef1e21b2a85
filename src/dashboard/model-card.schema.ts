/**
 * The shape of GET /api/v1/model-card (zod, so the OpenAPI document and the handler's reply come
 * from one definition); built by build-model-card.ts.
 */
import { z } from 'zod';
import { chartSpecSchema } from './dashboard-schemas.js';
import { dataClockShape } from './dashboard-window.js';
import { modelHealthSchema } from './model-card-health.js';

const binSchema = z.object({
  bin: z.number().int(),
  lower: z.number(),
  upper: z.number(),
  count: z.number().int(),
  mean_predicted: z.number(),
  observed_rate: z.number(),
});

const intervalSchema = z.object({ lower: z.number(), upper: z.number() }).nullable();
const notMeasured = (what: string) => `${what}; null when the model was trained by an older version (not measured)`;

const backtestFoldSchema = z.object({
  fold: z.number().int(),
  train_rows: z.number().int(),
  test_rows: z.number().int(),
  from: z.string(),
  to: z.string(),
  roc_auc: z.number().nullable(),
  type_breach_rate_roc_auc: z.number().nullable(),
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
      test_roc_auc_ci95: intervalSchema.describe(notMeasured('percentile bootstrap 95% interval of the test ROC-AUC')),
      margin_over_type_rate: z.number().nullable().describe(notMeasured("test ROC-AUC minus that of the type's breach rate alone")),
      margin_over_type_rate_ci95: intervalSchema.describe(notMeasured('bootstrap 95% interval of that margin')),
      bootstrap_resamples: z.number().int().nullable(),
      test_pr_auc: z.number().nullable(),
      brier: z.number().nullable(),
      ece: z.number().nullable().describe(notMeasured('expected calibration error over the 10 reliability bins of the test period')),
      base_rate: z.number().nullable().describe('share of test tickets that breached'),
      probabilities: z
        .object({ min: z.number(), max: z.number(), distinct: z.number().int() })
        .nullable()
        .describe(notMeasured('range and number of distinct (4-decimal) test probabilities')),
      calibration_method: z.string().nullable().describe(notMeasured('isotonic, platt or beta: the shape under the recalibration')),
      calibration_log_loss: z.record(z.string(), z.number()).nullable(),
      calibration_shift: z
        .object({ to_rate: z.number().nullable(), log_odds: z.number(), slope: z.number().nullable() })
        .nullable()
        .describe(
          notMeasured(
            'the recalibration to the latest training slice: its breach rate (null: none), the log-odds added and the factor on the log-odds (null: an older model, none)',
          ),
        ),
      baselines: z
        .object({
          type_breach_rate_roc_auc: z.number().nullable(),
          type_family_rate_roc_auc: z.number().nullable(),
          logistic_roc_auc: z.number().nullable(),
        })
        .describe('ROC-AUC of the per-type breach rate, the type family rate and a logistic regression on the same test period'),
      backtest: z
        .array(backtestFoldSchema)
        .nullable()
        .describe(notMeasured('rolling-origin backtest inside the training period: each fold trained before `from`, scored on [from, to)')),
      feature_trials: z
        .array(z.object({ feature: z.string(), with_roc_auc: z.number(), without_roc_auc: z.number(), kept: z.boolean() }))
        .nullable()
        .describe(notMeasured('optional features, kept only when they raised the calibration-slice ROC-AUC')),
      top_features: z.array(z.object({ feature: z.string(), importance: z.number() })),
    })
    .nullable()
    .describe('null before the first training'),
  calibration: z.object({
    source: z
      .enum(['stored-report', 'none'])
      .describe('stored-report: the 10 reliability bins computed on the test period at training and stored with the model'),
    description: z.string(),
    ece: z.number().nullable().describe(notMeasured('expected calibration error of these bins')),
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
  health: modelHealthSchema,
  message: z.string().nullable(),
  chart: chartSpecSchema,
});
export type ModelCardResponse = z.infer<typeof modelCardResponseSchema>;
