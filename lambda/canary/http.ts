/** One logical request of a step: redirects followed by hand (capped), body read with a size cap. */

export type FetchFn = typeof globalThis.fetch;

/** A step failure with a short, log- and test-friendly reason. */
export class StepFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'StepFailure';
  }
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** URL of the final response, after redirects. */
  url: string;
  /** Body text, at most `MAX_BODY_BYTES` (pages larger than that are only checked in their start). */
  body: string;
}

export interface RequestInput {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  json?: unknown;
}

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Requests `url`, following at most `maxRedirects` redirects (the fetch default of 20 is too many
 * for a canary and hides loops). 303, and 301/302 after a POST, continue as GET as browsers do.
 */
export async function request(
  fetchFn: FetchFn,
  url: string,
  input: RequestInput,
  signal: AbortSignal,
  maxRedirects: number,
): Promise<HttpResponse> {
  let method: string = input.method ?? 'GET';
  const headers: Record<string, string> = { 'user-agent': 'resilient-shop-canary/1', ...input.headers };
  let body: string | undefined;
  if (input.json !== undefined) {
    body = JSON.stringify(input.json);
    headers['content-type'] = 'application/json';
  }
  let current = new URL(url);
  const seen = new Set([`${method} ${current.href}`]);
  for (let hop = 0; ; hop++) {
    const res = await fetchFn(current.href, { method, headers, body, redirect: 'manual', signal });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || location === null) {
      return { status: res.status, headers: res.headers, url: current.href, body: await readCapped(res) };
    }
    await res.body?.cancel().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new StepFailure(`invalid redirect location ${JSON.stringify(location)}`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new StepFailure(`redirect to ${next.protocol}`);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      delete headers['content-type'];
    }
    const key = `${method} ${next.href}`;
    if (seen.has(key)) throw new StepFailure(`redirect loop at ${next.href}`);
    if (hop >= maxRedirects) throw new StepFailure(`too many redirects (more than ${maxRedirects})`);
    seen.add(key);
    current = next;
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total >= MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES));
}

/** Short reason for an error thrown inside a step. */
export function reasonOf(
  err: unknown,
  stepSignal: AbortSignal,
  deadline: AbortSignal,
  stepTimeoutMs: number,
): string {
  if (err instanceof StepFailure) return err.reason;
  if (deadline.aborted) return 'deadline';
  if (stepSignal.aborted) return `timeout (${stepTimeoutMs} ms)`;
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return `network error: ${detail}`;
}
