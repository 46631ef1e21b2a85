import type { z } from 'zod';
import { toFieldErrors } from './http-errors.js';
import { InputError } from '../shared/errors.js';

const CITY_PARAMETER = 'city';

/**
 * A URL query as the object a schema checks. A parameter given twice is a mistake, not a list,
 * unless it is one of `listParameters` (Open311's comma lists), whose values are then joined with
 * commas. A mismatch becomes one InputError naming every bad parameter. `city` is not the
 * route's: the server has already handed the request to that city's routes (src/api/api-server.ts).
 */
export function parseQuery<Schema extends z.ZodType>(
  schema: Schema,
  query: URLSearchParams,
  options: { listParameters?: ReadonlySet<string> } = {},
): z.infer<Schema> {
  const values: Record<string, string> = {};
  const repeated = new Set<string>();
  for (const [name, value] of query) {
    if (name === CITY_PARAMETER) continue;
    if (!(name in values)) values[name] = value;
    else if (options.listParameters?.has(name)) values[name] = `${values[name]},${value}`;
    else repeated.add(name);
  }
  if (repeated.size > 0) {
    throw new InputError(
      `Query parameter given more than once: ${[...repeated].join(', ')}.`,
      [...repeated].map((path) => ({ path, message: 'given more than once' })),
    );
  }
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const fields = toFieldErrors(parsed.error.issues).map((field) =>
    field.message === 'Unknown field' ? { ...field, message: 'Unknown query parameter' } : field,
  );
  throw new InputError(`Bad query parameter: ${fields.map((field) => `${field.path} (${field.message})`).join(', ')}.`, fields);
}
