import type { App } from '@slack/bolt';
import { z } from 'zod';
import { SLA_HELP_TEXT, isHelpRequest } from '../../blocks/score-help.js';
import { answerSlaRequest } from '../shared/answer-sla.js';
import type { SlackListenerDeps } from '../shared/listener-deps.js';
import { runAfterAck } from '../shared/reply-errors.js';

export const SLA_COMMAND = '/sla';

const CITY_WORD = /^city:(\S+)$/i;

/** `/sla [city:NAME] [request type] [in_channel]`: the city, the type text and whether to post for the channel. */
export const slaCommandTextSchema = z
  .string()
  .max(500, 'That is longer than any request type name.')
  .transform((text) => {
    let words = text.trim().split(/\s+/).filter(Boolean);
    const city = CITY_WORD.exec(words[0] ?? '')?.[1]?.toLowerCase();
    if (city !== undefined) words = words.slice(1);
    const inChannel = words.length > 0 && words[words.length - 1]!.toLowerCase() === 'in_channel';
    return { typeText: (inChannel ? words.slice(0, -1) : words).join(' '), inChannel, city };
  });

/**
 * `/sla road repair` → that type's SLA card (private, with a Share button);
 * `/sla` → the five worst types; `... in_channel` → posted for the channel with the chart.
 */
export function register(app: App, deps: SlackListenerDeps): void {
  app.command(SLA_COMMAND, async ({ command, ack, respond, client }) => {
    await ack();
    if (isHelpRequest(command.text)) {
      await respond({ response_type: 'ephemeral', text: SLA_HELP_TEXT });
      return;
    }
    await runAfterAck(
      deps.logger,
      (text) => respond({ response_type: 'ephemeral', text }),
      async () => {
        const { typeText, inChannel, city } = slaCommandTextSchema.parse(command.text ?? '');
        await answerSlaRequest(
          deps,
          { client, respond },
          { typeText, inChannel, city, channelId: command.channel_id, userId: command.user_id, replaceOriginal: false },
        );
      },
      { command: SLA_COMMAND, user: command.user_id },
    );
  });
}
