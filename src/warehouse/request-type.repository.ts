import type { Kysely } from 'kysely';
import { UnknownRequestTypeError } from '../shared/errors.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

/** A canonical request type as people see it. */
export interface RequestType {
  typeKey: string;
  displayName: string;
}

/** Every canonical request type, by display name. */
export async function listRequestTypes(db: Db): Promise<RequestType[]> {
  const rows = await db.selectFrom('dim_request_type').select(['type_key', 'display_name']).orderBy('display_name').execute();
  return rows.map((row) => ({ typeKey: row.type_key, displayName: row.display_name }));
}

/**
 * Finds the request type a person means: exact match ignoring case, spaces and punctuation
 * (display name, type key or any source spelling), then a type whose name contains the text
 * (or whose words the text contains), then the closest name by word overlap and edit distance.
 * Throws UnknownRequestTypeError with the 3 nearest names when nothing is a clear match.
 */
export async function resolveRequestType(db: Db, text: string): Promise<RequestType> {
  const catalog = await loadRequestTypeCatalog(db);
  return matchRequestType(text, catalog.types, catalog.spellings);
}

/** Every request type with every spelling the source used, for matching without a query. */
export interface RequestTypeCatalog {
  types: RequestType[];
  spellings: Map<string, string[]>;
}

export async function loadRequestTypeCatalog(db: Db): Promise<RequestTypeCatalog> {
  const [types, aliases] = await Promise.all([
    listRequestTypes(db),
    db.selectFrom('dim_request_type_alias').select(['source_name', 'type_key']).execute(),
  ]);
  const spellings = new Map<string, string[]>();
  for (const type of types) spellings.set(type.typeKey, [type.displayName, type.typeKey]);
  for (const alias of aliases) spellings.get(alias.type_key)?.push(alias.source_name);
  return { types, spellings };
}

/** Lower case, '&' as 'and', letters and digits only: "Trash / Debris" and "trash-debris" compare equal. */
export function normalizeTypeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]+/g, '');
}

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/&/g, ' and ')
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0 && !STOP_WORDS.has(word))
    .map(stem);
}

const STOP_WORDS = new Set(['and', 'or', 'of', 'the', 'a', 'an', 'in', 'on', 'for', 'to', 'other', 'than']);

// Plural and -ing forms should still match: "potholes" ~ "pothole", "lights" ~ "light".
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 3 && word.endsWith('es') && !word.endsWith('ses')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** Levenshtein distance (two rows). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

function wordSimilarity(query: string, candidate: string): number {
  if (query === candidate) return 1;
  if (query.length >= 4 && candidate.startsWith(query)) return 0.9;
  // "sweeper" ~ "sweep(ing)": a shared stem of 4+ letters.
  if (candidate.length >= 4 && query.startsWith(candidate)) return 0.85;
  const distance = editDistance(query, candidate);
  const longest = Math.max(query.length, candidate.length);
  // One typo in a word of 4+ letters still counts as the same word.
  return longest >= 4 && distance <= Math.max(1, Math.floor(longest / 5)) ? 1 - distance / longest : 0;
}

/** 0..1: how well the text matches one spelling of a type. */
function scoreSpelling(query: string, spelling: string): number {
  const q = normalizeTypeText(query);
  const s = normalizeTypeText(spelling);
  if (q.length === 0 || s.length === 0) return 0;
  if (q === s) return 1;
  const queryWords = wordsOf(query);
  const nameWords = wordsOf(spelling);
  let overlap = 0;
  for (const word of queryWords) {
    let best = 0;
    for (const candidate of nameWords) best = Math.max(best, wordSimilarity(word, candidate));
    overlap += best;
  }
  // Dice-style overlap: both the text's words and the name's words should be covered.
  const words = queryWords.length + nameWords.length === 0 ? 0 : (2 * overlap) / (queryWords.length + nameWords.length);
  // Whole-string similarity only decides for near-identical text (typos); below that it only ranks suggestions.
  const similarity = 1 - editDistance(q, s) / Math.max(q.length, s.length);
  const characters = similarity >= 0.75 ? similarity : similarity * 0.6;
  const contains = s.includes(q) && q.length >= 4 ? 0.6 + 0.3 * (q.length / s.length) : 0;
  return Math.max(words, characters, contains);
}

const CLEAR_MATCH = 0.6;
const CLEAR_MARGIN = 0.08;

/**
 * The matching rule of resolveRequestType on an in-memory list (pure, so the Slack command and
 * the CLI can reuse it on a cached list). `spellings` maps a type key to the names it goes by.
 */
export function matchRequestType(
  text: string,
  types: readonly RequestType[],
  spellings?: ReadonlyMap<string, readonly string[]>,
): RequestType {
  const query = normalizeTypeText(text);
  const namesOf = (type: RequestType) => spellings?.get(type.typeKey) ?? [type.displayName, type.typeKey];
  if (query.length > 0) {
    const exact = types.find((type) => namesOf(type).some((name) => normalizeTypeText(name) === query));
    if (exact) return exact;
  }
  const ranked = types
    .map((type) => ({ type, score: Math.max(...namesOf(type).map((name) => scoreSpelling(text, name))) }))
    .sort((a, b) => b.score - a.score || a.type.displayName.length - b.type.displayName.length);
  const [best, second] = ranked;
  if (best && best.score >= CLEAR_MATCH && (!second || best.score - second.score >= CLEAR_MARGIN)) return best.type;
  const suggestions = ranked
    .filter((entry) => entry.score > 0)
    .slice(0, 3)
    .map((entry) => entry.type.displayName);
  throw new UnknownRequestTypeError(text, suggestions.length > 0 ? suggestions : ranked.slice(0, 3).map((entry) => entry.type.displayName));
}
