/**
 * The SoQL subset the fake answers: `$select` (`*`, `:*`, named columns), `$where` (see
 * soql-where.ts), `$order`, `$limit`/`$offset` and SODA's simple `?column=value` filters.
 * Problems throw SoqlError, which the server answers as 400 in Socrata's error shape.
 */
import { SoqlError } from './soql-error.js';
import { compileComparison, compareText, compareValues, parseWhere, type RowPredicate } from './soql-where.js';
import { readColumn, type StoredRow } from './stored-row.js';

/** `$limit` when the query has none, as on the real API. */
export const SODA_DEFAULT_LIMIT = 1000;
/** Largest `$limit` the fake accepts; larger values answer 400. */
export const SODA_MAX_LIMIT = 50_000;

const KNOWN_PARAMS = new Set(['$select', '$where', '$order', '$limit', '$offset', '$$app_token']);
const IDENTIFIER = /^(?::@?)?[A-Za-z_][A-Za-z0-9_]*$/;

export type SelectPlan = { mode: 'all' | 'data' | 'system' } | { mode: 'columns'; columns: string[] };

export interface OrderTerm {
  column: string;
  descending: boolean;
}

export interface ParsedQuery {
  select: SelectPlan;
  predicate: RowPredicate | undefined;
  /** Cache key of the filtered + ordered row list. */
  viewKey: string;
  order: OrderTerm[];
  limit: number;
  offset: number;
}

/** Reads the decoded query parameters of one request. */
export function parseQuery(params: Record<string, string>): ParsedQuery {
  const filters: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith('$')) {
      if (!KNOWN_PARAMS.has(name)) throw new SoqlError('query.compiler.malformed', `Unrecognized arguments [${name}]`);
    } else {
      // SODA simple filters: ?column=value means column = 'value'.
      filters.push([name, value]);
    }
  }
  const select = parseSelect(params.$select);
  const order = parseOrder(params.$order);
  const limit = parseCount(params.$limit, '$limit', SODA_DEFAULT_LIMIT);
  if (limit > SODA_MAX_LIMIT) {
    throw new SoqlError('query.execution.limit-too-high', `$limit must be at most ${SODA_MAX_LIMIT}, got ${limit}`);
  }
  const offset = parseCount(params.$offset, '$offset', 0);
  const predicates: RowPredicate[] = [];
  if (params.$where !== undefined && params.$where.trim() !== '') predicates.push(parseWhere(params.$where));
  for (const [column, value] of filters) predicates.push(compileComparison(column, '=', { kind: 'string', text: value }));
  const predicate =
    predicates.length === 0 ? undefined : predicates.length === 1 ? predicates[0] : (row: StoredRow) => predicates.every((p) => p(row));
  const filterText = JSON.stringify([params.$where ?? '', filters]);
  return { select, predicate, order, limit, offset, viewKey: `view|${orderText(order)}|${filterText}` };
}

/** `col asc,col2 desc`: the cache key part of an order. */
export function orderText(order: OrderTerm[]): string {
  return order.map((term) => `${term.column} ${term.descending ? 'desc' : 'asc'}`).join(',');
}

function parseCount(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new SoqlError('query.compiler.malformed', `${name} must be a non-negative integer, got "${text}"`);
  return Number(text.trim());
}

function parseSelect(text: string | undefined): SelectPlan {
  if (text === undefined || text.trim() === '') return { mode: 'data' };
  const items = text.split(',').map((item) => item.trim());
  const hasData = items.includes('*');
  const hasSystem = items.includes(':*');
  const columns = items.filter((item) => item !== '*' && item !== ':*');
  for (const column of columns) {
    const bare = column.replace(/^`(.*)`$/, '$1');
    if (!IDENTIFIER.test(bare)) throw new SoqlError('query.compiler.malformed', `Could not parse $select item "${column}"`);
  }
  if (columns.length === 0) return { mode: hasData && hasSystem ? 'all' : hasData ? 'data' : 'system' };
  if (hasData || hasSystem) {
    throw new SoqlError('query.compiler.malformed', 'Mixing * or :* with named columns is not supported by the fake');
  }
  return { mode: 'columns', columns: columns.map((column) => column.replace(/^`(.*)`$/, '$1')) };
}

function parseOrder(text: string | undefined): OrderTerm[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((item) => {
    const match = /^\s*(`[^`]+`|:?@?[A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(item);
    if (!match) throw new SoqlError('query.compiler.malformed', `Could not parse $order item "${item.trim()}"`);
    return { column: match[1].replace(/^`(.*)`$/, '$1'), descending: match[2]?.toLowerCase() === 'desc' };
  });
}

/** Sorts as `$order` asks; ties break on `:id` so pages never overlap or skip rows. */
export function compileComparator(order: OrderTerm[]): (a: StoredRow, b: StoredRow) => number {
  const terms = order.map(({ column, descending }) => {
    const sign = descending ? -1 : 1;
    if (column === ':updated_at') return (a: StoredRow, b: StoredRow) => sign * (a.updatedAtMs - b.updatedAtMs);
    if (column === ':created_at') return (a: StoredRow, b: StoredRow) => sign * (a.createdAtMs - b.createdAtMs);
    if (column === ':id') return (a: StoredRow, b: StoredRow) => sign * compareText(a.systemId, b.systemId);
    return (a: StoredRow, b: StoredRow) => {
      const left = readColumn(a, column);
      const right = readColumn(b, column);
      const leftMissing = typeof left !== 'string';
      const rightMissing = typeof right !== 'string';
      // Nulls last ascending, first descending, as PostgreSQL (and Socrata) do.
      if (leftMissing || rightMissing) return leftMissing === rightMissing ? 0 : sign * (leftMissing ? 1 : -1);
      return sign * compareValues(left as string, right as string);
    };
  });
  return (a, b) => {
    for (const term of terms) {
      const result = term(a, b);
      if (result !== 0) return result;
    }
    return compareText(a.systemId, b.systemId);
  };
}
