/**
 * Scores every open ticket the promoted model has not scored yet and stores the scores in
 * ticket_score, in batches, so the first worklist or summary request after a promotion reads
 * stored scores instead of scoring every open ticket itself (23 s on 500,000 tickets). The server
 * runs it in the background after each scorer load (src/main.ts); requests still score what is
 * missing, so a request during the warm-up is correct, only slower.
 */
import type { Kysely } from 'kysely';
import { resolveDataClock } from '../analytics/data-clock.js';
import type { Scorer } from '../model/scorer.js';
import type { Logger } from '../shared/logger.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { findUnscoredOpenTickets, saveTicketScores, type TicketScoreRow } from '../warehouse/ticket-score.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';

/**
 * Tickets per scoring batch (a progress line each). The scorer keeps the creation features of every
 * ticket open from its refresh's clock on, so a batch of those needs no pass over the warehouse;
 * a ticket it lacks (ingested since the refresh) costs one pass per batch, so batches stay large.
 */
export const WARM_UP_BATCH = 20_000;

export interface WarmTicketScoresDeps {
  db: Kysely<WarehouseSchema>;
  scorer: Pick<Scorer, 'scoreStoredTickets' | 'currentModelVersion'>;
  logger: Logger;
  now?: () => Date;
  /** True once the server is closing: the warm-up stops after its current batch. */
  stopped?: () => boolean;
}

/** What a warm-up did: the model version it scored for (null before a first training) and how many tickets. */
export interface WarmUpResult {
  modelVersion: string | null;
  scored: number;
}

/**
 * Scores `tickets` with the loaded model and stores them; returns the rows (what the request path
 * also uses). Stored under the version that scored them, which a promotion meanwhile may have changed.
 */
export async function scoreAndSaveTickets(
  deps: Pick<WarmTicketScoresDeps, 'db' | 'scorer'>,
  modelVersion: string,
  tickets: readonly { ticketId: string; createdAt: Date; typeKey: string }[],
): Promise<TicketScoreRow[]> {
  if (tickets.length === 0) return [];
  const scores = await deps.scorer.scoreStoredTickets(tickets.map((ticket) => ticket.ticketId));
  const rows = tickets.map((ticket, index) => ({
    ticketId: ticket.ticketId,
    createdAt: ticket.createdAt,
    typeKey: ticket.typeKey,
    probability: scores[index]!.slaBreachProbability,
    riskLevel: scores[index]!.riskLevel,
    topFactors: scores[index]!.topFactors,
  }));
  await saveTicketScores(deps.db, scores[0]?.modelVersion ?? modelVersion, rows);
  return rows;
}

/**
 * Scores the tickets open at the data clock (now, or the last event of stale data — the worklist's
 * default instant) that the loaded model has not scored, `batchSize` at a time, logging progress.
 */
export async function warmTicketScores(deps: WarmTicketScoresDeps, batchSize = WARM_UP_BATCH): Promise<WarmUpResult> {
  const modelVersion = deps.scorer.currentModelVersion();
  if (modelVersion === null) return { modelVersion, scored: 0 };
  const { asOf } = resolveDataClock(await findLatestEventAt(deps.db), deps.now?.() ?? new Date());
  const unscored = await findUnscoredOpenTickets(deps.db, { asOf, modelVersion });
  if (unscored.length === 0) return { modelVersion, scored: 0 };
  const started = Date.now();
  deps.logger.info({ model_version: modelVersion, tickets: unscored.length }, 'score warm-up: scoring open tickets');
  let scored = 0;
  for (let offset = 0; offset < unscored.length; offset += batchSize) {
    // A promotion meanwhile: the next refresh warms up for the new version.
    if (deps.scorer.currentModelVersion() !== modelVersion || deps.stopped?.()) break;
    const batch = unscored.slice(offset, offset + batchSize);
    await scoreAndSaveTickets(deps, modelVersion, batch);
    scored += batch.length;
    deps.logger.info({ model_version: modelVersion, scored, of: unscored.length }, 'score warm-up: progress');
  }
  deps.logger.info({ model_version: modelVersion, scored, ms: Date.now() - started }, 'score warm-up: done');
  return { modelVersion, scored };
}
