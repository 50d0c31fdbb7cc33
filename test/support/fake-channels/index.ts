/**
 * Local fake message channels that speak the HTTP the adapters in shop/src/notify follow (NHN Cloud
 * 알림톡 and SMS, Amazon SES v2 SendEmail), keep their own record of every message they took, and
 * fail on command. One server per channel, so that each channel fails on its own.
 *
 * Modes: `ok`; `down` (the port is closed: connection refused); `reject` (answered with the
 * provider's explicit rejection, nothing delivered); `stall` (the message is delivered, then no
 * answer ever: the worst case for duplicates); `accept-then-error` (delivered, then HTTP 500).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeChannelMode = 'ok' | 'down' | 'reject' | 'stall' | 'accept-then-error';
export type FakeChannelKind = 'alimtalk' | 'sms' | 'email';

/** One message the fake delivered to a customer. */
export interface FakeDelivery {
  channel: FakeChannelKind;
  /** The shop's notice id (NHN recipientGroupingKey / SES EmailTags "notice"). */
  noticeId: string;
  to: string;
  /** X-NC-API-IDEMPOTENCY-KEY (알림톡) or the "attempt" tag (e-mail). */
  key?: string;
  text: string;
  at: number;
}

export const FAKE_CHANNEL_SECRET = 'fake-secret-key';

export class FakeChannel {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  mode: FakeChannelMode = 'ok';
  /** Messages delivered, in order. */
  readonly delivered: FakeDelivery[] = [];
  /** Requests received, by outcome. */
  readonly requests = { total: 0, rejected: 0, badAuth: 0 };
  /** NHN: idempotency keys seen in the last 10 minutes (a repeat is failed, as the docs say). */
  private readonly keys = new Set<string>();

  constructor(readonly kind: FakeChannelKind) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await listen(this.server, 0);
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Changes the failure mode; `down` closes the port, leaving it reopens it on the same port. */
  async setMode(mode: FakeChannelMode): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'down' && was !== 'down') {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((r) => this.server.close(() => r()));
    } else if (mode !== 'down' && was === 'down') {
      await listen(this.server, this.port);
    }
  }

  /** Deliveries per notice id (a value above 1 is a duplicate on this channel). */
  perNotice(): Map<string, number> {
    const m = new Map<string, number>();
    for (const d of this.delivered) m.set(d.noticeId, (m.get(d.noticeId) ?? 0) + 1);
    return m;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.mode !== 'down') await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests.total++;
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(res, 400, { message: 'bad json' });
    }
    if (this.kind === 'email') return this.ses(req, res, body);
    return this.nhn(req, res, body);
  }

  private nhn(req: IncomingMessage, res: ServerResponse, body: any) {
    const path =
      this.kind === 'alimtalk'
        ? /^\/alimtalk\/v2\.3\/appkeys\/[^/]+\/messages$/
        : /^\/sms\/v3\.0\/appKeys\/[^/]+\/sender\/sms$/;
    if (req.method !== 'POST' || !path.test(req.url ?? '')) return answer(res, 404, {});
    if (req.headers['x-secret-key'] !== FAKE_CHANNEL_SECRET) {
      this.requests.badAuth++;
      return answer(res, 401, nhnHeader(false, -1000, 'Invalid secret key'));
    }
    if (this.mode === 'reject') {
      this.requests.rejected++;
      return answer(res, 200, nhnHeader(false, -9999, 'Temporary failure'));
    }
    const key = req.headers['x-nc-api-idempotency-key'] as string | undefined;
    if (key && this.keys.has(key)) {
      this.requests.rejected++;
      return answer(res, 200, nhnHeader(false, -4000, 'Duplicate idempotency key'));
    }
    if (key) this.keys.add(key);
    const r = body.recipientList?.[0] ?? {};
    this.delivered.push({
      channel: this.kind,
      noticeId: String(r.recipientGroupingKey),
      to: String(r.recipientNo),
      key,
      text: this.kind === 'sms' ? String(body.body) : JSON.stringify(r.templateParameter),
      at: Date.now(),
    });
    if (this.mode === 'stall') return; // delivered, never answered
    if (this.mode === 'accept-then-error') return answer(res, 500, { message: 'internal error' });
    const requestId = randomUUID();
    return answer(res, 200, {
      ...nhnHeader(true, 0, 'SUCCESS'),
      ...(this.kind === 'alimtalk' ? { message: { requestId } } : { body: { data: { requestId } } }),
    });
  }

  private ses(req: IncomingMessage, res: ServerResponse, body: any) {
    if (req.method !== 'POST' || req.url !== '/v2/email/outbound-emails') return answer(res, 404, {});
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
      this.requests.badAuth++;
      return answer(
        res,
        403,
        { message: 'missing signature' },
        { 'x-amzn-errortype': 'AccessDeniedException' },
      );
    }
    if (this.mode === 'reject') {
      this.requests.rejected++;
      return answer(
        res,
        400,
        { message: 'Email address is not verified.' },
        { 'x-amzn-errortype': 'MessageRejected' },
      );
    }
    const tag = (name: string) => (body.EmailTags ?? []).find((t: any) => t.Name === name)?.Value;
    this.delivered.push({
      channel: 'email',
      noticeId: String(tag('notice')),
      to: String(body.Destination?.ToAddresses?.[0]),
      key: tag('attempt'),
      text: String(body.Content?.Simple?.Body?.Text?.Data),
      at: Date.now(),
    });
    if (this.mode === 'stall') return;
    if (this.mode === 'accept-then-error')
      return answer(res, 500, { message: 'internal' }, { 'x-amzn-errortype': 'InternalFailure' });
    return answer(res, 200, { MessageId: `fake-${randomUUID()}` });
  }
}

/** The three fakes, started. */
export async function startFakeChannels(): Promise<Record<FakeChannelKind, FakeChannel>> {
  const [alimtalk, sms, email] = await Promise.all(
    (['alimtalk', 'sms', 'email'] as const).map((k) => new FakeChannel(k).start()),
  );
  return { alimtalk, sms, email };
}

function nhnHeader(ok: boolean, code: number, message: string) {
  return { header: { isSuccessful: ok, resultCode: code, resultMessage: message } };
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
