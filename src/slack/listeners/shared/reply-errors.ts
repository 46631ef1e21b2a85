import { randomBytes } from 'node:crypto';
import { CivicOpsError, InputError, ModelNotTrainedError, UnknownRequestTypeError, asError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';

/**
 * The sentence a Slack user sees for a failure. Our typed errors carry a message written for
 * people; anything else is unexpected, so it is logged with its stack under a short reference
 * the user can quote, and the user never sees the stack.
 */
export function describeErrorForSlack(error: unknown, logger: Logger, context: Record<string, unknown> = {}): string {
  if (error instanceof UnknownRequestTypeError) {
    const hint = error.suggestions.length ? ` Did you mean ${error.suggestions.map((name) => `*${name}*`).join(', ')}?` : '';
    return `:grey_question: I don't know the request type "${error.requested}".${hint}`;
  }
  if (error instanceof ModelNotTrainedError) {
    return ':hourglass_flowing_sand: The breach-risk model has not been trained yet. An admin can run `civicops train` (it also runs nightly).';
  }
  if (error instanceof InputError) return `:warning: ${error.message}`;
  if (error instanceof CivicOpsError) {
    logger.warn({ err: error, code: error.code, ...context }, 'slack request failed');
    return `:warning: ${error.message}`;
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
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const text = describeErrorForSlack(error, logger, context);
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
