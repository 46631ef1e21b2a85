import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { matchRequestType, normalizeTypeText, type RequestType } from '../analytics/request-type-match.js';
import { ConfigError } from '../shared/errors.js';
import type { WarehouseSchema } from './schema.js';

// The matching rule is pure (analytics/request-type-match.ts); re-exported for existing callers.
export { editDistance, matchRequestType, normalizeTypeText, type RequestType } from '../analytics/request-type-match.js';

type Db = Kysely<WarehouseSchema>;

/** Every canonical request type, by display name. */
export async function listRequestTypes(db: Db): Promise<RequestType[]> {
  const rows = await db.selectFrom('dim_request_type').select(['type_key', 'display_name']).orderBy('display_name').execute();
  return rows.map((row) => ({ typeKey: row.type_key, displayName: row.display_name }));
}

/**
 * Finds the request type a person means: exact match ignoring case, spaces and punctuation
 * (display name, type key, any source spelling or a city alias such as pothole → Road Repair),
 * then a type whose name contains the text (or whose words the text contains), then the closest
 * name by word overlap and edit distance. Throws UnknownRequestTypeError with up to 3 relevant
 * names (none when nothing shares a word with the text).
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
  addCityAliases(types, spellings, loadCityAliases());
  return { types, spellings };
}

/** data/request-type-aliases.json: words people use → the city's type names they mean. */
const cityAliasesSchema = z.object({
  city: z.string(),
  dataset: z.string().optional(),
  note: z.string().optional(),
  aliases: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)),
});
export type CityAliases = z.infer<typeof cityAliasesSchema>;

export const cityAliasesPath = new URL('../../data/request-type-aliases.json', import.meta.url);
let cachedAliases: CityAliases | undefined;

/** The city's aliases, read and validated once (a broken file fails loudly, naming itself). */
export function loadCityAliases(path: URL | string = cityAliasesPath): CityAliases {
  if (path === cityAliasesPath && cachedAliases) return cachedAliases;
  let parsed: ReturnType<typeof cityAliasesSchema.safeParse>;
  try {
    parsed = cityAliasesSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new ConfigError(`Cannot read the request-type aliases ${String(path)}: ${(error as Error).message}`);
  }
  if (!parsed.success)
    throw new ConfigError(`Invalid request-type aliases ${String(path)}: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
  if (path === cityAliasesPath) cachedAliases = parsed.data;
  return parsed.data;
}

/**
 * Adds each alias as a spelling of the types it names (matched like any spelling). A type's own
 * name always wins: an alias equal to an existing name is left out, and targets the warehouse
 * does not hold are ignored.
 */
export function addCityAliases(types: readonly RequestType[], spellings: Map<string, string[]>, city: CityAliases): void {
  const byName = new Map<string, string>();
  for (const type of types) for (const name of spellings.get(type.typeKey) ?? []) byName.set(normalizeTypeText(name), type.typeKey);
  for (const [alias, targets] of Object.entries(city.aliases)) {
    if (byName.has(normalizeTypeText(alias))) continue;
    const keys = new Set(targets.map((target) => byName.get(normalizeTypeText(target))).filter((key) => key !== undefined));
    for (const key of keys) spellings.get(key)?.push(alias);
  }
}
