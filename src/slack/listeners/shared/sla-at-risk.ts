import { asError, ModelNotTrainedError } from '../../../shared/errors.js';
import { buildWorklist } from '../../../worklist/build-worklist.js';
import { SLA_AT_RISK_TICKETS, type SlaAtRisk } from '../../blocks/sla-blocks.js';
import type { SlackListenerDeps } from './listener-deps.js';

/**
 * The "At risk now" part of `/sla <type>`: the type's open tickets past their SLA (likeliest first),
 * then those at risk, by the worklist rule. Without a model it says so; any other failure is
 * logged and the card goes out without the list, since the SLA figures do not depend on it.
 */
export async function loadSlaAtRisk(deps: SlackListenerDeps, typeKey: string): Promise<SlaAtRisk> {
  const worklistDeps = { db: deps.warehouse.db, scorer: deps.scorer, config: deps.config, now: deps.now };
  try {
    const breached = await buildWorklist(worklistDeps, { type: typeKey, status: 'breached', limit: SLA_AT_RISK_TICKETS });
    const atRisk = await buildWorklist(worklistDeps, {
      type: typeKey,
      status: 'at_risk',
      limit: SLA_AT_RISK_TICKETS,
      asOf: new Date(breached.as_of),
    });
    return {
      kind: 'tickets',
      tickets: [...breached.tickets, ...atRisk.tickets].slice(0, SLA_AT_RISK_TICKETS),
      breachedTotal: breached.total,
      atRiskTotal: atRisk.total,
      asOf: new Date(breached.as_of),
      stale: breached.stale,
    };
  } catch (error) {
    if (error instanceof ModelNotTrainedError) return { kind: 'no_model' };
    deps.logger.warn({ err: asError(error), typeKey }, 'could not load the at-risk tickets of /sla; sent the card without them');
    return { kind: 'unavailable' };
  }
}
