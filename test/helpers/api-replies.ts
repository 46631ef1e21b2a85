import type { z } from 'zod';
import type { ErrorResponse, TicketScoreResponse, scoreTicketsResponseSchema } from '../../src/api/score-ticket.schema.js';

/**
 * A JSON reply of the scoring API as the tests read it: the fields of one score, of a batch and of an error side by
 * side. Each test reads the ones its request should produce; a field that is missing fails that test's expectation.
 */
export type ScoringReply = TicketScoreResponse & z.infer<typeof scoreTicketsResponseSchema> & { error: Required<ErrorResponse['error']> };

/** A JSON Schema in the OpenAPI document, as far as the tests look into one. */
export interface SchemaView {
  type?: string;
  description?: string;
  properties: Record<string, SchemaView>;
  required?: string[];
  items?: unknown;
  maxItems?: number;
}

/** One operation of the OpenAPI document, as far as the tests look into one. */
export interface OperationView {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  requestBody: { content: Record<string, { example?: unknown }> };
}

/** The served /openapi.json, as far as the tests look into it. */
export interface OpenApiDocumentView {
  openapi: string;
  paths: Record<string, Record<'get' | 'post', OperationView>>;
  components: { schemas: Record<string, SchemaView>; securitySchemes: Record<string, unknown> };
}

/** One line of the JSON log, with the fields of the HTTP access line and of a logged error. */
export interface LogEntry {
  msg?: string;
  method?: string;
  path?: string;
  status?: number;
  ms?: number;
  req_id?: string;
  req: { headers: Record<string, string | undefined> };
  err?: { stack?: string };
}
