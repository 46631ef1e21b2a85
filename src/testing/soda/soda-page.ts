/**
 * One page of rows in Socrata's own layout (one row per line, commas leading), written from the
 * rows' stored bytes where the select allows it.
 */
import type { ServerResponse } from 'node:http';
import type { SelectPlan } from './soql.js';
import { readColumn, type StoredRow } from './stored-row.js';

const PAGE_OPEN = Buffer.from('[');
const ROW_SEPARATOR = Buffer.from('\n,');
const PAGE_CLOSE = Buffer.from('\n]\n');

/** A page as text, or as buffers to write in order (`$select=:*,*`). */
export type PageBody = string | Buffer[];

export function serialisePage(page: StoredRow[], select: SelectPlan): PageBody {
  if (page.length === 0) return '[]\n';
  if (select.mode === 'all') {
    // The city's server is another machine; here it shares the CPU with the ingest it serves, so
    // a page is written from the rows' stored bytes: no encoding, and no page-sized allocation
    // (a 50 MB buffer per page set off full garbage collections of the fake's 100,000 rows).
    const pieces = new Array<Buffer>(page.length * 2 + 1);
    pieces[0] = PAGE_OPEN;
    for (let i = 0; i < page.length; i++) {
      pieces[2 * i + 1] = page[i].allJsonBytes;
      pieces[2 * i + 2] = i + 1 < page.length ? ROW_SEPARATOR : PAGE_CLOSE;
    }
    return pieces;
  }
  const parts = new Array<string>(page.length);
  for (let i = 0; i < page.length; i++) parts[i] = serialiseRow(page[i], select);
  return `[${parts.join('\n,')}\n]\n`;
}

/** One row as `$select` asks (`*`, `:*` or named columns); `:*,*` pages never get here. */
function serialiseRow(row: StoredRow, select: SelectPlan): string {
  if (select.mode !== 'columns') return select.mode === 'system' ? `{${row.systemJson}}` : `{${row.dataJson}}`;
  const picked: Record<string, unknown> = {};
  for (const column of select.columns) {
    const value = readColumn(row, column);
    if (value !== null && value !== undefined) picked[column] = value;
  }
  return JSON.stringify(picked);
}

/**
 * Writes a 200 page. `truncate` sends half the declared bytes and destroys the socket (a cut-off
 * body); `trickle` sends the headers at once, then one byte per interval (a body that never stalls
 * long enough for an idle timeout, yet takes for ever); HEAD sends the headers only.
 */
export function writePage(
  res: ServerResponse,
  body: PageBody,
  headers: Record<string, string>,
  options: { head: boolean; truncate: boolean; trickle?: { intervalMs: number; timers: Set<NodeJS.Timeout> } },
): void {
  if (options.trickle && !options.head) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.concat(body);
    const { intervalMs, timers } = options.trickle;
    res.writeHead(200, { ...headers, 'content-length': bytes.length });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= bytes.length) {
        clearInterval(timer);
        timers.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(bytes.subarray(sent, sent + 1));
      sent += 1;
    }, intervalMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
    return;
  }
  if (options.truncate) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.concat(body);
    res.writeHead(200, { ...headers, 'content-length': bytes.length });
    const cut = Math.max(1, Math.floor(bytes.length / 2));
    res.write(bytes.subarray(0, cut), () => res.destroy());
    return;
  }
  if (typeof body === 'string') {
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(options.head ? undefined : body);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': body.reduce((total, piece) => total + piece.length, 0) });
  if (!options.head) {
    res.cork();
    for (const piece of body) res.write(piece);
    res.uncork();
  }
  res.end();
}
