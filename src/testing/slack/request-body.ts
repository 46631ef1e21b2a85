/**
 * Request bodies as Slack's servers read them: JSON, form-encoded (with JSON-encoded nested
 * fields, as WebClient sends them) or multipart (file uploads).
 */
import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Nested arguments WebClient JSON-encodes inside form bodies. */
const JSON_ENCODED_FIELDS = ['blocks', 'attachments', 'view', 'files', 'metadata', 'unfurls'];

export interface FilePart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export interface ParsedRequest {
  body: Record<string, unknown>;
  rawBytes: Buffer;
  /** File parts of a multipart body. */
  fileParts: FilePart[];
  /** Slack's error code for a body it cannot read (`invalid_json`). */
  parseError?: string;
}

/** Reads a request body; undefined when it exceeds MAX_BODY_BYTES. */
export async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

/** Query parameters merged with the body's arguments. */
export function parseRequestBody(contentTypeHeader: string | undefined, raw: Buffer, query: URLSearchParams): ParsedRequest {
  const contentType = (contentTypeHeader ?? '').toLowerCase();
  const body: Record<string, unknown> = Object.fromEntries(query.entries());
  if (contentType.startsWith('application/json')) return parseJsonBody(body, raw);
  const fileParts: FilePart[] = [];
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) body[key] = value;
    if (typeof body.payload === 'string') body.payload = decodeJsonField(body.payload);
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader ?? '');
    const boundaryText = boundary?.[1] ?? boundary?.[2];
    if (boundaryText) {
      for (const part of parseMultipart(raw, boundaryText)) {
        if (part.filename !== undefined || (part.contentType && !part.contentType.startsWith('text/'))) fileParts.push(part);
        else body[part.name] = part.data.toString('utf8');
      }
    }
  }
  for (const field of JSON_ENCODED_FIELDS) {
    if (typeof body[field] === 'string') body[field] = decodeJsonField(body[field]);
  }
  return { body, rawBytes: raw, fileParts };
}

function parseJsonBody(body: Record<string, unknown>, raw: Buffer): ParsedRequest {
  if (raw.length === 0) return { body, rawBytes: raw, fileParts: [] };
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { body, rawBytes: raw, fileParts: [], parseError: 'invalid_json' };
    }
    return { body: { ...body, ...(value as Record<string, unknown>) }, rawBytes: raw, fileParts: [] };
  } catch {
    // Slack answers malformed JSON with an error code rather than failing the connection.
    return { body, rawBytes: raw, fileParts: [], parseError: 'invalid_json' };
  }
}

/** JSON-decodes a form field, keeping the raw string when it is not JSON (Slack then rejects it). */
function decodeJsonField(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function parseMultipart(raw: Buffer, boundary: string): FilePart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FilePart[] = [];
  let position = raw.indexOf(delimiter);
  while (position !== -1) {
    const afterDelimiter = position + delimiter.length;
    // `--boundary--` closes the body.
    if (raw.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerStart = afterDelimiter + 2; // skip CRLF
    const headerEnd = raw.indexOf('\r\n\r\n', headerStart);
    if (headerEnd === -1) break;
    const next = raw.indexOf(delimiter, headerEnd + 4);
    if (next === -1) break;
    const headerText = raw.subarray(headerStart, headerEnd).toString('utf8');
    const data = raw.subarray(headerEnd + 4, next - 2); // part data ends with CRLF before the delimiter
    const disposition = /content-disposition:[^\r\n]*/i.exec(headerText)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(headerText)?.[1]?.trim();
    parts.push({ name, filename, contentType, data: Buffer.from(data) });
    position = next;
  }
  return parts;
}
