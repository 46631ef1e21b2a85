/**
 * The model card panel: the promoted model's facts, its test evaluation (ROC-AUC with the 95%
 * interval, the margin over the type-rate baseline, PR-AUC, Brier, ECE), the reliability bins,
 * the backtest folds and the model's health (stale banner, data age, PSI of the top features).
 * A figure the model's stored report lacks (trained by an older version) reads "not measured".
 */
import { byId, el, formatCount, formatDate, formatShare, notAvailable } from './dom.js';
import { arrayAt, type Json, numberAt, pick, stringAt } from './read-json.js';

const NOT_MEASURED = 'not measured';
const day = (value: string | null) => (value ? value.slice(0, 10) : '—');
const fixed = (value: number | null, digits = 3) => (value === null ? NOT_MEASURED : value.toFixed(digits));
const interval = (value: Json) => {
  const lower = numberAt(value, 'lower');
  const upper = numberAt(value, 'upper');
  return lower === null || upper === null ? null : `95% CI ${lower.toFixed(3)}–${upper.toFixed(3)}`;
};
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;

function table(caption: string, head: string[], rows: (string | Node)[][]): HTMLElement {
  return el(
    'div',
    { class: 'table-scroll table-full' },
    el(
      'table',
      { class: 'compact' },
      el('caption', { class: 'visually-hidden' }, caption),
      el('thead', {}, el('tr', {}, ...head.map((label) => el('th', { scope: 'col' }, label)))),
      el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', {}, cell))))),
    ),
  );
}

/**
 * "last event 2023-07-26; the model was trained 1,240 days later; no data after the test period":
 * a model trained on an old snapshot is later than its data, and saying so beats "days before training".
 */
function describeDataAge(lastEvent: string, daysSinceTraining: number | null, daysAfterTest: number | null): string {
  const days = (n: number) => `${formatCount(n)} day${n === 1 ? '' : 's'}`;
  const training =
    daysSinceTraining === null
      ? ''
      : daysSinceTraining < 0
        ? `; the model was trained ${days(-daysSinceTraining)} later`
        : daysSinceTraining === 0
          ? '; the model was trained the same day'
          : `; ${days(daysSinceTraining)} of data since the model was trained`;
  const afterTest =
    daysAfterTest === null
      ? ''
      : daysAfterTest > 0
        ? `; ${days(daysAfterTest)} of data after the test period`
        : '; no data after the test period';
  return `last event ${lastEvent}${training}${afterTest}`;
}

function renderFacts(body: Json, model: Json, version: string): void {
  const auc = numberAt(model, 'test_roc_auc');
  const baseline = numberAt(model, 'baselines.type_breach_rate_roc_auc');
  const margin = numberAt(model, 'margin_over_type_rate');
  const aucInterval = interval(pick(model, 'test_roc_auc_ci95'));
  const marginInterval = interval(pick(model, 'margin_over_type_rate_ci95'));
  const method = stringAt(model, 'calibration_method');
  const shift = numberAt(model, 'calibration_shift.log_odds');
  const slope = numberAt(model, 'calibration_shift.slope');
  const sinceTraining = numberAt(body, 'data_age.days_since_training');
  const afterTest = numberAt(body, 'data_age.days_of_data_after_test');
  const fact = (term: string, value: string, id?: string) => [el('dt', {}, term), el('dd', id ? { 'data-fact': id } : {}, value)];
  byId('model-facts').replaceChildren(
    ...fact('Promoted version', `${version}${stringAt(model, 'promoted_at') ? ` (promoted ${day(stringAt(model, 'promoted_at'))})` : ''}`),
    ...fact('Test ROC-AUC', auc === null ? '—' : `${auc.toFixed(3)}${aucInterval ? ` (${aucInterval})` : ''}`, 'roc-auc'),
    ...fact(
      'Over type rate',
      margin === null
        ? NOT_MEASURED
        : `${signed(margin)}${marginInterval ? ` (${marginInterval})` : ''}${baseline === null ? '' : `; type rate alone ${baseline.toFixed(3)}`}`,
      'margin',
    ),
    ...fact('PR-AUC / Brier', `${fixed(numberAt(model, 'test_pr_auc'))} / ${fixed(numberAt(model, 'brier'))}`),
    ...fact('ECE (10 bins)', fixed(numberAt(model, 'ece')), 'ece'),
    ...fact(
      'Calibration',
      method === null
        ? NOT_MEASURED
        : `${method}${slope === null || slope === 1 ? '' : `, log-odds ×${slope.toFixed(2)}`}${shift === null || shift === 0 ? '' : `, shifted ${signed(shift)} log-odds to the recent rate`}`,
      'calibration-method',
    ),
    ...fact('Training window', `${day(stringAt(model, 'training_window.from'))} to ${day(stringAt(model, 'training_window.to'))}`),
    ...fact(
      'Tested on',
      `${day(stringAt(model, 'test_window.from'))} to ${day(stringAt(model, 'test_window.to'))}, ${formatCount(numberAt(model, 'n_test'))} tickets (${formatShare(numberAt(model, 'base_rate'))} breached)`,
    ),
    ...fact('Age of the data', describeDataAge(formatDate(stringAt(body, 'data_through')), sinceTraining, afterTest)),
  );
}

