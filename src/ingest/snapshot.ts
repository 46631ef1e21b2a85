import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { InputError } from '../shared/errors.js';

/** The 5,000 real Gainesville rows shipped with the project (SODA JSON, gzip). */
export const bundledSnapshotPath = fileURLToPath(new URL('../../data/gainesville-78uv-94ar.sample.json.gz', import.meta.url));

/** Reads a SODA JSON snapshot (a JSON array of rows, optionally gzip-compressed). */
export async function readSodaSnapshot(path: string): Promise<unknown[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(`Cannot read snapshot file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`Snapshot file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new InputError(`Snapshot file ${path} must hold a JSON array of SODA rows`);
  return parsed;
}
