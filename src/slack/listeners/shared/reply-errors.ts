import { randomBytes } from 'node:crypto';
import { CivicOpsError, InputError, ModelNotTrainedError, UnknownRequestTypeError, asError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { escapeMrkdwn } from '../../blocks/alert-blocks.js';
import { describeSlackFailure } from '../../web-client.js';

/** What the person can do again after a Slack refusal, and where (for "invite the app" hints). */
export interface SlackRetryHint {
  /** Channel the app was asked to post in. */
  channelId?: string;
  /** The step to repeat, e.g. "press Share again" or "try /score again". */
  again?: string;
}

/**
 * One line for a Slack refusal the person can act on (the bot is not in the channel, the form
 * took too long, the reply is too long or spent), or undefined for any other failure.
 */
export function describeSlackRefusal(error: unknown, hint: SlackRetryHint = {}): string | undefined {
  const code = describeSlackFailure(error).slackError;
  const again = hint.again ?? 'try again';
  const channel = hint.channelId ? `<#${hint.channelId}>` : 'this channel';
  switch (code) {
    case 'not_in_channel':
    case 'channel_not_found':
      return `:wave: Invite @CivicOps-311 to ${channel} (\`/invite @CivicOps-311\`), then ${again}.`;
    case 'expired_trigger_id':
    case 'exchanged_trigger_id':
      return `:hourglass: That took too long and Slack closed the form before it opened; ${again}.`;
    case 'msg_too_long':
    case 'invalid_blocks':
      return `:warning: Slack refused the reply as too long or malformed (\`${code}\`); the team has been notified in the logs. Please ${again} with fewer details.`;
    case 'used_url':
    case 'expired_url':
      return `:hourglass: This reply can no longer be updated (Slack allows a reply link 5 times within 30 minutes); ${again}.`;
    default:
      return undefined;
  }
}

/**
 * The sentence a Slack user sees for a failure. Our typed errors carry a message written for
 * people; anything else is unexpected, so it is logged with its stack under a short reference
 * the user can quote, and the user never sees the stack.
 */
export function describeErrorForSlack(
  error: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
  retry: SlackRetryHint = {},
): string {
  if (error instanceof UnknownRequestTypeError) {
    const hint = error.suggestions.length ? ` Did you mean ${error.suggestions.map((name) => `*${escapeMrkdwn(name)}*`).join(', ')}?` : '';
    return `:grey_question: I don't know the request type "${escapeMrkdwn(error.requested)}".${hint}`;
  }
  const refusal = describeSlackRefusal(error, retry);
  if (refusal) {
    logger.warn({ err: asError(error), slackError: describeSlackFailure(error).slackError, ...context }, 'Slack refused a reply');
    return refusal;
  }
  if (error instanceof ModelNotTrainedError) {
    return ':hourglass_flowing_sand: The breach-risk model has not been trained yet. An admin can run `civicops train` (it also runs nightly).';
  }
  if (error instanceof InputError) return `:warning: ${escapeMrkdwn(error.message)}`;
  if (error instanceof CivicOpsError) {
    logger.warn({ err: error, code: error.code, ...context }, 'slack request failed');
    return `:warning: ${escapeMrkdwn(error.message)}`;
  }
  const reference = randomBytes(4).toString('hex');
  logger.error({ err: asError(error), reference, ...context }, 'slack request failed unexpectedly');
  return `:x: Something went wrong on our side and the team has been notified in the logs (reference \`${reference}\`). Please try again in a minute.`;
}

/**
 * Runs the part of a listener that follows ack(). A failure becomes a clear message sent with
 * `reply`; if even that reply fails, both errors are logged (there is nobody left to tell).
 */
export async function runAfterAck(
  logger: Logger,
  reply: (text: string) => Promise<unknown>,
  work: () => Promise<void>,
  context: Record<string, unknown> = {},
  retry: SlackRetryHint = {},
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const text = describeErrorForSlack(error, logger, context, retry);
    try {
      await reply(text);
    } catch (replyError) {
      logger.error(
        { err: asError(replyError), original: asError(error).message, ...context },
        'could not tell the Slack user about a failure',
      );
    }
  }
}
