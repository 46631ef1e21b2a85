import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { WarehouseSchema } from '../../../warehouse/schema.js';
import {
  findReplyPosition,
  listAlertIdsInReply,
  loadAlertsWithTickets,
  recordAlertAcknowledgement,
} from '../../../warehouse/alert.repository.js';
import {
  ALERT_ACKNOWLEDGE_ACTION_ID,
  ALERT_BLOCK_ID_PREFIX,
  acknowledgedBlockId,
  buildAlertReplyPage,
  buildTicketUrl,
  describeAcknowledgement,
  escapeMrkdwn,
  type AlertItem,
  type AlertReplyPage,
} from '../../blocks/alert-blocks.js';
import { SlackPostError } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';

export { acknowledgedBlockId, describeAcknowledgement };

const blockSchema = z.object({ type: z.string(), block_id: z.string().optional() }).passthrough();

/**
 * The tickets a message shows, read from its blocks (`alert_<id>` sections): only used when the
 * warehouse has no record of the reply (a message posted outside the alert job).
 */
export function listTicketIdsInBlocks(blocks: readonly unknown[]): string[] {
  const ids: string[] = [];
  for (const block of blocks) {
    const parsed = blockSchema.safeParse(block);
    const blockId = parsed.success ? parsed.data.block_id : undefined;
    if (parsed.success && parsed.data.type === 'section' && blockId?.startsWith(ALERT_BLOCK_ID_PREFIX)) {
      ids.push(blockId.slice(ALERT_BLOCK_ID_PREFIX.length));
    }
  }
  return ids;
}

/**
 * An alert reply as the warehouse knows it now: its tickets, and each one's acknowledgement.
 * Built from the warehouse, never from the click's copy of the message, so two people
 * acknowledging different tickets of one reply both show up.
 */
export async function rebuildAlertReply(
  db: Kysely<WarehouseSchema>,
  reply: { channel: string; ts: string; fallbackTicketIds: readonly string[] },
  options: { timeZone: string; ticketUrlTemplate: string },
): Promise<AlertReplyPage | undefined> {
  const recorded = await listAlertIdsInReply(db, { channel: reply.channel, replyTs: reply.ts });
  const ids = recorded.length > 0 ? recorded : [...reply.fallbackTicketIds];
  const alerts = await loadAlertsWithTickets(db, { ticketIds: ids });
  if (alerts.length === 0) return undefined;
  const items: AlertItem[] = alerts.map(({ alert, ticket }) => ({
    ticketId: ticket.ticketId,
    requestType: ticket.requestType,
    createdAt: ticket.createdAt,
    address: ticket.locationDetail,
    latitude: ticket.latitude,
    longitude: ticket.longitude,
    commissionDistrict: ticket.commissionDistrict,
    description: ticket.description,
    probability: alert.probability,
    riskLevel: alert.riskLevel,
    topFactors: alert.topFactors,
    modelVersion: alert.modelVersion,
    ticketUrl: buildTicketUrl(options.ticketUrlTemplate, ticket.ticketId),
    acknowledgement: alert.acknowledgedBy && alert.acknowledgedAt ? { userId: alert.acknowledgedBy, at: alert.acknowledgedAt } : null,
  }));
  const parentTs = alerts.find(({ alert }) => alert.parentTs)?.alert.parentTs;
  const position = parentTs
    ? await findReplyPosition(db, { channel: reply.channel, parentTs, ticketIds: items.map((item) => item.ticketId) })
    : { start: 0, total: items.length };
  return buildAlertReplyPage(items, { timeZone: options.timeZone, ...position });
}

/**
 * Updates of one message run one after another in this process, each reading the warehouse
 * afresh: two clicks a few milliseconds apart cannot write an older state over a newer one.
 */
function createMessageQueue(): (key: string, work: () => Promise<void>) => Promise<void> {
  const tails = new Map<string, Promise<void>>();
  return (key, work) => {
    const next = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

async function updateAlertMessage(client: WebClient, channel: string, ts: string, page: AlertReplyPage): Promise<void> {
  try {
    await client.chat.update({ channel, ts, text: page.text, blocks: page.blocks });
  } catch (error) {
    throw new SlackPostError('chat.update', error);
  }
}

/**
 * The Acknowledge button on a high-risk alert: records who acknowledged the ticket (the first
 * click wins, stored in the warehouse) and rebuilds the alert from the warehouse to say so.
 */
export function register(app: App, deps: SlackListenerDeps): void {
  const inOrder = createMessageQueue();
  app.action<BlockAction<ButtonAction>>(ALERT_ACKNOWLEDGE_ACTION_ID, async ({ ack, action, body, respond, client }) => {
    await ack();
    const ticketId = action.value ?? '';
    await runAfterAck(
      deps.logger,
      (text) => respond({ response_type: 'ephemeral', replace_original: false, text }),
      async () => {
        const outcome = await recordAlertAcknowledgement(deps.warehouse.db, {
          ticketId,
          userId: body.user.id,
          userName: body.user.username ?? body.user.name ?? null,
          at: deps.now(),
        });
        if (outcome.outcome === 'not_found') {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `:grey_question: There is no alert for ticket ${escapeMrkdwn(ticketId)} in the warehouse, so nothing was recorded.`,
          });
          return;
        }
        const channel = body.container?.channel_id ?? body.channel?.id;
        const ts = body.container?.message_ts ?? body.message?.ts;
        if (channel && ts) {
          const blocks: unknown[] = Array.isArray(body.message?.blocks) ? body.message.blocks : [];
          const fallbackTicketIds = [...new Set([...listTicketIdsInBlocks(blocks), ticketId])];
          await inOrder(`${channel}:${ts}`, async () => {
            const page = await rebuildAlertReply(
              deps.warehouse.db,
              { channel, ts, fallbackTicketIds },
              { timeZone: deps.config.cityTimeZone, ticketUrlTemplate: deps.config.slack.ticketUrlTemplate },
            );
            if (page) await updateAlertMessage(client, channel, ts, page);
          });
        }
        if (outcome.outcome === 'already_acknowledged' && outcome.acknowledgedBy !== body.user.id) {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `Ticket ${escapeMrkdwn(ticketId)} was already ${describeAcknowledgement({ userId: outcome.acknowledgedBy, at: outcome.acknowledgedAt }, deps.config.cityTimeZone).replace(':white_check_mark: Acknowledged', 'acknowledged')}.`,
          });
        }
      },
      { action: ALERT_ACKNOWLEDGE_ACTION_ID, user: body.user.id, ticket: ticketId },
    );
  });
}