function renderHealth(body: Json): void {
  const container = byId('model-health');
  const stale = byId('model-stale');
  const health = pick(body, 'health');
  stale.hidden = true;
  if (!health) {
    notAvailable(container, 'the server did not measure the model health.');
    return;
  }
  const isStale = pick(health, 'stale') === true;
  if (isStale) {
    stale.replaceChildren(el('strong', {}, 'Model is stale: '), stringAt(health, 'message') ?? 'retrain it (civicops train).');
    stale.hidden = false;
  }
  const age = numberAt(health, 'age_days');
  const threshold = numberAt(health, 'drift.psi_threshold') ?? 0.2;
  const measuring = stringAt(health, 'drift.state') === 'measuring';
  const features = arrayAt(health, 'drift.features');
  const driftMessage = stringAt(health, 'drift.message');
  const status = el(
    'p',
    { class: `health-status ${isStale ? 'health-bad' : 'health-good'}`, 'data-health': isStale ? 'stale' : 'current' },
    el('strong', {}, isStale ? 'Stale' : 'Current'),
    ` — data runs ${age === null ? '—' : `${formatCount(Math.max(age, 0))} days`} past the model's data (limit ${formatCount(numberAt(health, 'max_age_days'))}).`,
  );
  const drift = measuring
    ? el('p', { class: 'empty', 'data-drift': 'measuring' }, 'Feature drift: measuring…')
    : features.length === 0
      ? el('p', { class: 'empty', 'data-drift': 'none' }, driftMessage ?? 'Feature drift: not measured.')
      : table(
          `Population stability index of the top features, recent tickets against training (drifted above ${threshold})`,
          ['Feature', 'PSI', `> ${threshold}`],
          features.map((row) => {
            const drifted = pick(row, 'drifted') === true;
            return [
              stringAt(row, 'feature') ?? '?',
              fixed(numberAt(row, 'psi'), 3),
              el('span', { class: drifted ? 'health-bad' : 'health-good' }, drifted ? 'drifted' : 'no'),
            ];
          }),
        );
  const recent = pick(health, 'drift.recent');
  const drifted = features.filter((row) => pick(row, 'drifted') === true).length;
  // The table has the figures; the note says what they cover and what to do.
  const note =
    !measuring && features.length > 0
      ? el(
          'p',
          { class: 'panel-note' },
          `PSI of ${formatCount(numberAt(recent, 'tickets'))} recent tickets (${day(stringAt(recent, 'from'))} to ${day(stringAt(recent, 'to'))}) against training. ${
            drifted > 0 ? `${drifted} of ${features.length} features drifted: consider retraining (civicops train).` : 'No feature drifted.'
          }`,
        )
      : null;
  container.replaceChildren(status, drift, ...(note ? [note] : []));
}

function renderReliability(body: Json): void {
  const bins = arrayAt(body, 'calibration.bins');
  const container = byId('model-reliability');
  if (bins.length === 0) {
    notAvailable(container, NOT_MEASURED);
    return;
  }
  container.replaceChildren(
    table(
      'Reliability bins: predicted probability against the observed breach rate',
      ['Predicted', 'Tickets', 'Mean p', 'Observed'],
      bins.map((bin) => [
        `${formatShare(numberAt(bin, 'lower'))}–${formatShare(numberAt(bin, 'upper'))}`,
        formatCount(numberAt(bin, 'count')),
        formatShare(numberAt(bin, 'mean_predicted')),
        formatShare(numberAt(bin, 'observed_rate')),
      ]),
    ),
  );
}

function renderBacktest(model: Json): void {
  const folds = pick(model, 'backtest');
  const container = byId('model-backtest');
  if (!Array.isArray(folds) || folds.length === 0) {
    notAvailable(container, NOT_MEASURED);
    return;
  }
  container.replaceChildren(
    table(
      'Backtest folds: ROC-AUC of the model and of the type rate alone',
      ['Fold', 'Scored on', 'Tickets', 'ROC-AUC', 'Type rate'],
      folds.map((fold) => [
        String(numberAt(fold, 'fold') ?? '?'),
        `${day(stringAt(fold, 'from'))} to ${day(stringAt(fold, 'to'))}`,
        formatCount(numberAt(fold, 'test_rows')),
        fixed(numberAt(fold, 'roc_auc')),
        fixed(numberAt(fold, 'type_breach_rate_roc_auc')),
      ]),
    ),
  );
}

/** Writes the model card from GET /api/v1/model. */
export function renderModel(body: Json): void {
  const model = pick(body, 'model');
  const version = stringAt(model, 'version');
  if (!version) {
    notAvailable(byId('model-facts'), stringAt(body, 'message', 'notice') ?? 'no model has been promoted yet.');
    for (const id of ['model-health', 'model-reliability', 'model-backtest']) notAvailable(byId(id), 'no model yet.');
    byId('model-stale').hidden = true;
    return;
  }
  renderFacts(body, model, version);
  renderHealth(body);
  renderReliability(body);
  renderBacktest(model);
}
