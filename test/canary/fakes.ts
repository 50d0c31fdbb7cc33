/**
 * Real HTTP servers on 127.0.0.1 (random ports) that play a shop and the outage page, with
 * switchable behaviours, plus helpers to capture the EMF and log lines the handler prints.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTH_MARKER, MODE_HEADER, PAGE_MARKER, SYNTHETIC_HEADER } from '../../lib/contract/shop';

export type ShopStep = 'home' | 'product' | 'cart' | 'checkout' | 'healthz';

export interface ShopBehaviour {
  /** Answer 500 at this step. */
  fail?: ShopStep;
  /** Never answer at this step (the socket stays open). */
  hang?: ShopStep;
  /** Answer after this many ms at `slow`. */
  slow?: { step: ShopStep; ms: number };
  /** Answer 200 without the content marker at this step. */
  noMarker?: ShopStep;
  /** Read-only mode: cart and checkout answer 503 with alternatives (or without, if 'no-alternatives'). */
  readOnly?: boolean | 'no-alternatives';
  /** `GET /` redirects: once to /home, or in a loop /loop-a <-> /loop-b. */
  redirect?: 'once' | 'loop';
  /** Checkout ignores the synthetic header and "places" an order. */
  ignoreSynthetic?: boolean;
  /** `GET /payments/health` answers this verdict (absent: 404, a shop without payments). */
  payments?: 'ok' | 'degraded' | 'all-online-down';
}

export interface OutageBehaviour {
  page?: 'ok' | 'no-marker' | 'error';
  status?: 'none' | 'forbidden' | 'page-503' | 'other-503' | 'valid' | 'invalid' | 'not-json' | 'error';
}

export interface FakeServer<B> {
  url: string;
  behaviour: B;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  close(): Promise<void>;
}

async function listen<B>(
  behaviour: B,
  handle: (req: IncomingMessage, body: string, res: ServerResponse, b: B) => void,
): Promise<FakeServer<B>> {
  const requests: string[] = [];
  const fake = { behaviour, requests } as FakeServer<B>;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      handle(req, body, res, fake.behaviour);
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    'content-type': body.startsWith('{') ? 'application/json' : 'text/html',
    ...headers,
  });
  res.end(body);
};

export const ALTERNATIVES = {
  phone: '+82-2-555-0100',
  paymentAlternatives: ['bank transfer'],
  messengers: [],
  email: 'help@example.com',
};

export function startShop(behaviour: ShopBehaviour = {}): Promise<FakeServer<ShopBehaviour>> {
  return listen(behaviour, (req, body, res, b) => {
    const url = req.url ?? '/';
    const mode = b.readOnly ? 'read-only' : 'read-write';
    const page = (step: ShopStep, html: string) => {
      const marked = b.noMarker === step ? html : `<main ${PAGE_MARKER}="${step}">${html}</main>`;
      return `<!doctype html><html><body>${marked}</body></html>`;
    };
    let step: ShopStep | undefined;
    if (req.method === 'GET' && (url === '/' || url === '/home')) step = 'home';
    else if (req.method === 'GET' && url.startsWith('/products/')) step = 'product';
    else if (req.method === 'POST' && url === '/cart') step = 'cart';
    else if (req.method === 'POST' && url === '/checkout') step = 'checkout';
    else if (req.method === 'GET' && url === '/healthz') step = 'healthz';

    if (req.method === 'GET' && url === '/' && b.redirect === 'once')
      return send(res, 302, '', { location: '/home' });
    if (req.method === 'GET' && (url === '/' || url === '/loop-a') && b.redirect === 'loop')
      return send(res, 302, '', { location: '/loop-b' });
    if (req.method === 'GET' && url === '/loop-b') return send(res, 301, '', { location: '/loop-a' });
    if (req.method === 'GET' && url === '/payments/health' && b.payments)
      return send(
        res,
        200,
        JSON.stringify({
          status: b.payments,
          onlineMethodsAvailable: b.payments === 'all-online-down' ? 0 : 1,
        }),
      );
    if (!step) return send(res, 404, page('home', 'not found'), { [MODE_HEADER]: mode });
    if (b.hang === step) return; // never answer
    const answer = () => {
      if (b.fail === step) return send(res, 500, '<html>Internal Server Error</html>');
      const h = { [MODE_HEADER]: mode };
      switch (step) {
        case 'home':
          return send(
            res,
            200,
            page(
              'home',
              '<a href="/products/p-42" data-product-id="p-42">Tea</a><a href="/products/p-7" data-product-id="p-7">Cup</a>',
            ),
            h,
          );
        case 'product':
          return url === '/products/p-42'
            ? send(res, 200, page('product', 'Tea 12,000 KRW'), h)
            : send(res, 404, page('product', 'no such product'), h);
        case 'cart':
        case 'checkout': {
          if (b.readOnly) {
            const alt = b.readOnly === 'no-alternatives' ? {} : ALTERNATIVES;
            return send(res, 503, JSON.stringify({ error: 'read-only', alternatives: alt }), h);
          }
          const input = JSON.parse(body) as { productId?: string; cartId?: string };
          if (step === 'cart') {
            if (input.productId !== 'p-42') return send(res, 400, '{"error":"bad product"}', h);
            if (b.noMarker === 'cart') return send(res, 201, '{"items":[]}', h);
            return send(
              res,
              201,
              JSON.stringify({ cartId: 'c-1', items: [{ productId: 'p-42', quantity: 1 }] }),
              h,
            );
          }
          if (input.cartId !== 'c-1') return send(res, 400, '{"error":"bad cart"}', h);
          if (req.headers[SYNTHETIC_HEADER] !== '1' || b.ignoreSynthetic)
            return send(res, 201, '{"orderId":"o-1","status":"placed"}', h);
          if (b.noMarker === 'checkout') return send(res, 200, '{"status":"placed"}', h);
          return send(res, 200, '{"status":"synthetic-ok","orderId":null}', h);
        }
        case 'healthz':
          return b.noMarker === 'healthz'
            ? send(res, 503, '{"status":"degraded"}', h)
            : send(res, 200, JSON.stringify({ status: 'ok', mode, marker: HEALTH_MARKER }), h);
      }
    };
    if (b.slow?.step === step) setTimeout(answer, b.slow.ms);
    else answer();
  });
}

