import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { effectiveCloseMs } from '../analytics/ticket-lifecycle.js';
import { buildFeatureState, type FeatureState } from '../features/training-set.js';
import type { TicketHistory } from '../features/ticket-history.js';
import type { FeatureContext } from '../features/feature-context.js';
import { computeFeaturesAt } from '../features/features-at.js';
import { explainFactor, FEATURE_INDEX, FEATURE_NAMES, type FeatureName, type FeatureVector } from '../features/feature-catalog.js';
import { toFeatureRow, type TicketInput } from '../features/assemble-features.js';
import { InputError, ModelNotTrainedError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { findPromotedModel } from '../warehouse/model.repository.js';
import {
  loadRequestTypeCatalog,
  matchRequestType,
  normalizeTypeText,
  type RequestType,
  type RequestTypeCatalog,
} from '../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import { resolveScoringInstant, restateAssumedTimeReasons, type ScoringInstant } from './assumed-creation.js';
import { loadCalibrator, type Calibrator } from './calibration.js';
import { loadClassifier, type Contributions, type TrainedClassifier } from './classifier.js';
import { loadModelFeatures, type ModelFeatures } from './model-features.js';
import type { RiskLevel, Scorer, TicketScore, TicketToScore } from './scorer.js';
import type { ModelArtifact } from './train-pipeline.js';

export interface ScorerDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  slaHours: number;
  timeZone: string;
  risk: { mediumThreshold: number; highThreshold: number };
  now?: () => Date;
}

interface LoadedModel {
  version: string;
  classifier: TrainedClassifier;
  calibrator: Calibrator;
  featureNames: string[];
  /** The model's own columns (type encoding, derived features); null for models trained before them. */
  features: ModelFeatures | null;
  /** Column of each of the model's features in FEATURE_NAMES order (-1: a feature the engine does not compute). */
  engineColumns: Int32Array;
}

const TOP_FACTORS = 3;

/** A stored ticket's creation features (FEATURE_NAMES order), its type and creation instant. */
interface StoredCreation {
  typeKey: string;
  createdAt: Date;
  row: Float64Array;
}
/** Past-dated tickets allowed in one batch (each is scored with its own SQL feature query). */
export const MAX_PAST_DATED_PER_BATCH = 100;

/** Low / Medium / High from a calibrated probability and the configured thresholds. */
export function riskLevelOf(probability: number, risk: ScorerDeps['risk']): RiskLevel {
  if (probability >= risk.highThreshold) return 'High';
  if (probability >= risk.mediumThreshold) return 'Medium';
  return 'Low';
}

/**
 * The model's raw score and its path attributions from one walk of the trees: bias plus the sum
 * of the contributions is the score (for gbt in log-odds, so it goes through the sigmoid).
 */
export function scoreWithAttributions(classifier: TrainedClassifier, row: Float64Array): { score: number; contributions: Contributions } {
  const contributions = classifier.contributions(row);
  let total = contributions.bias;
  for (const value of contributions.perFeature) total += value;
  return { score: contributions.space === 'log-odds' ? 1 / (1 + Math.exp(-total)) : total, contributions };
}

/**
 * Indexes of the `count` largest contributions by size, strongest first. Zero and non-finite ones
 * are skipped and ties keep feature order, as a stable sort of every feature would, without the
 * sort and the per-feature objects (this runs on every scored ticket).
 */
export function strongestFactors(perFeature: ArrayLike<number>, count: number): number[] {
  const top: number[] = [];
  if (count <= 0) return top;
  for (let index = 0; index < perFeature.length; index++) {
    const strength = Math.abs(perFeature[index]);
    if (strength === 0 || !Number.isFinite(strength)) continue;
    if (top.length === count) {
      // No stronger than the weakest kept one (a tie loses to the earlier feature): not among the strongest.
      if (Math.abs(perFeature[top[count - 1]]) >= strength) continue;
      top.pop();
    }
    // Insertion: weaker entries move down one place.
    let at = top.length;
    while (at > 0 && Math.abs(perFeature[top[at - 1]]) < strength) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = index;
  }
  return top;
}

/**
 * Sentences for the features that moved this prediction most, from the model's own path
 * attributions (not an echo of the inputs), strongest first, each saying which way it pushed.
 * `row` holds the feature values in the classifier's column order (NaN = unknown).
 */
