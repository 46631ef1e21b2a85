/**
 * How the text a person types ("pothole", "raod repair", "street light") is matched to a
 * canonical request type: pure, so the CLI, Slack, the HTTP API and the scorer share one rule
 * over the list they hold. Spellings include the source's old names and the city's aliases
 * (data/request-type-aliases.json, added by the repository). A suggestion is offered only when it
 * shares words (or a word's start) with the text; gibberish gets none rather than random names.
 */
import { UnknownRequestTypeError } from '../shared/errors.js';

/** A canonical request type as people see it. */
export interface RequestType {
  typeKey: string;
  displayName: string;
}

/** Lower case, '&' as 'and', letters and digits only: "Trash / Debris" and "trash-debris" compare equal. */
export function normalizeTypeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]+/g, '');
}

const STOP_WORDS = new Set(['and', 'or', 'of', 'the', 'a', 'an', 'in', 'on', 'for', 'to', 'other', 'than']);

// Plural and -ing forms should still match: "potholes" ~ "pothole", "lights" ~ "light".
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 3 && word.endsWith('es') && !word.endsWith('ses')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/&/g, ' and ')
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0 && !STOP_WORDS.has(word))
    .map(stem);
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

/**
 * How well the text matches one spelling of a type, 0..1: `score` ranks and decides a match;
 * `relevance` leaves out the weak whole-string resemblance ("pothole" ~ "other"), so a name is
 * only suggested when words (or word starts) are shared or the whole text is a near-typo.
 */
export function scoreSpelling(query: string, spelling: string): { score: number; relevance: number } {
  const q = normalizeTypeText(query);
  const s = normalizeTypeText(spelling);
  if (q.length === 0 || s.length === 0) return { score: 0, relevance: 0 };
  if (q === s) return { score: 1, relevance: 1 };
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
  return { score: Math.max(words, characters, contains), relevance: Math.max(words, similarity >= 0.75 ? similarity : 0, contains) };
}

const CLEAR_MATCH = 0.6;
const CLEAR_MARGIN = 0.08;
/** Below this a name is not worth suggesting: it shares no word, or too little of one. */
export const SUGGESTION_MIN_RELEVANCE = 0.3;
const MAX_SUGGESTIONS = 3;

/**
 * The request type the text means. `spellings` maps a type key to every name it goes by
 * (display name, key, source spellings, city aliases); an alias given to several types
 * ("trash") is ambiguous and answered with those types as suggestions. Throws
 * UnknownRequestTypeError with up to 3 relevant suggestions (possibly none).
 */
export function matchRequestType(
  text: string,
  types: readonly RequestType[],
  spellings?: ReadonlyMap<string, readonly string[]>,
): RequestType {
  const query = normalizeTypeText(text);
  const namesOf = (type: RequestType) => spellings?.get(type.typeKey) ?? [type.displayName, type.typeKey];
  if (query.length > 0) {
    const exact = types.filter((type) => namesOf(type).some((name) => normalizeTypeText(name) === query));
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) {
      throw new UnknownRequestTypeError(
        text,
        exact.slice(0, MAX_SUGGESTIONS).map((type) => type.displayName),
      );
    }
  }
  const ranked = types
    .map((type) => {
      const scores = namesOf(type).map((name) => scoreSpelling(text, name));
      return { type, score: Math.max(...scores.map((s) => s.score)), relevance: Math.max(...scores.map((s) => s.relevance)) };
    })
    .sort((a, b) => b.score - a.score || a.type.displayName.length - b.type.displayName.length);
  const [best, second] = ranked;
  if (best && best.score >= CLEAR_MATCH && (!second || best.score - second.score >= CLEAR_MARGIN)) return best.type;
  const suggestions = ranked
    .filter((entry) => entry.relevance >= SUGGESTION_MIN_RELEVANCE)
    .slice(0, MAX_SUGGESTIONS)
    .map((entry) => entry.type.displayName);
  throw new UnknownRequestTypeError(text, suggestions);
}
