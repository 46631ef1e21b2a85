import { InputError } from '../shared/errors.js';

const WHOLE_NUMBER = /^[+-]?\d+$/;

/**
 * The one parser of every numeric CLI option: a whole number from `min` to `max`, or an
 * InputError naming the option (exit 2, one line) — "--limit abc" is never silently ignored.
 */
export function parseIntegerOption(name: string, value: string, range: { min: number; max: number }): number {
  const trimmed = value.trim();
  const number = WHOLE_NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < range.min || number > range.max) {
    throw new InputError(`--${name} must be a whole number from ${range.min} to ${range.max} (got "${value}").`, [
      { path: name, message: 'not a whole number in range' },
    ]);
  }
  return number;
}
