/**
 * Worker-thread entry for forest training: grows the trees named in workerData and posts them
 * back (buffers transferred, not copied). Loaded only from compiled JS (dist/model/forest.worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { growForestTrees, type ForestJob } from './forest.js';

const trees = growForestTrees(workerData as ForestJob);
const transfer = trees
  .flatMap((tree) => [
    tree.feature.buffer,
    tree.bin.buffer,
    tree.missingLeft.buffer,
    tree.left.buffer,
    tree.right.buffer,
    tree.value.buffer,
    tree.gain.buffer,
  ])
  .filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer);
parentPort?.postMessage(trees, transfer);
