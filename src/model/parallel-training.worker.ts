/**
 * Worker-thread entry for trainClassifiersInParallel: trains the one classifier in workerData and
 * posts its JSON back. Loaded only from compiled JS (dist/model/parallel-training.worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asError } from '../shared/errors.js';
import { trainClassifier } from './classifier.js';
import type { TrainingJobMessage } from './parallel-training.js';

const { data, labels, options } = workerData as TrainingJobMessage;
try {
  const model = await trainClassifier(data, labels, options);
  parentPort?.postMessage({ model: model.toJSON() });
} catch (error) {
  parentPort?.postMessage({ error: asError(error).message });
}
