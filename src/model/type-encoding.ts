import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, InputError } from '../shared/errors.js';
import { cityAliasesPath } from '../warehouse/request-type.repository.js';

/*
 * Request-type continuity for the model: renamed types pool their history (one family), and a
 * smoothed breach rate per family backs off to a broader category, then to the global rate, so
 * rare, renamed and never-seen types still get a sensible number.
 */

/** Same rule as ingest's canonicalTypeKey (a test holds them equal): names → type keys. */
export function typeKeyOfName(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const continuitySchema = z.object({
  city: z.string(),
  renamed: z.record(z.string().min(1), z.string().min(1)).default({}),
  categories: z.array(z.tuple([z.string().min(1), z.array(z.string().min(1)).min(1)])).default([]),
});

/** The city's renames (type key → family key, the newest name) and categories (keywords matched in the type key). */
export interface TypeContinuity {
  renamed: Record<string, string>;
  categories: [string, string[]][];
}

/** data/request-type-aliases.json's `renamed` and `categories`, validated (a broken file fails loudly, naming itself). */
export function loadTypeContinuity(path: URL | string = cityAliasesPath): TypeContinuity {
  let parsed: ReturnType<typeof continuitySchema.safeParse>;
  try {
    parsed = continuitySchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new ConfigError(`Cannot read the request-type continuity data ${String(path)}: ${(error as Error).message}`);
  }
  if (!parsed.success)
    throw new ConfigError(`Invalid request-type continuity data ${String(path)}: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
  const renamed: Record<string, string> = {};
  for (const [from, to] of Object.entries(parsed.data.renamed)) {
    const key = typeKeyOfName(from);
    const target = typeKeyOfName(to);
    if (key !== target) renamed[key] = target;
  }
  return { renamed, categories: parsed.data.categories.map(([name, keywords]) => [name, [...keywords]]) };
}

/** Closed tickets and breaches of a group. */
interface Tally {
  n: number;
  breached: number;
}

/** Plain JSON form of a TypeEncoding (counts from the training period only). */
export interface SerializedTypeEncoding {
  format: 'civicops-type-encoding/1';
  continuity: TypeContinuity;
  global: Tally;
  families: Record<string, Tally>;
  categories: Record<string, Tally>;
}

/** How strongly a family's own rate is shrunk toward its category's (a family with n tickets keeps n / (n + 20)). */
export const FAMILY_PRIOR_WEIGHT = 20;
/** How strongly a category's rate is shrunk toward the global rate. */
export const CATEGORY_PRIOR_WEIGHT = 50;

/** What the encoding knows about one request type. */
export interface TypeEncodingValue {
  /** Smoothed breach rate of the type's family, backed off to its category and the global rate. */
  rate: number;
  /** The family the type belongs to (itself unless renamed). */
  family: string;
  /** Tickets of the family the model was trained on (0: the type is new to the model). */
  familyTickets: number;
  /** The category the type backs off to, or null when none matches. */
  category: string | null;
}

export interface TypeEncoding {
  encode(typeKey: string): TypeEncodingValue;
  toJSON(): SerializedTypeEncoding;
}

export function familyOf(continuity: TypeContinuity, typeKey: string): string {
  return continuity.renamed[typeKey] ?? typeKey;
}

export function categoryOf(continuity: TypeContinuity, typeKey: string): string | null {
  const family = familyOf(continuity, typeKey);
  for (const [name, keywords] of continuity.categories) {
    if (keywords.some((keyword) => family.includes(keyword) || typeKey.includes(keyword))) return name;
  }
  return null;
}

/** Counts every (type, label) pair into families, categories and the total. */
export function fitTypeEncoding(continuity: TypeContinuity, typeKeys: readonly string[], labels: ArrayLike<number>): TypeEncoding {
  if (typeKeys.length !== labels.length) throw new InputError(`Got ${typeKeys.length} types but ${labels.length} labels.`);
  const json: SerializedTypeEncoding = {
    format: 'civicops-type-encoding/1',
    continuity,
    global: { n: 0, breached: 0 },
    families: {},
    categories: {},
  };
  const add = (tallies: Record<string, Tally>, key: string, label: number) => {
    const tally = tallies[key] ?? { n: 0, breached: 0 };
    tallies[key] = tally;
    tally.n++;
    tally.breached += label;
  };
  for (let i = 0; i < typeKeys.length; i++) {
    const label = labels[i] === 1 ? 1 : 0;
    json.global.n++;
    json.global.breached += label;
    add(json.families, familyOf(continuity, typeKeys[i]!), label);
    const category = categoryOf(continuity, typeKeys[i]!);
    if (category !== null) add(json.categories, category, label);
  }
  return loadTypeEncoding(json);
}

/** Rebuilds an encoding from its JSON. */
export function loadTypeEncoding(json: SerializedTypeEncoding): TypeEncoding {
  if (json.format !== 'civicops-type-encoding/1') throw new InputError(`Unsupported type encoding format "${String(json.format)}".`);
  const snapshot = structuredClone(json);
  const globalRate = (json.global.breached + 1) / (json.global.n + 2);
  const cache = new Map<string, TypeEncodingValue>();
  return {
    encode(typeKey) {
      const known = cache.get(typeKey);
      if (known) return known;
      const family = familyOf(json.continuity, typeKey);
      const category = categoryOf(json.continuity, typeKey);
      const categoryTally = category === null ? undefined : json.categories[category];
      const categoryRate = categoryTally
        ? (categoryTally.breached + CATEGORY_PRIOR_WEIGHT * globalRate) / (categoryTally.n + CATEGORY_PRIOR_WEIGHT)
        : globalRate;
      const tally = json.families[family] ?? { n: 0, breached: 0 };
      const value = {
        rate: (tally.breached + FAMILY_PRIOR_WEIGHT * categoryRate) / (tally.n + FAMILY_PRIOR_WEIGHT),
        family,
        familyTickets: tally.n,
        category,
      };
      cache.set(typeKey, value);
      return value;
    },
    toJSON: () => structuredClone(snapshot),
  };
}

/**
 * Out-of-fold encoded rates of training rows: rows of fold k get the rate fitted on every other
 * fold, so a row's own label never feeds its feature (the learner would otherwise trust it too much).
 */
export function encodeOutOfFold(
  continuity: TypeContinuity,
  typeKeys: readonly string[],
  labels: ArrayLike<number>,
  foldOf: ArrayLike<number>,
  folds: number,
): Float64Array {
  const out = new Float64Array(typeKeys.length);
  for (let fold = 0; fold < folds; fold++) {
    const keys: string[] = [];
    const foldLabels: number[] = [];
    for (let i = 0; i < typeKeys.length; i++) {
      if (foldOf[i] === fold) continue;
      keys.push(typeKeys[i]!);
      foldLabels.push(labels[i]!);
    }
    const encoding = fitTypeEncoding(continuity, keys, foldLabels);
    for (let i = 0; i < typeKeys.length; i++) if (foldOf[i] === fold) out[i] = encoding.encode(typeKeys[i]!).rate;
  }
  return out;
}