export function explainPrediction(
  classifier: TrainedClassifier,
  contributions: Contributions,
  row: ArrayLike<number>,
  context: { typeName: string; slaHours: number; unseenTypeCategory?: string },
): string[] {
  const unseen = context.unseenTypeCategory;
  // A type the model has no record of: its type features are a fallback, not a fact about the
  // type, so the first reason says so and the others come from the remaining features.
  const perFeature =
    unseen === undefined
      ? contributions.perFeature
      : contributions.perFeature.map((value, index) => (TYPE_HISTORY_FEATURES.has(classifier.featureNames[index]!) ? 0 : value));
  const reasons = strongestFactors(perFeature, unseen === undefined ? TOP_FACTORS : TOP_FACTORS - 1).map((index) => {
    const sentence = explainFactor(classifier.featureNames[index]!, row[index], context);
    const direction = contributions.perFeature[index] > 0 ? 'raises' : 'lowers';
    return `${sentence.endsWith('.') ? sentence.slice(0, -1) : sentence} (${direction} the risk).`;
  });
  return unseen === undefined ? reasons : [`The model has not seen this request type; it uses ${unseen}.`, ...reasons];
}

/** Features that describe the request type's own history (meaningless for a type the model never saw). */
const TYPE_HISTORY_FEATURES = new Set([
  'requestTypeCode',
  'typeFamilyBreachRate',
  'typeBreachRate',
  'typeMedianHoursToClose',
  'typePriorTickets',
]);

/**
 * Tickets of a history open at some instant at or after `fromMs`: open now, or leaving the backlog
 * (effectiveCloseMs, the rule of sql-fragments effectiveCloseSql) after `fromMs`, which includes every
 * ticket created after it. `fromMs` is the earliest default worklist instant after a refresh (now,
 * or the last event when that is earlier), so later requests find all their open tickets here,
 * including those with a recorded close still ahead of now, or created ahead of it.
 */
export function openFromClock(history: TicketHistory, fromMs: number): (index: number) => boolean {
  return (i) =>
    history.isOpen[i] === 1 || !(effectiveCloseMs(history.createdMs[i], history.closedMs[i], false, history.archivedMs[i]) <= fromMs);
}

/** For each model feature, its column in FEATURE_NAMES order, or -1 when the engine has none of that name. */
function engineColumnsOf(featureNames: readonly string[]): Int32Array {
  return Int32Array.from(featureNames, (name) => (Object.hasOwn(FEATURE_INDEX, name) ? FEATURE_INDEX[name as FeatureName] : -1));
}

/**
 * The scorer behind POST /score_ticket, Slack /score and alerts. It keeps the promoted model, the
 * request types and the feature state at the warehouse's latest event in memory, so scoring a
 * ticket created now needs no query; a ticket created before that instant is computed in SQL.
 */
