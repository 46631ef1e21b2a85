/**
 * Block Kit for a /score result (pure): the breach probability, risk level, the model's top
 * factors and its version, plus what the person entered.
 */
import type { KnownBlock } from '@slack/web-api';
import type { RiskLevel, TicketScore } from '../../model/scorer.js';
import { escapeMrkdwn, truncateText } from './alert-blocks.js';

/** What the person typed into the /score modal, echoed under the result. */
export interface ScoredTicketDetails {
  commissionDistrict?: string;
  latitude?: number;
  longitude?: number;
  /** A street address as typed (not geocoded; only coordinates reach the model). */
  address?: string;
  description?: string;
}

const RISK_EMOJI: Record<RiskLevel, string> = { Low: ':large_green_circle:', Medium: ':large_orange_circle:', High: ':red_circle:' };

/** "78% chance of missing the 72 h SLA". */
export function describeBreachChance(score: TicketScore): string {
  return `${Math.round(score.slaBreachProbability * 100)}% chance of missing the ${score.slaHours} h SLA`;
}

function describeWhere(details: ScoredTicketDetails): string {
  const parts: string[] = [];
  if (details.commissionDistrict) parts.push(`District ${escapeMrkdwn(details.commissionDistrict)}`);
  if (details.latitude !== undefined && details.longitude !== undefined)
    parts.push(`${details.latitude.toFixed(5)}, ${details.longitude.toFixed(5)}`);
  if (details.address) parts.push(`${escapeMrkdwn(truncateText(details.address, 200))} (address not geocoded)`);
  return parts.length ? parts.join(' · ') : 'not given';
}

/** When the ticket was scored as created: now, or the data's last event when the data stops before today. */
function describeScoredAt(score: TicketScore): string {
  const minuteUtc = `${score.scoredAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (score.createdAtAssumed === 'data_through') return `at the data's last event, ${minuteUtc} (the data stops then, not today)`;
  return score.createdAtAssumed === 'now' ? 'now' : `at ${minuteUtc}`;
}

/** The result blocks: risk headline, inputs, top factors, model version. */
export function buildScoreResultBlocks(score: TicketScore, details: ScoredTicketDetails): KnownBlock[] {
  const factors = score.topFactors.length
    ? score.topFactors.map((factor) => `• ${escapeMrkdwn(truncateText(factor, 400))}`).join('\n')
    : '• No single factor stands out for this ticket.';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      block_id: 'score_headline',
      text: { type: 'mrkdwn', text: `${RISK_EMOJI[score.riskLevel]} *${score.riskLevel} risk* — *${describeBreachChance(score)}*` },
    },
    {
      type: 'section',
      block_id: 'score_inputs',
      fields: [
        { type: 'mrkdwn', text: `*Request type*\n${escapeMrkdwn(score.requestType.displayName)}` },
        { type: 'mrkdwn', text: `*Breach probability*\n${(score.slaBreachProbability * 100).toFixed(1)}%` },
        { type: 'mrkdwn', text: `*Risk level*\n${score.riskLevel}` },
        { type: 'mrkdwn', text: `*Where*\n${describeWhere(details)}` },
      ],
    },
  ];
  if (details.description) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `> ${escapeMrkdwn(truncateText(details.description.replace(/\s+/g, ' '), 500))}` }],
    });
  }
  blocks.push(
    { type: 'section', block_id: 'score_factors', text: { type: 'mrkdwn', text: truncateText(`*Top factors*\n${factors}`, 3000) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Model \`${escapeMrkdwn(score.modelVersion)}\` · calibrated probability for a ticket created ${describeScoredAt(score)} · SLA ${score.slaHours} h`,
        },
      ],
    },
  );
  return blocks;
}

/** Plain text of a result (notifications, logs, fallbacks). */
export function describeScoreText(score: TicketScore): string {
  return `${score.requestType.displayName}: ${score.riskLevel} risk, ${describeBreachChance(score)} (model ${score.modelVersion}).`;
}
