/** Socrata's response shapes: JSON errors `{ code, error: true, message }` and the load balancer's HTML pages. */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FakeSodaRequest } from './fake-soda.types.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A fresh `X-Socrata-RequestId`, as every real answer carries. */
export function socrataRequestId(): string {
  return randomBytes(12).toString('hex');
}

export function sendJson(
  res: ServerResponse,
  log: FakeSodaRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  log.status = status;
  res.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-socrata-requestid': socrataRequestId(),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  log: FakeSodaRequest,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, log, status, { code, error: true, message }, headers);
}

/** An nginx error page, as gateways answer (or a proxy behind a 200 that claims JSON). */
export function sendHtml(res: ServerResponse, log: FakeSodaRequest, status: number, contentType: string): void {
  const html = htmlErrorPage(status);
  log.status = status;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function htmlErrorPage(status: number): string {
  return (
    `<!DOCTYPE html>\n<html><head><title>${status} Service Unavailable</title></head>\n` +
    `<body><h1>Service temporarily unavailable</h1><p>The server is temporarily unable to service your request. ` +
    `Please try again later.</p><hr><address>nginx</address></body></html>\n`
  );
}
