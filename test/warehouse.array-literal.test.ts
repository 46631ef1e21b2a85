import { describe, expect, it } from 'vitest';
import { booleanArrayLiteral, numberArrayLiteral, textArrayLiteral } from '../src/warehouse/pg-array-literal.js';

describe('PostgreSQL array literals', () => {
  it('quotes every text element, escapes quotes and backslashes, and keeps the word NULL a string', () => {
    expect(textArrayLiteral(['a', '', 'NULL', null, 'say "hi"', 'C:\\dir', '{x,y}', 'line\nbreak'])).toBe(
      '{"a","","NULL",NULL,"say \\"hi\\"","C:\\\\dir","{x,y}","line\nbreak"}',
    );
  });

  it('writes numbers as PostgreSQL reads them, with null and non-finite values as NULL', () => {
    expect(numberArrayLiteral([1, -2.5, 1_700_000_000_123, null, Number.NaN, Number.POSITIVE_INFINITY, -0])).toBe(
      '{1,-2.5,1700000000123,NULL,NULL,NULL,0}',
    );
  });

  it('writes booleans as t and f', () => {
    expect(booleanArrayLiteral([true, false, null])).toBe('{t,f,NULL}');
  });

  it('writes an empty array as {}', () => {
    expect(textArrayLiteral([])).toBe('{}');
    expect(numberArrayLiteral([])).toBe('{}');
  });
});
