/**
 * PostgreSQL array literals ('{"a","b",NULL}') built by hand, for bulk statements that read a
 * batch column by column with `rows from (unnest($1::text[]), unnest($2::float8[]), …)`. PostgreSQL parses an array literal far
 * faster than `json_to_recordset` builds records (measured on the ticket upsert: 5 µs against
 * 19 µs of server CPU per row), and one string per column is cheaper to build here than the
 * per-element escaping node-postgres applies to a JS array. PGlite passes strings through too.
 */

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** A `text[]` literal: every element quoted, `"` and `\` escaped, null as NULL. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value === null || value === undefined) parts[index] = 'NULL';
    else parts[index] = `"${NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, '\\$&') : value}"`;
  }
  return `{${parts.join(',')}}`;
}

/** A numeric array literal (`float8[]`, `int[]`); null and non-finite numbers as NULL (as JSON had them). */
export function numberArrayLiteral(values: readonly (number | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    parts[index] = value === null || value === undefined || !Number.isFinite(value) ? 'NULL' : String(value);
  }
  return `{${parts.join(',')}}`;
}

/** A `bool[]` literal; null as NULL. */
export function booleanArrayLiteral(values: readonly (boolean | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    parts[index] = value === null || value === undefined ? 'NULL' : value ? 't' : 'f';
  }
  return `{${parts.join(',')}}`;
}
