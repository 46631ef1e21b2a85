import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteGroup } from '../router.js';

/** A Node request handler for the Slack endpoint; it reads the raw body itself (signature check). */
export type SlackRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * POST /slack/events, handed to the Slack app unread: it verifies the signature over the raw
 * bytes and answers itself. Slack signs its requests, so the API key does not apply.
 */
export function createSlackRoutes(handler: SlackRequestHandler): RouteGroup {
  return {
    name: 'slack',
    routes: [{ method: 'POST', path: '/slack/events', access: 'public', passThrough: handler }],
  };
}
