import type { Kysely } from 'kysely';
import {
  findPromotedModelSummary,
  insertModel,
  lockModelRegistry,
  promoteModel,
  recordPromotionNote,
  type NewModel,
  type RegisteredModel,
} from '../warehouse/model.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { decidePromotion, type PromotionDecision, type PromotionStanding } from './promotion.js';

function standingOf(model: Pick<RegisteredModel, 'modelVersion' | 'metrics'>): PromotionStanding {
  // metrics is jsonb: a NaN score was stored as null.
  const rocAuc = model.metrics.roc_auc;
  return { modelVersion: model.modelVersion, rocAuc: typeof rocAuc === 'number' ? rocAuc : undefined };
}

/**
 * Registers a trained model and, when `decidePromotion` says so, promotes it, in one transaction
 * that holds the registry lock: the decision is taken against the model promoted at commit time,
 * and a failure leaves neither an unregistered promotion nor a registered model without its note.
 * `model.report` is stored with the decision in its `promoted` and `promotion_note` fields.
 */
export async function registerModel(
  db: Kysely<WarehouseSchema>,
  model: NewModel,
  rules: { force: boolean; tolerance: number },
): Promise<PromotionDecision> {
  return db.transaction().execute(async (trx) => {
    await lockModelRegistry(trx);
    const current = await findPromotedModelSummary(trx);
    const decision = decidePromotion({ candidate: standingOf(model), current: current && standingOf(current), ...rules });
    await insertModel(trx, { ...model, report: { ...model.report, promoted: decision.promote, promotion_note: decision.reason } });
    if (decision.promote) await promoteModel(trx, model.modelVersion, decision.reason);
    else await recordPromotionNote(trx, model.modelVersion, decision.reason);
    return decision;
  });
}
