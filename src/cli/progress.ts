import type { Writable } from 'node:stream';
import type { IngestProgress } from '../ingest/ingest.js';

const number = new Intl.NumberFormat('en-US');

/**
 * Progress of a long ingest on stderr: one self-updating line on a terminal, one line per
 * page otherwise (so CI logs and cron mail stay readable).
 */
export function createIngestProgressPrinter(stream: Writable & { isTTY?: boolean }): {
  update(progress: IngestProgress): void;
  done(): void;
} {
  let wroteInPlace = false;
  return {
    update(progress) {
      const line =
        `ingest run ${progress.runId}: ${number.format(progress.fetched)} rows fetched` +
        ` (${number.format(progress.inserted)} new, ${number.format(progress.updated)} updated,` +
        ` ${number.format(progress.quarantined)} quarantined) · ${number.format(progress.rowsPerSecond)} rows/s`;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line}`);
        wroteInPlace = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (wroteInPlace) stream.write('\n');
    },
  };
}
