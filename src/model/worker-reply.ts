import type { Worker } from 'node:worker_threads';
import { CivicOpsError, asError } from '../shared/errors.js';

/**
 * The first message a training worker posts. Its error event, or an exit before any message,
 * rejects with MODEL_NOT_TRAINED naming the worker (`what`: "Forest worker", "Training worker").
 */
export function firstReplyOf<Reply>(worker: Worker, what: string): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      resolve(reply);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new CivicOpsError('MODEL_NOT_TRAINED', `${what} failed: ${asError(error).message}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new CivicOpsError('MODEL_NOT_TRAINED', `${what} exited with code ${code} before replying.`));
    });
  });
}
