import type { Scorer } from '../../model/scorer.js';
import { parseWithSchema } from '../http-errors.js';
import { parseJsonBody, readBody, requireJsonContentType } from '../request-body.js';
import { jsonReply, type RouteGroup } from '../router.js';
import { formatTicketScore, toTicketToScore } from '../score-ticket.mapping.js';
import { scoreTicketRequestSchema, scoreTicketsRequestSchema } from '../score-ticket.schema.js';

export interface ScoreRoutesDeps {
  scorer: Scorer;
  cityTimeZone: string;
  maxBodyBytes: number;
  maxBatchBodyBytes: number;
}

/** POST /score_ticket and POST /score_tickets, behind the API key when one is set. */
export function createScoreRoutes(deps: ScoreRoutesDeps): RouteGroup {
  const { scorer, cityTimeZone } = deps;
  return {
    name: 'score',
    routes: [
      {
        method: 'POST',
        path: '/score_ticket',
        access: 'api-key',
        async handle({ req }) {
          requireJsonContentType(req);
          const body = parseWithSchema(scoreTicketRequestSchema, parseJsonBody(await readBody(req, deps.maxBodyBytes)));
          const score = await scorer.scoreTicket(toTicketToScore(body, cityTimeZone));
          return jsonReply(200, formatTicketScore(score));
        },
      },
      {
        method: 'POST',
        path: '/score_tickets',
        access: 'api-key',
        async handle({ req }) {
          requireJsonContentType(req);
          const body = parseWithSchema(scoreTicketsRequestSchema, parseJsonBody(await readBody(req, deps.maxBatchBodyBytes)));
          const tickets = body.tickets.map((ticket, index) => toTicketToScore(ticket, cityTimeZone, `tickets.${index}.created_at`));
          const scores = await scorer.scoreTickets(tickets);
          return jsonReply(200, {
            count: scores.length,
            model_version: scores[0]?.modelVersion ?? scorer.currentModelVersion() ?? '',
            results: scores.map(formatTicketScore),
          });
        },
      },
    ],
  };
}
