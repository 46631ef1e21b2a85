import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { buildFeatureContext } from '../features/training-set.js';
import type { FeatureContext } from '../features/feature-engine.js';
import { computeFeaturesAt } from '../features/features-at.query.js';
import { explainFactor, type FeatureVector } from '../features/feature-catalog.js';
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
import { loadCalibrator, type Calibrator } from './calibration.js';
import { loadClassifier, type Contributions, type TrainedClassifier } from './classifier.js';
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
}

const TOP_FACTORS = 3;
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
 * Sentences for the features that moved this prediction most, from the model's own path
 * attributions (not an echo of the inputs), strongest first, each saying which way it pushed.
 */
export function explainPrediction(
  classifier: TrainedClassifier,
  contributions: Contributions,
  vector: FeatureVector,
  context: { typeName: string; slaHours: number },
): string[] {
  return Array.from(contributions.perFeature, (contribution, index) => ({ contribution, name: classifier.featureNames[index]! }))
    .filter((factor) => factor.contribution !== 0 && Number.isFinite(factor.contribution))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, TOP_FACTORS)
    .map((factor) => {
      const sentence = explainFactor(factor.name, vector[factor.name as keyof FeatureVector], context);
      return `${sentence.replace(/\.$/, '')} (${factor.contribution > 0 ? 'raises' : 'lowers'} the risk).`;
    });
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

  async function rebuild(): Promise<void> {
    const [promoted, nextContext, nextCatalog] = await Promise.all([
      findPromotedModel(deps.db),
      buildFeatureContext(deps.db, { slaHours: deps.slaHours, timeZone: deps.timeZone }),
      loadRequestTypeCatalog(deps.db),
    ]);
    context = nextContext;
    catalog = nextCatalog;
    exactTypes = new Map();
    for (const type of catalog.types) {
      for (const spelling of catalog.spellings.get(type.typeKey) ?? [type.displayName]) exactTypes.set(normalizeTypeText(spelling), type);
    }
    if (promoted) {
      const artifact = promoted.artifact as ModelArtifact;
      model = {
        version: promoted.modelVersion,
        classifier: loadClassifier(artifact.classifier),
        calibrator: loadCalibrator(artifact.calibrator),
        featureNames: artifact.featureNames,
      };
    } else {
      model = null;
    }
    deps.logger.info({ modelVersion: model?.version ?? null, tickets: context.tickets, horizon: context.horizon }, 'scorer refreshed');
  }

  async function scoreOne(ticket: TicketToScore): Promise<TicketScore> {
    const loaded = model;
    if (!loaded) throw new ModelNotTrainedError();
    const type = exactTypes.get(normalizeTypeText(ticket.requestType)) ?? matchRequestType(ticket.requestType, catalog.types, catalog.spellings);
    const createdAt = ticket.createdAt ?? now();
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
    const vector =
      !horizon || createdAt >= horizon
        ? context.computeFeatures(input)
        : await computeFeaturesAt(deps.db, input, { sla: context.slaPolicy, timeZone: deps.timeZone });
    const row = toFeatureRow(vector, loaded.featureNames);
    const { score, contributions } = scoreWithAttributions(loaded.classifier, row);
    const probability = loaded.calibrator.apply(score);
    const slaHours = context.slaHoursOf(type.typeKey);
    return {
      ticketId: ticket.ticketId ?? `hyp-${randomUUID()}`,
      requestType: type,
      slaBreachProbability: Number(probability.toFixed(4)),
      riskLevel: riskLevelOf(probability, deps.risk),
      topFactors: explainPrediction(loaded.classifier, contributions, vector, { typeName: type.displayName, slaHours }),
      modelVersion: loaded.version,
      slaHours,
    };
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
      const pastDated = horizon ? tickets.filter((ticket) => ticket.createdAt && ticket.createdAt < horizon).length : 0;
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
    currentModelVersion: () => model?.version ?? null,
    refresh,
  };
}
