import { trainAndRegister, type TrainReport } from '../../model/train-pipeline.js';
import type { ModelKind } from '../../model/classifier.js';
import { InputError } from '../../shared/errors.js';
import { writeLine, type CliCommand } from '../command.js';

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
const interval = ([lower, upper]: [number, number]) => `${lower.toFixed(3)}–${upper.toFixed(3)}`;

export function formatTrainReport(report: TrainReport): string[] {
  const lines = [
    `Model ${report.model_version} (${report.kind}) — ${report.promoted ? 'PROMOTED' : 'not promoted'}: ${report.promotion_note}`,
    `  temporal split: train ${report.train_from.slice(0, 10)} → ${report.test_from.slice(0, 10)} (${report.n_train} tickets, of which the latest ${report.n_calibration} calibrate),`,
    `                  test ${report.test_from.slice(0, 10)} → ${report.test_to.slice(0, 10)} (${report.n_test} tickets)`,
    `  test ROC-AUC   ${report.roc_auc.toFixed(3)}   (95% CI ${interval(report.roc_auc_ci95)}; type breach rate alone: ${report.baselines.type_breach_rate_roc_auc.toFixed(3)}, logistic: ${report.baselines.logistic_roc_auc.toFixed(3)})`,
    `  margin over the type rate ${signed(report.margin_over_type_rate)} (95% CI ${interval(report.margin_over_type_rate_ci95)}, ${report.bootstrap_resamples} bootstrap resamples)`,
    `  test PR-AUC    ${report.pr_auc.toFixed(3)}   (base rate ${pct(report.base_rate)}; training base rate ${pct(report.train_base_rate)})`,
    `  test Brier     ${report.brier.toFixed(4)}  (always predicting the training base rate: ${report.brier_base_rate.toFixed(4)})`,
    `  test ECE       ${report.ece.toFixed(4)}  (${report.calibration_method} on out-of-fold scores${report.calibration_shift.to_rate === null ? '' : `, shifted to the latest slice's ${pct(report.calibration_shift.to_rate)}`}); probabilities ${report.probabilities.min.toFixed(3)}–${report.probabilities.max.toFixed(3)}, ${report.probabilities.distinct} distinct`,
    `  backtest       ${report.backtest.map((fold) => `${fold.from.slice(0, 7)} ${fold.roc_auc.toFixed(3)}`).join(', ')} — ROC-AUC per rolling origin`,
    `  candidates     ${report.candidates.map((c) => `${c.kind} ${c.calibration_roc_auc.toFixed(3)} (${c.train_seconds}s)`).join(', ')} — ROC-AUC on the calibration slice`,
    ...report.feature_trials.map(
      (trial) =>
        `  feature ${trial.feature}: ${trial.with_roc_auc.toFixed(3)} with, ${trial.without_roc_auc.toFixed(3)} without — ${trial.kept ? 'kept' : 'dropped'}`,
    ),
    `  request types in the test period unseen in training: ${report.unseen_types_in_test}`,
    '  calibration on the test period (predicted → observed breach rate):',
    ...report.calibration.map(
      (row) =>
        `    ${pct(row.lower).padStart(6)}–${pct(row.upper).padEnd(6)} n=${String(row.count).padStart(5)}  predicted ${pct(row.meanPredicted).padStart(6)}  observed ${pct(row.observedRate).padStart(6)}`,
    ),
    `  strongest features: ${report.top_features
      .slice(0, 5)
      .map((f) => f.feature)
      .join(', ')}`,
    `  trained in ${report.train_seconds}s`,
  ];
  return lines;
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Train the SLA-breach model on the warehouse (temporal split), register it, promote it if not worse',
  usage: 'civicops train [--force] [--as-of DATE] [--kind gbt|forest] [--trials] [--json]',
  options: {
    force: { type: 'boolean', description: 'promote even if the promoted model has a better test ROC-AUC' },
    'as-of': { type: 'string', description: 'train as if today were this date (labels and features as of then)' },
    kind: { type: 'string', description: 'try only this learner (default: both, best on the calibration slice wins)' },
    trials: {
      type: 'boolean',
      description: 'also try each optional feature with and without on the calibration slice; keep it only if it helps',
    },
    json: {
      type: 'boolean',
      description:
        'end with one JSON line: model_version, roc_auc (+ roc_auc_ci95), margin_over_type_rate (+ ci95), pr_auc, brier, ece, base_rate, calibration, backtest, n_train, n_test, promoted, …',
    },
  },
  details:
    'Only what is known when a ticket is created is a feature. The earliest 80% of labelled tickets (by creation)\n' +
    'train, the latest 20% test; the learner is chosen and calibrated on the latest slice of the training period.',
  async run({ values }, context) {
    let asOf: Date | undefined;
    if (typeof values['as-of'] === 'string') {
      asOf = new Date(values['as-of']);
      if (Number.isNaN(asOf.getTime())) throw new InputError(`--as-of "${values['as-of']}" is not a date (use YYYY-MM-DD)`);
    }
    let kinds: ModelKind[] | undefined;
    if (typeof values.kind === 'string') {
      if (values.kind !== 'gbt' && values.kind !== 'forest') throw new InputError('--kind must be gbt or forest');
      kinds = [values.kind];
    }
    const app = await context.openApp();
    const { warehouse } = app;
    try {
      const report = await trainAndRegister(
        {
          db: warehouse.db,
          logger: context.logger,
          slaHours: context.config.slaHours,
          timeZone: context.config.cityTimeZone,
          onProgress: (message) => context.stderr.write(`train: ${message}…\n`),
        },
        { asOf, force: values.force === true, kinds, trials: values.trials === true },
      );
      if (values.json) writeLine(context.stdout, JSON.stringify(report));
      else for (const line of formatTrainReport(report)) writeLine(context.stdout, line);
      return 0;
    } finally {
      await app.close();
    }
  },
};
