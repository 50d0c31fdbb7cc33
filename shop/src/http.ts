/** Small HTTP helpers: bodies with a size limit, content negotiation, responses with the mode header. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MODE_HEADER } from '../../lib/contract/shop';
import { HTML_SECURITY_HEADERS } from './html';
import type { Mode } from './types';

export const MAX_BODY_BYTES = 16 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (Retry-After of a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Reads the body as parsed JSON or form fields; 413 over the limit, 400 when malformed, 415
 * otherwise. A body without a Content-Type is refused (415), never guessed to be JSON: a no-cors
 * cross-site fetch can send a body with no type, but cannot send `application/json`.
 */
export async function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    throw new HttpError(413, `Request body is larger than ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Request body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type === '' && text.trim() === '') return {};
  if (type === 'application/json' || type.endsWith('+json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'The request body is not valid JSON.');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new HttpError(400, 'The request body must be a JSON object.');
    }
    return value as Record<string, unknown>;
  }
  throw new HttpError(415, 'Send application/json or a form.');
}

/** JSON for API clients, HTML for browsers (and for form posts). */
export function wantsJson(req: IncomingMessage): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  if (accept.includes('application/json')) return true;
  if (accept.includes('text/html')) return false;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  return type.includes('json');
}

export function sendJson(
  res: ServerResponse,
  mode: Mode,
  status: number,
  body: unknown,
  extra?: Record<string, string>,
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    [MODE_HEADER]: mode,
    ...extra,
  });
  res.end(payload);
}

export function sendHtml(
  res: ServerResponse,
  mode: Mode,
  status: number,
  html: string | Buffer,
  extra?: Record<string, string>,
): void {
  res.writeHead(status, {
    ...HTML_SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': typeof html === 'string' ? Buffer.byteLength(html) : html.length,
    [MODE_HEADER]: mode,
    ...extra,
  });
  res.end(html);
}
