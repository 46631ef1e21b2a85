/**
 * Tolerant readers of the JSON API's replies. The server validates every figure; the page only
 * needs to find them, and shows "not available" when one is missing rather than breaking.
 */
export type Json = unknown;
export type JsonObject = Record<string, unknown>;

export function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first present field of `keys` (a.b paths allowed). */
export function pick(value: Json, ...keys: string[]): Json {
  for (const key of keys) {
    let current: Json = value;
    for (const part of key.split('.')) current = isObject(current) ? current[part] : undefined;
    if (current !== undefined && current !== null) return current;
  }
  return undefined;
}

export function numberAt(value: Json, ...keys: string[]): number | null {
  const found = pick(value, ...keys);
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
}

export function stringAt(value: Json, ...keys: string[]): string | null {
  const found = pick(value, ...keys);
  return typeof found === 'string' ? found : null;
}

export function arrayAt(value: Json, ...keys: string[]): Json[] {
  const found = pick(value, ...keys);
  return Array.isArray(found) ? found : [];
}

/** One headline figure with what it is compared to. */
export interface Figure {
  current: number | null;
  previous: number | null;
  usual: number | null;
}

/** A figure given as a bare number or as {value|current, previous, usual}. */
export function figureAt(value: Json, ...keys: string[]): Figure | null {
  const found = pick(value, ...keys);
  if (typeof found === 'number') return { current: found, previous: null, usual: null };
  if (!isObject(found)) return null;
  return {
    current: numberAt(found, 'value', 'current', 'now'),
    previous: numberAt(found, 'previous', 'previous_window', 'prev', 'previous.value'),
    usual: numberAt(found, 'usual', 'usual_value', 'typical', 'usual.value'),
  };
}
