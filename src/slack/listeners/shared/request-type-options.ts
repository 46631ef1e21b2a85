import type { Kysely } from 'kysely';
import { asError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { normalizeTypeText, scoreSpelling, SUGGESTION_MIN_RELEVANCE } from '../../../analytics/request-type-match.js';
import { loadRequestTypeCatalog, type RequestType, type RequestTypeCatalog } from '../../../warehouse/request-type.repository.js';
import { listCommonRequestTypes, listTypeKeysNeedingHash } from '../../../warehouse/request-type-menu.repository.js';
import type { WarehouseSchema } from '../../../warehouse/schema.js';
import { HASHED_OPTION_PREFIX, MAX_OPTION_VALUE_CHARS, toTypeOptionValue } from '../../blocks/score-modal.js';

/**
 * The type key behind a /score option value: the value itself, or, for a hashed value (a key too
 * long for Slack), the known key with that hash. Unknown hashes come back unchanged (the scorer
 * then answers "unknown request type").
 */
export async function resolveTypeOptionValue(db: Kysely<WarehouseSchema>, value: string): Promise<string> {
  if (!value.startsWith(HASHED_OPTION_PREFIX)) return value;
  const keys = await listTypeKeysNeedingHash(db, MAX_OPTION_VALUE_CHARS, HASHED_OPTION_PREFIX);
  return keys.find((key) => toTypeOptionValue(key) === value) ?? value;
}

/** Slack's limit on options in a static_select. */
export const MAX_SELECT_OPTIONS = 100;

/** The request types for the /score menu: the `limit` with the most tickets (Slack allows 100 options). */
export function listMenuRequestTypes(db: Kysely<WarehouseSchema>, limit = MAX_SELECT_OPTIONS): Promise<RequestType[]> {
  return listCommonRequestTypes(db, limit);
}

export interface RequestTypeOptionsCache {
  /**
   * The menu's types, or undefined when the warehouse has not answered within `waitMs`: the
   * trigger_id of /score expires after 3 s, so the modal then opens with a text field instead.
   */
  get(): Promise<RequestType[] | undefined>;
}

/**
 * Keeps the /score type list in memory for `ttlMs`; a stale list is served at once while a
 * fresh one loads. A load that outlives `waitMs` still fills the cache for the next /score.
 */
export function createRequestTypeOptionsCache(
  db: Kysely<WarehouseSchema>,
  logger: Logger,
  options: { ttlMs?: number; waitMs?: number } = {},
): RequestTypeOptionsCache {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const waitMs = options.waitMs ?? 1_500;
  let cached: { types: RequestType[]; loadedAt: number } | undefined;
  let loading: Promise<RequestType[]> | undefined;

  const load = (): Promise<RequestType[]> => {
    // One more than a menu holds: the modal then knows the list does not fit and searches instead.
    loading ??= listMenuRequestTypes(db, MAX_SELECT_OPTIONS + 1)
      .then((types) => {
        // An empty warehouse has no types yet; do not keep that answer for ten minutes.
        if (types.length > 0) cached = { types, loadedAt: Date.now() };
        return types;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  return {
    async get() {
      if (cached && Date.now() - cached.loadedAt < ttlMs) return cached.types;
      const pending = load();
      if (cached) {
        pending.catch((error: unknown) =>
          logger.warn({ err: asError(error) }, 'could not refresh the /score request types; using the previous list'),
        );
        return cached.types;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      try {
        const types = await Promise.race([pending, timeout]);
        if (types === undefined) {
          pending.catch((error: unknown) =>
            logger.warn({ err: asError(error) }, 'loading the /score request types failed after the modal opened'),
          );
        }
        return types;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The types matching what someone typed into the /score type menu, best first, at most `limit`:
 * names (or any spelling: key, source spelling, city alias) containing the text, those starting
 * with it first; then the names the CLI's matcher finds relevant (shared words, typos).
 */
export function searchRequestTypes(catalog: RequestTypeCatalog, query: string, limit = MAX_SELECT_OPTIONS): RequestType[] {
  const q = normalizeTypeText(query);
  if (q === '') return [...catalog.types].sort((a, b) => a.displayName.localeCompare(b.displayName)).slice(0, limit);
  const ranked: { type: RequestType; rank: number }[] = [];
  for (const type of catalog.types) {
    const spellings = catalog.spellings.get(type.typeKey) ?? [type.displayName, type.typeKey];
    let rank = 0;
    for (const spelling of spellings) {
      const name = normalizeTypeText(spelling);
      if (name.startsWith(q)) rank = Math.max(rank, 3);
      else if (name.includes(q)) rank = Math.max(rank, 2);
      else {
        const { relevance } = scoreSpelling(query, spelling);
        if (relevance >= SUGGESTION_MIN_RELEVANCE) rank = Math.max(rank, 1 + relevance / 2);
      }
    }
    if (rank > 0) ranked.push({ type, rank });
  }
  return ranked
    .sort((a, b) => b.rank - a.rank || a.type.displayName.localeCompare(b.type.displayName))
    .slice(0, limit)
    .map((entry) => entry.type);
}

export interface RequestTypeSearch {
  /** Up to 100 types for the typed text (see searchRequestTypes). */
  search(query: string): Promise<RequestType[]>;
}

/**
 * Type-ahead for the /score menu: the catalog (types and their spellings) is kept for `ttlMs`,
 * so a keystroke costs no warehouse round trip (Slack waits 3 s for the options).
 */
export function createRequestTypeSearch(db: Kysely<WarehouseSchema>, options: { ttlMs?: number } = {}): RequestTypeSearch {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  let cached: { catalog: Promise<RequestTypeCatalog>; loadedAt: number } | undefined;
  return {
    async search(query) {
      if (!cached || Date.now() - cached.loadedAt >= ttlMs) {
        const catalog = loadRequestTypeCatalog(db);
        cached = { catalog, loadedAt: Date.now() };
        catalog.catch(() => {
          cached = undefined;
        });
      }
      return searchRequestTypes(await cached.catalog, query);
    },
  };
}