export async function createScorer(deps: ScorerDeps): Promise<Scorer> {
  const now = deps.now ?? (() => new Date());
  let model: LoadedModel | null = null;
  let context: FeatureContext;
  let catalog: RequestTypeCatalog;
  // Exact spellings (normalised) → type, so the common case is one map look-up per request.
  let exactTypes = new Map<string, RequestType>();
  let typesByKey = new Map<string, RequestType>();
  // Creation features (FEATURE_NAMES order), by ticket id, of every ticket that can be open at an
  // instant from the refresh's data clock on (see openFromClock): what scoreStoredTickets reads for
  // the usual case (the worklist at now, or at the last event of stale data) without a pass.
  let openAtCreation = new Map<string, StoredCreation>();
  // The warehouse's last event: what a ticket without createdAt is scored at when the data is stale.
  let dataThrough: Date | null = null;

  // The in-memory features of one ticket, reused by every call: filled and read without an await between.
  const engineRow = new Float64Array(FEATURE_NAMES.length);

  /** A row in FEATURE_NAMES order, in the model's column order. */
  function toModelRow(source: Float64Array, engineColumns: Int32Array): Float64Array {
    const row = new Float64Array(engineColumns.length);
    for (let index = 0; index < engineColumns.length; index++) {
      const column = engineColumns[index];
      row[index] = column >= 0 ? source[column] : Number.NaN;
    }
    return row;
  }

  /** Features of a ticket at or after the horizon, straight into the model's column order (no named vector). */
  function modelRowInMemory(input: TicketInput, engineColumns: Int32Array): Float64Array {
    context.computeFeatureRow(input, engineRow);
    return toModelRow(engineRow, engineColumns);
  }

  /** Creation features (FEATURE_NAMES order) of the chosen tickets of a feature pass, by ticket id. */
  function creationRows(state: FeatureState, keep: (index: number) => boolean): Map<string, StoredCreation> {
    const rows = new Map<string, StoredCreation>();
    const { history, data } = state;
    for (let i = 0; i < history.count; i++) {
      if (!keep(i)) continue;
      const row = new Float64Array(data.columns.length);
      for (let f = 0; f < row.length; f++) row[f] = data.columns[f][i];
      rows.set(history.ticketIds[i], { typeKey: history.typeKeys[history.typeIndex[i]], createdAt: new Date(history.createdMs[i]), row });
    }
    return rows;
  }

  async function rebuild(): Promise<void> {
    const [promoted, state, nextCatalog, latestEvent] = await Promise.all([
      findPromotedModel(deps.db),
      buildFeatureState(deps.db, { slaHours: deps.slaHours, timeZone: deps.timeZone }),
      loadRequestTypeCatalog(deps.db),
      findLatestEventAt(deps.db),
    ]);
    dataThrough = latestEvent;
    context = state.context;
    catalog = nextCatalog;
    openAtCreation = creationRows(state, openFromClock(state.history, Math.min(now().getTime(), latestEvent?.getTime() ?? Infinity)));
    typesByKey = new Map(catalog.types.map((type) => [type.typeKey, type]));
    exactTypes = new Map();
    // A spelling shared by several types (the alias "trash") is ambiguous: it stays out of the fast
    // path, so matchRequestType answers it with those types as suggestions.
    const ambiguous = new Set<string>();
    for (const type of catalog.types) {
      for (const spelling of catalog.spellings.get(type.typeKey) ?? [type.displayName]) {
        const key = normalizeTypeText(spelling);
        const known = exactTypes.get(key);
        if (known && known.typeKey !== type.typeKey) ambiguous.add(key);
        else exactTypes.set(key, type);
      }
    }
    for (const key of ambiguous) exactTypes.delete(key);
    if (promoted) {
      const artifact = promoted.artifact as ModelArtifact;
      model = {
        version: promoted.modelVersion,
        classifier: loadClassifier(artifact.classifier),
        calibrator: loadCalibrator(artifact.calibrator),
        featureNames: artifact.featureNames,
        features: artifact.modelFeatures ? loadModelFeatures(artifact.modelFeatures) : null,
        engineColumns: engineColumnsOf(artifact.featureNames),
      };
    } else {
      model = null;
    }
    deps.logger.info({ modelVersion: model?.version ?? null, tickets: context.tickets, horizon: context.horizon }, 'scorer refreshed');
  }

  async function scoreOne(ticket: TicketToScore): Promise<TicketScore> {
    const loaded = model;
    if (!loaded) throw new ModelNotTrainedError();
    const type =
      exactTypes.get(normalizeTypeText(ticket.requestType)) ?? matchRequestType(ticket.requestType, catalog.types, catalog.spellings);
    const instant = resolveScoringInstant(ticket.createdAt, dataThrough, now(), context.horizon);
    const { createdAt } = instant;
    const overrides: Partial<FeatureVector> = {};
    if (ticket.overrides?.rolling7dVolume !== undefined) overrides.typeVolume7d = ticket.overrides.rolling7dVolume;
    if (ticket.overrides?.backlogAtCreation !== undefined) overrides.typeBacklog = ticket.overrides.backlogAtCreation;
    const input: TicketInput = {
      typeKey: type.typeKey,
      createdAt,
      latitude: ticket.latitude,
      longitude: ticket.longitude,
      commissionDistrict: ticket.commissionDistrict,
      policeSector: ticket.policeSector,
      description: ticket.description,
      reporterDisplay: ticket.reporterDisplay,
      overrides,
    };
    const horizon = context.horizon;
    // At or after the latest event the in-memory state is exact; before it, ask the warehouse.
    const row =
      !horizon || createdAt >= horizon
        ? modelRowInMemory(input, loaded.engineColumns)
        : toFeatureRow(await computeFeaturesAt(deps.db, input, { sla: context.slaPolicy, timeZone: deps.timeZone }), loaded.featureNames);
    const score = scoreRow(loaded, type, ticket.ticketId ?? `hyp-${randomUUID()}`, row, instant);
    // An assumed instant's weekday or hour is not something the caller said: the reasons say so.
    score.topFactors = restateAssumedTimeReasons(score.topFactors, loaded.classifier.featureNames, row, instant.assumed);
    return score;
  }

  /** Probability, risk level and reasons of one ticket from its row in the model's column order. */
  function scoreRow(loaded: LoadedModel, type: RequestType, ticketId: string, row: Float64Array, instant: ScoringInstant): TicketScore {
    loaded.features?.completeRow(type.typeKey, row);
    const { score, contributions } = scoreWithAttributions(loaded.classifier, row);
    const probability = loaded.calibrator.apply(score);
    const slaHours = context.slaHoursOf(type.typeKey);
    const encoded = loaded.features?.encoding.encode(type.typeKey);
    const unseenTypeCategory =
      encoded && encoded.familyTickets === 0
        ? encoded.category === null
          ? 'the rate of all request types'
          : `the ${encoded.category} category`
        : undefined;
    return {
      ticketId,
      requestType: type,
      slaBreachProbability: Number(probability.toFixed(4)),
      riskLevel: riskLevelOf(probability, deps.risk),
      topFactors: explainPrediction(loaded.classifier, contributions, row, { typeName: type.displayName, slaHours, unseenTypeCategory }),
      modelVersion: loaded.version,
      slaHours,
      scoredAt: instant.createdAt,
      createdAtAssumed: instant.assumed,
      scoringNote: instant.note,
    };
  }

  async function scoreStored(ticketIds: readonly string[]): Promise<TicketScore[]> {
    const loaded = model;
    if (!loaded) throw new ModelNotTrainedError();
    let rows = openAtCreation;
    if (ticketIds.some((id) => !rows.has(id))) {
      // Closed since the last refresh (a past as-of) or ingested after it: one new pass over the
      // warehouse gives their creation features (features only look before creation, so they agree).
      const wanted = new Set(ticketIds);
      const state = await buildFeatureState(deps.db, { slaHours: deps.slaHours, timeZone: deps.timeZone });
      rows = creationRows(state, (i) => wanted.has(state.history.ticketIds[i]));
      const missing = ticketIds.filter((id) => !rows.has(id));
      if (missing.length > 0) {
        throw new InputError(
          `No stored ticket with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}.`,
          [{ path: 'ticketIds', message: 'not in the warehouse' }],
        );
      }
    }
    return ticketIds.map((id) => {
      const stored = rows.get(id)!;
      // A type first seen after the last refresh is still a real type: its key stands in for its name.
      const type = typesByKey.get(stored.typeKey) ?? { typeKey: stored.typeKey, displayName: stored.typeKey };
      return scoreRow(loaded, type, id, toModelRow(stored.row, loaded.engineColumns), {
        createdAt: stored.createdAt,
        assumed: null,
        note: null,
      });
    });
  }

  // Callers (the server's timer, the post-ingest hook, the train and alerts jobs) may ask at once:
  // they share one rebuild instead of loading the model and the feature state several times.
  let rebuilding: Promise<void> | undefined;
  function refresh(): Promise<void> {
    rebuilding ??= rebuild().finally(() => {
      rebuilding = undefined;
    });
    return rebuilding;
  }

  await refresh();
  return {
    scoreTicket: scoreOne,
    async scoreTickets(tickets) {
      // A ticket created before the in-memory horizon costs a full warehouse query: bound them
      // so one request cannot tie up the database.
      const horizon = context.horizon;
      // A ticket without createdAt on stale data is scored at the last event, which may lie before the horizon.
      const assumedAt = resolveScoringInstant(undefined, dataThrough, now(), context.horizon).createdAt;
      const pastDated = horizon ? tickets.filter((ticket) => (ticket.createdAt ?? assumedAt) < horizon).length : 0;
      if (pastDated > MAX_PAST_DATED_PER_BATCH) {
        throw new InputError(
          `At most ${MAX_PAST_DATED_PER_BATCH} tickets of a batch may have a created_at before ${horizon!.toISOString()} (got ${pastDated}); split the batch.`,
          [{ path: 'tickets', message: `more than ${MAX_PAST_DATED_PER_BATCH} past-dated tickets` }],
        );
      }
      const results: TicketScore[] = [];
      for (const ticket of tickets) results.push(await scoreOne(ticket));
      return results;
    },
    scoreStoredTickets: scoreStored,
    currentModelVersion: () => model?.version ?? null,
    refresh,
  };
}
