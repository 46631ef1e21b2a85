import { createReadStream } from 'node:fs';
import { PassThrough, pipeline } from 'node:stream';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import { InputError } from '../shared/errors.js';
import { JsonArrayError, jsonArrayElements } from './json-array-elements.js';

/** The 5,000 real Gainesville rows shipped with the project (SODA JSON, gzip). */
export const bundledSnapshotPath = fileURLToPath(new URL('../../data/gainesville-78uv-94ar.sample.json.gz', import.meta.url));

type SnapshotFormat = 'json' | 'csv';

const isGzip = (head: Buffer) => head[0] === 0x1f && head[1] === 0x8b;

export interface SnapshotStreamOptions {
  /** Called as the file is read, with the bytes read so far (of the file as stored, gzip or not). */
  onBytesRead?: (bytes: number) => void;
}

/** Opens the file as a byte stream, gunzipped when it is gzip (by its magic bytes, not its name). */
async function openBytes(path: string, options: SnapshotStreamOptions): Promise<NodeJS.ReadableStream> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(2);
      const { bytesRead } = await handle.read(buffer, 0, 2, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new InputError(`Cannot read snapshot file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  let bytesRead = 0;
  const { onBytesRead } = options;
  if (onBytesRead) {
    file.on('data', (chunk) => {
      bytesRead += chunk.length;
      onBytesRead(bytesRead);
    });
  }
  // pipeline, not pipe: a read error reaches the reader of the last stream.
  return pipeline(file, isGzip(head) ? createGunzip() : new PassThrough(), () => undefined);
}

/** A SODA JSON export is an array; a CSV export is named *.csv (or *.csv.gz). */
function formatOf(path: string, firstText: string): SnapshotFormat {
  if (
    firstText
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('[')
  )
    return 'json';
  if (/\.csv(\.gz)?$/i.test(path)) return 'csv';
  throw new InputError(`Snapshot file ${path} must hold a JSON array of SODA rows, or be a CSV export named *.csv`);
}

/**
 * Rows of a JSON array, parsed as the bytes arrive (jsonArrayElements): only the rows of the
 * current read buffer are in memory, whatever the size of the file.
 */
async function* jsonRows(path: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  try {
    yield* jsonArrayElements(chunks);
  } catch (error) {
    if (error instanceof JsonArrayError) throw new InputError(`Snapshot file ${path} is not valid JSON: ${error.message}`);
    throw error;
  }
}

/**
 * Rows of a CSV export (a portal's "Export → CSV"): the header row names the fields; each row
 * becomes the same string-valued object the JSON endpoint returns, an empty cell an omitted field.
 */
async function* csvRows(path: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<Record<string, string>> {
  const parser = parseCsv({ columns: true, bom: true, skip_empty_lines: true });
  const source = (async () => {
    for await (const chunk of chunks) if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
    parser.end();
  })();
  source.catch((error: unknown) => parser.destroy(error as Error));
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      const row: Record<string, string> = {};
      for (const key in record) if (record[key] !== '') row[key] = record[key]!;
      yield row;
    }
  } catch (error) {
    throw error instanceof InputError ? error : new InputError(`Snapshot file ${path} is not valid CSV: ${(error as Error).message}`);
  }
  await source;
}

/**
 * Streams the rows of a snapshot file: a SODA JSON array or a CSV export, either optionally gzip.
 * Memory stays bounded by the read buffer, not the file.
 */
export async function* streamSnapshotRows(path: string, options: SnapshotStreamOptions = {}): AsyncGenerator<unknown> {
  const bytes = await openBytes(path, options);
  const iterator = (bytes as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (error) {
    throw new InputError(`Cannot read snapshot file ${path}: ${(error as Error).message}`);
  }
  if (first.done) throw new InputError(`Snapshot file ${path} is empty`);
  const chunks: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  const format = formatOf(path, first.value.subarray(0, 64).toString('utf8'));
  yield* format === 'json' ? jsonRows(path, chunks) : csvRows(path, chunks);
}

/** Reads a whole snapshot file into memory (small files: the bundled sample, fixtures). */
export async function readSodaSnapshot(path: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of streamSnapshotRows(path)) rows.push(row);
  return rows;
}
