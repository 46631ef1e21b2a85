/**
 * Drops repeated deliveries of the same Slack request. Slack retries a request it thinks was not
 * acknowledged (X-Slack-Retry-Num 1, 2, 3 within about five minutes) and a double click can deliver
 * one action twice; without this, each copy would post, upload or update again.
 *
 * With several replicas behind a load balancer a retry can land on another replica, so the
 * deployed store is the warehouse's (`createWarehouseDedupeStore`, one table every replica
 * shares); the in-memory store serves a single process and is the fallback while the warehouse
 * cannot be reached.
 */
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Kysely } from 'kysely';
import { asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { claimSlackRequest } from '../warehouse/slack-request-seen.repository.js';

/** How long an identity is remembered: beyond Slack's retry window (retries within about 5 minutes). */
export const SLACK_DEDUPE_TTL_MS = 10 * 60_000;

/** Remembers request identities for a while. */
export interface RequestDedupeStore {
  /** True the first time `key` is claimed within `ttlMs`, false for every repeat. */
  claim(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/**
 * An in-memory store for one process. Entries expire after their TTL; at most `maxEntries` are
 * kept (the oldest go first), so a flood of distinct requests cannot grow it without bound.
 */
export function createMemoryDedupeStore(options: { now?: () => number; maxEntries?: number } = {}): RequestDedupeStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  // Insertion order is expiry order when every claim uses the same TTL, so pruning stops at the first live entry.
  const expiries = new Map<string, number>();
  return {
    claim(key, ttlMs) {
      const at = now();
      for (const [oldKey, expiresAt] of expiries) {
        if (expiresAt > at && expiries.size < maxEntries) break;
        expiries.delete(oldKey);
      }
      if (expiries.has(key)) return false;
      expiries.set(key, at + ttlMs);
      return true;
    },
  };
}

/**
 * A store shared by every replica on one warehouse (table slack_request_seen): a retry that lands on
 * another replica is skipped there too. If the warehouse cannot answer, the claim falls back to
 * this process's memory (logged), so a database hiccup neither drops a request nor fails its ack.
 */
export function createWarehouseDedupeStore(db: Kysely<WarehouseSchema>, options: { logger: Logger }): RequestDedupeStore {
  const fallback = createMemoryDedupeStore();
  return {
    async claim(key, ttlMs) {
      try {
        return await claimSlackRequest(db, { requestKey: key, ttlMs });
      } catch (error) {
        options.logger.warn(
          { err: asError(error), slack_request: key },
          'could not record a Slack request in the warehouse; deduplicated in this process only',
        );
        return fallback.claim(key, ttlMs);
      }
    },
  };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const record = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * The identity of one Slack request, the same for every delivery of it: a slash command's
 * command + trigger_id, a block action's action_id + action_ts + user, a view submission's
 * view id + hash + trigger_id, a shortcut's callback_id + trigger_id, an event's event_id.
 * Undefined for requests that are safe to repeat (options, view_closed…).
 */
export function identifySlackRequest(body: unknown): string | undefined {
  const payload = record(body);
  if (!payload) return undefined;
  const team = text(payload.team_id) ?? text(record(payload.team)?.id) ?? '-';
  const command = text(payload.command);
  const triggerId = text(payload.trigger_id);
  if (command && triggerId) return `command:${team}:${command}:${triggerId}`;
  switch (payload.type) {
    case 'event_callback': {
      const eventId = text(payload.event_id);
      return eventId ? `event:${team}:${eventId}` : undefined;
    }
    case 'block_actions': {
      const action = record(Array.isArray(payload.actions) ? payload.actions[0] : undefined);
      const actionId = text(action?.action_id);
      const actionTs = text(action?.action_ts);
      const user = text(record(payload.user)?.id) ?? '-';
      return actionId && actionTs ? `action:${team}:${actionId}:${actionTs}:${user}` : undefined;
    }
    case 'view_submission': {
      const view = record(payload.view);
      const viewId = text(view?.id);
      return viewId && triggerId ? `view:${team}:${viewId}:${text(view?.hash) ?? '-'}:${triggerId}` : undefined;
    }
    case 'shortcut':
    case 'message_action': {
      const callbackId = text(payload.callback_id);
      return callbackId && triggerId ? `shortcut:${team}:${callbackId}:${triggerId}` : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Global Bolt middleware (it runs after the signature check): the first delivery of a request
 * goes on to the listeners; a repeat is acknowledged with an empty 200 and does nothing else.
 * An identity is claimed on arrival, so a retry that comes while the first delivery still runs
 * is dropped too; the cost is that a first delivery which failed is not retried.
 */
export function createDedupeMiddleware(deps: { store: RequestDedupeStore; logger: Logger; ttlMs?: number }): Middleware<AnyMiddlewareArgs> {
  const ttlMs = deps.ttlMs ?? SLACK_DEDUPE_TTL_MS;
  return async (args) => {
    const key = identifySlackRequest(args.body);
    if (key === undefined || (await deps.store.claim(key, ttlMs))) {
      await args.next();
      return;
    }
    deps.logger.info({ slack_request: key }, 'repeated Slack request acknowledged and skipped');
    if ('ack' in args && typeof args.ack === 'function') await args.ack();
  };
}
