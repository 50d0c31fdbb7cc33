import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cacheControlFor, contentTypeFor } from '../../outage-page/render';

/** The policy CloudFront sends with the outage page (response headers policy of the edge stack). */
export const OUTAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * What `/status.json` answers: a body (200 unless `code` says otherwise; after `delayMs`, as on a slow
 * network, so that it lands after the first paint), a bare error status, or `cloudfront404`: what the
 * distribution sends for a missing object (index.html with a 503).
 */
export type StatusReply =
  | { body: string; code?: number; contentType?: string; delayMs?: number }
  | { code: 403 | 404 }
  | 'cloudfront404';

export interface OutageServer {
  readonly origin: string;
  /** Every path requested, in order. */
  readonly requests: string[];
  /** Replace what `/status.json` answers from now on. */
  setStatus(reply: StatusReply): void;
  /** Delay (ms) before answering the page's script, as on a slow phone network; 0 by default. */
  setScriptDelay(ms: number): void;
  /** How many times `/status.json` was requested so far. */
  statusReads(): number;
  close(): Promise<void>;
}

/**
 * Serves rendered outage page files like the bucket behind CloudFront (lib/edge/outage-site.ts):
 * `/` is index.html; any other unknown path gets index.html with a 503 (the distribution's error
 * response, the failover answer for deep links); `/status.json` answers what `setStatus` says.
 */
export async function startOutageServer(files: Record<string, string>): Promise<OutageServer> {
  const requests: string[] = [];
  let status: StatusReply = { code: 404 };
  let scriptDelayMs = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    const headers: http.OutgoingHttpHeaders = {
      'content-security-policy': OUTAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (url.pathname === '/status.json' && status !== 'cloudfront404') {
      if ('body' in status) {
        const reply = status;
        const send = () => {
          res.writeHead(reply.code ?? 200, {
            ...headers,
            'content-type': reply.contentType ?? contentTypeFor('status.json'),
            'cache-control': 'no-store',
          });
          res.end(reply.body);
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      } else {
        res.writeHead(status.code, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
        res.end('no notice');
      }
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const found = Object.prototype.hasOwnProperty.call(files, name);
    const file = found ? name : 'index.html';
    const send = () => {
      res.writeHead(found ? 200 : 503, {
        ...headers,
        'content-type': contentTypeFor(file),
        'cache-control': cacheControlFor(file),
      });
      res.end(req.method === 'HEAD' ? undefined : files[file]);
    };
    if (file.endsWith('.js') && scriptDelayMs > 0) setTimeout(send, scriptDelayMs);
    else send();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    setStatus: (reply) => {
      status = reply;
    },
    setScriptDelay: (ms) => {
      scriptDelayMs = ms;
    },
    statusReads: () => requests.filter((p) => p === '/status.json').length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
