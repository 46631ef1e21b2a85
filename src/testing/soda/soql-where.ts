/**
 * SoQL `$where`: comparisons (`= <> != < <= > >=`) of a column with a quoted string or a number,
 * `IS [NOT] NULL`, `AND`/`OR`/`NOT` and parentheses, compiled to a predicate over stored rows.
 */
import { SoqlError } from './soql-error.js';
import { readColumn, type StoredRow } from './stored-row.js';

export type RowPredicate = (row: StoredRow) => boolean;

export type Literal = { kind: 'string'; text: string } | { kind: 'number'; value: number };

type Token =
  | { type: 'ident'; text: string }
  | { type: 'string'; text: string }
  | { type: 'number'; text: string }
  | { type: 'op'; text: string }
  | { type: 'paren'; text: '(' | ')' };

const NUMERIC = /^-?\d+(\.\d+)?$/;

function malformed(message: string): SoqlError {
  return new SoqlError('query.compiler.malformed', message);
}

/** Reads a `'…'` literal starting at `start` (the opening quote); `''` is an escaped quote. */
function readStringLiteral(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw malformed('Unterminated string literal in $where');
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i++];
  }
}

/** The operator, number or identifier token at the start of `rest`. */
function readWordToken(rest: string, position: number): Token {
  const op = /^(>=|<=|<>|!=|>|<|=)/.exec(rest);
  if (op) return { type: 'op', text: op[1] };
  const number = /^-?\d+(\.\d+)?/.exec(rest);
  if (number) return { type: 'number', text: number[0] };
  const ident = /^:?@?[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (!ident) throw malformed(`Unexpected character "${rest[0]}" at position ${position} of $where`);
  return { type: 'ident', text: ident[0] };
}

function tokenizeWhere(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      const literal = readStringLiteral(text, i);
      tokens.push({ type: 'string', text: literal.value });
      i = literal.end;
    } else if (char === '(' || char === ')') {
      tokens.push({ type: 'paren', text: char });
      i++;
    } else if (char === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw malformed('Unterminated quoted identifier in $where');
      tokens.push({ type: 'ident', text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const token = readWordToken(text.slice(i), i);
      tokens.push(token);
      i += token.text.length;
    }
  }
  return tokens;
}

/** Recursive descent over the tokens of one `$where`. */
class WhereParser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): RowPredicate {
    if (this.tokens.length === 0) this.fail('Empty expression');
    const predicate = this.parseOr();
    if (this.position < this.tokens.length) this.fail('Unexpected token');
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isKeyword(token: Token | undefined, word: string): boolean {
    return token?.type === 'ident' && token.text.toUpperCase() === word;
  }

  private fail(what: string): never {
    const near = this.peek();
    throw malformed(`${what} in $where${near ? ` near "${near.text}"` : ' at end of input'}`);
  }

  private parseOr(): RowPredicate {
    const terms = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.position++;
      terms.push(this.parseAnd());
    }
    return terms.length === 1 ? terms[0] : (row) => terms.some((term) => term(row));
  }

  private parseAnd(): RowPredicate {
    const terms = [this.parseTerm()];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.position++;
      terms.push(this.parseTerm());
    }
    return terms.length === 1 ? terms[0] : (row) => terms.every((term) => term(row));
  }

  private parseTerm(): RowPredicate {
    const token = this.peek();
    if (this.isKeyword(token, 'NOT')) {
      this.position++;
      const inner = this.parseTerm();
      return (row) => !inner(row);
    }
    if (token?.type === 'paren' && token.text === '(') {
      this.position++;
      const inner = this.parseOr();
      const close = this.peek();
      if (!(close?.type === 'paren' && close.text === ')')) this.fail('Expected ")"');
      this.position++;
      return inner;
    }
    if (token?.type !== 'ident' || ['AND', 'OR', 'NOT', 'IS', 'NULL'].includes(token.text.toUpperCase())) {
      return this.fail('Expected a column name');
    }
    this.position++;
    return this.parseCondition(token.text);
  }

  /** What follows a column: `IS [NOT] NULL` or an operator and a literal. */
  private parseCondition(column: string): RowPredicate {
    const next = this.peek();
    if (this.isKeyword(next, 'IS')) {
      this.position++;
      let negate = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        negate = true;
        this.position++;
      }
      if (!this.isKeyword(this.peek(), 'NULL')) this.fail('Expected NULL');
      this.position++;
      return (row) => (readColumn(row, column) === undefined) !== negate;
    }
    if (next?.type !== 'op') return this.fail('Expected a comparison operator');
    this.position++;
    const literalToken = this.peek();
    let literal: Literal;
    if (literalToken?.type === 'string') literal = { kind: 'string', text: literalToken.text };
    else if (literalToken?.type === 'number') literal = { kind: 'number', value: Number(literalToken.text) };
    else return this.fail('Expected a literal');
    this.position++;
    return compileComparison(column, next.text, literal);
  }
}

/** Parses `a > 'x' AND (b = 'y' OR c IS NULL)` into a row predicate. */
export function parseWhere(text: string): RowPredicate {
  return new WhereParser(tokenizeWhere(text)).parse();
}

export function compileComparison(column: string, operator: string, literal: Literal): RowPredicate {
  const test = operatorTest(operator);
  if (column === ':updated_at' || column === ':created_at') {
    if (literal.kind !== 'string') {
      throw new SoqlError('query.soql.type-mismatch', `${column} must be compared with a quoted timestamp`);
    }
    const instant = parseSoqlInstant(literal.text);
    if (Number.isNaN(instant)) {
      throw new SoqlError('query.soql.type-mismatch', `Could not read "${literal.text}" as a timestamp for ${column}`);
    }
    return column === ':updated_at' ? (row) => test(row.updatedAtMs - instant) : (row) => test(row.createdAtMs - instant);
  }
  const text = literal.kind === 'string' ? literal.text : String(literal.value);
  return (row) => {
    const value = readColumn(row, column);
    if (typeof value !== 'string') return false; // SQL null (and non-text) comparisons are never true
    return test(compareValues(value, text));
  };
}

function operatorTest(operator: string): (difference: number) => boolean {
  switch (operator) {
    case '>':
      return (d) => d > 0;
    case '>=':
      return (d) => d >= 0;
    case '<':
      return (d) => d < 0;
    case '<=':
      return (d) => d <= 0;
    case '=':
      return (d) => d === 0;
    case '<>':
    case '!=':
      return (d) => d !== 0;
    default:
      throw malformed(`Unknown operator ${operator}`);
  }
}

/** Numbers compare as numbers (Socrata number columns), everything else as text. */
export function compareValues(left: string, right: string): number {
  if (NUMERIC.test(left) && NUMERIC.test(right)) return Number(left) - Number(right);
  return compareText(left, right);
}

export function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Reads a SoQL timestamp literal as an instant. Without a zone it is UTC, as Socrata reads literals
 * compared with its (UTC) system fields.
 */
export function parseSoqlInstant(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', zone] = match;
  let ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Math.floor(Number(`0.${fraction}`) * 1000),
  );
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}
