import type { Kysely } from 'kysely';
import { asError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { RequestType } from '../../../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../../../warehouse/schema.js';

/** Slack's limit on options in a static_select. */
export const MAX_SELECT_OPTIONS = 100;

/**
 * The request types for the /score menu: the `limit` with the most tickets (Slack allows 100
 * options), listed by name. Types never seen in a ticket come last.
 */
export async function listCommonRequestTypes(db: Kysely<WarehouseSchema>, limit = MAX_SELECT_OPTIONS): Promise<RequestType[]> {
  const rows = await db
    .selectFrom('dim_request_type as t')
    .leftJoin('fact_ticket as f', 'f.type_key', 't.type_key')
    .select((eb) => ['t.type_key', 't.display_name', eb.fn.count<number>('f.ticket_id').as('tickets')])
    .groupBy(['t.type_key', 't.display_name'])
    .orderBy('tickets', 'desc')
    .orderBy('t.display_name')
    .limit(limit)
    .execute();
  return rows
    .map((row) => ({ typeKey: row.type_key, displayName: row.display_name }))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
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
    loading ??= listCommonRequestTypes(db)
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