export const VALID_STATUS = {
  severity: 'major',
  message: { ko: '주문이 일시 중단되었습니다.', en: 'Ordering is paused.' },
  updatedAt: '2025-03-01T09:30:00Z',
  nextUpdateAt: '2025-03-01T10:00:00.000Z',
  // Optional since the first version: the canary's outage journey must accept it.
  expectedBackAt: '2025-03-01T12:00:00.000Z',
  regions: { 'ap-northeast-2': 'down', 'ap-northeast-1': 'operational' },
};

export function startOutage(behaviour: OutageBehaviour = {}): Promise<FakeServer<OutageBehaviour>> {
  return listen(behaviour, (req, _body, res, b) => {
    if (req.url === '/') {
      if (b.page === 'error') return send(res, 500, '<html>error</html>');
      const marker = b.page === 'no-marker' ? '' : ' data-outage-page';
      return send(
        res,
        200,
        `<!doctype html><html lang="ko"><body${marker}><h1>잠시 문제가 있습니다</h1></body></html>`,
      );
    }
    if (req.url === '/status.json') {
      switch (b.status ?? 'none') {
        case 'none':
          return send(res, 404, '<html>not found</html>');
        case 'forbidden':
          return send(res, 403, '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>');
        case 'page-503':
          // CloudFront's error response: the outage page itself, served with 503.
          return send(res, 503, '<!doctype html><html><body data-outage-page>page</body></html>');
        case 'other-503':
          return send(res, 503, '<html>service unavailable</html>');
        case 'valid':
          return send(res, 200, JSON.stringify(VALID_STATUS));
        case 'invalid':
          return send(res, 200, JSON.stringify({ ...VALID_STATUS, severity: 'catastrophic' }));
        case 'not-json':
          return send(res, 200, '<html>status</html>');
        case 'error':
          return send(res, 502, '<html>bad gateway</html>');
      }
    }
    return send(res, 404, 'not found');
  });
}

/** A URL on which nothing listens (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const s = await listen({}, () => undefined);
  await s.close();
  return s.url;
}

export interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** Captures what Powertools writes to stdout/stderr (its own `Console` on the real streams). */
export function captureOutput() {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(l);
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab);
  const json = () =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    lines,
    emf: () => json().filter((j): j is EmfLine => typeof j._aws === 'object'),
    logs: () => json().filter((j) => !('_aws' in j)),
    restore() {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** Flattens EMF lines into one record per metric value: {name, unit, value, dims}. */
export function emfMetrics(lines: EmfLine[]) {
  return lines.flatMap((l) =>
    l._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        namespace: d.Namespace,
        name: m.Name,
        unit: m.Unit,
        value: l[m.Name] as number,
        dimensionSets: d.Dimensions,
        dims: Object.fromEntries(d.Dimensions.flat().map((k) => [k, l[k] as string])),
      })),
    ),
  );
}
