/**
 * One HTTP call to a provider with a deadline, and the classification the exactly-once logic needs:
 * did the request possibly reach the provider (`sent`)? A refused connection cannot have charged
 * anyone; a timeout, a reset or a 5xx may have.
 */
import { ProviderCallError } from './types';

/** An answer from the provider (any status) with its parsed JSON body (undefined if not JSON). */
export interface ProviderAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** Connection errors that happen before any byte of the request can have been processed. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sends `init` to `url`, giving up after `timeoutMs`. Throws `ProviderCallError` for anything but
 * an HTTP answer; the caller decides what a 4xx or 5xx means for its endpoint.
 */
export async function callProvider(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown },
  timeoutMs: number,
): Promise<ProviderAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers:
        init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    throw classify(err, timeoutMs);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // Headers arrived, the body did not: the provider processed the request (or is processing it).
    throw classify(err, timeoutMs, true);
  }
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

function classify(err: unknown, timeoutMs: number, answered = false): ProviderCallError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return new ProviderCallError('timeout', true, `no answer within ${timeoutMs} ms`);
  const code = e?.cause?.code;
  if (!answered && code && NOT_SENT.has(code))
    return new ProviderCallError('connect', false, `could not connect: ${code}`);
  return new ProviderCallError('reset', true, `connection lost: ${code ?? e?.cause?.message ?? e?.message}`);
}

/** The `code` and `message` fields of an error body, if any. */
export function errorFields(
  body: Record<string, unknown> | undefined,
  codeKey = 'code',
  messageKey = 'message',
): { code: string; message: string } {
  const code = body?.[codeKey];
  const message = body?.[messageKey];
  return {
    code: typeof code === 'string' || typeof code === 'number' ? String(code) : 'UNKNOWN',
    message: typeof message === 'string' ? message : '',
  };
}
