import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Block, ContextBlock } from '@slack/web-api';
import { z } from 'zod';
import { recordAlertAcknowledgement } from '../../../warehouse/alert.repository.js';
import { ALERT_ACKNOWLEDGE_ACTION_ID } from '../../blocks/alert-blocks.js';
import { SlackPostError } from '../../web-client.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';

const blockSchema = z.object({ type: z.string(), block_id: z.string().optional() }).passthrough();
const accessorySchema = z
  .object({ type: z.literal('button'), action_id: z.literal(ALERT_ACKNOWLEDGE_ACTION_ID), value: z.string() })
  .passthrough();

/** block_id of the "Acknowledged by" line under a ticket. */
export const acknowledgedBlockId = (ticketId: string): string => `alert_ack_${ticketId}`.slice(0, 255);

/** "Acknowledged by @user at <time>", the time shown in each reader's zone (fallback: city time). */
export function describeAcknowledgement(ack: { userId: string; at: Date }, timeZone: string): string {
  const fallback = new Intl.DateTimeFormat('en-US', {
    timeZone,
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(ack.at);
  return `:white_check_mark: Acknowledged by <@${ack.userId}> at <!date^${Math.floor(ack.at.getTime() / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/**
 * The alert message's blocks with one ticket acknowledged (pure): its Acknowledge button is
 * removed and an "Acknowledged by" line is put under it; other tickets keep their buttons.
 */
export function markAlertAcknowledged(
  blocks: readonly unknown[],
  ack: { ticketId: string; userId: string; at: Date },
  timeZone: string,
): Block[] {
  const parsed = blocks.map((block) => blockSchema.parse(block));
  const ackBlockId = acknowledgedBlockId(ack.ticketId);
  const result: Block[] = [];
  for (const block of parsed) {
    if (block.block_id === ackBlockId) continue; // replaced below, next to its ticket
    const accessory = accessorySchema.safeParse(block.accessory);
    if (accessory.success && accessory.data.value === ack.ticketId) {
      const { accessory: _button, ...section } = block;
      const line: ContextBlock = {
        type: 'context',
        block_id: ackBlockId,
        elements: [{ type: 'mrkdwn', text: describeAcknowledgement(ack, timeZone) }],
      };
      result.push(section, line);
    } else {
      result.push(block);
    }
  }
  return result;
}

/**
 * The Acknowledge button on a high-risk alert: records who acknowledged the ticket (the first
 * click wins, stored in the warehouse) and updates the alert to say so.
 */
export function register(app: App, deps: SlackListenerDeps): void {
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
            text: `:grey_question: There is no alert for ticket ${ticketId} in the warehouse, so nothing was recorded.`,
          });
          return;
        }
        const channel = body.container?.channel_id ?? body.channel?.id;
        const ts = body.container?.message_ts ?? body.message?.ts;
        const blocks: unknown[] = Array.isArray(body.message?.blocks) ? body.message.blocks : [];
        if (channel && ts && blocks.length > 0) {
          const acknowledgement = { ticketId, userId: outcome.acknowledgedBy, at: outcome.acknowledgedAt };
          try {
            await client.chat.update({
              channel,
              ts,
              text: typeof body.message?.text === 'string' && body.message.text ? body.message.text : `Ticket ${ticketId} acknowledged`,
              blocks: markAlertAcknowledged(blocks, acknowledgement, deps.config.cityTimeZone),
            });
          } catch (error) {
            throw new SlackPostError('chat.update', error);
          }
        }
        if (outcome.outcome === 'already_acknowledged' && outcome.acknowledgedBy !== body.user.id) {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `Ticket ${ticketId} was already ${describeAcknowledgement({ userId: outcome.acknowledgedBy, at: outcome.acknowledgedAt }, deps.config.cityTimeZone).replace(':white_check_mark: Acknowledged', 'acknowledged')}.`,
          });
        }
      },
      { action: ALERT_ACKNOWLEDGE_ACTION_ID, user: body.user.id, ticket: ticketId },
    );
  });
}
