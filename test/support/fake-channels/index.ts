/**
 * Local fake message channels that speak the HTTP the adapters in shop/src/notify follow (NHN Cloud
 * 알림톡 and SMS, Amazon SES v2 SendEmail), keep their own record of every message they took, and
 * fail on command. One server per channel, so that each channel fails on its own.
 *
 * Modes: `ok`; `down` (the port is closed: connection refused); `reject` (answered with the
 * provider's explicit rejection, nothing delivered); `stall` (the message is delivered, then no
 * answer ever: the worst case for duplicates); `accept-then-error` (delivered, then HTTP 500).
 *
 * The NHN fakes also answer the documented result look-ups (알림톡 "Get Messages", SMS "Query
 * Delivery"; see shop/src/notify/nhn.ts) as `reportMode` says when the message is taken:
 * `delivered`; `failed` (the customer did NOT get it: 알림톡 3019 "not a KakaoTalk user", SMS
 * msgStatus 0, 3001 "no subscriber"); `pending` (still in progress, forever); `stall` (the look-up never answers);
 * `error` (the look-up answers HTTP 500); `resent` (알림톡 failed and NHN resent it as SMS itself:
 * RSC04). For `pending`, `stall` and `error` the fake's truth is "delivered" (the worst case for
 * duplicates); only `failed` leaves the customer without the message (`reached: false`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeChannelMode = 'ok' | 'down' | 'reject' | 'stall' | 'accept-then-error';
export type FakeChannelKind = 'alimtalk' | 'sms' | 'email';
export type FakeReportMode = 'delivered' | 'failed' | 'pending' | 'stall' | 'error' | 'resent';

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
  /** NHN request id given in the answer (the look-up key). */
  requestId?: string;
  /** What the result look-up answers for this message. */
  report: FakeReportMode;
  /** Whether the customer got it (false only for `failed` reports). */
  reached: boolean;
}

export const FAKE_CHANNEL_SECRET = 'fake-secret-key';

export class FakeChannel {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  mode: FakeChannelMode = 'ok';
  /** What the result look-up will say of messages taken from now on. */
  reportMode: FakeReportMode = 'delivered';
  /** When set, chooses `reportMode` per message by its index among the messages taken. */
  reportFor: ((index: number) => FakeReportMode) | undefined;
  /** Messages taken (sent towards the customer), in order; see `reached`. */
  readonly delivered: FakeDelivery[] = [];
  /** Requests received, by outcome (`lookups`: result look-ups, answered or not). */
  readonly requests = { total: 0, rejected: 0, badAuth: 0, lookups: 0 };
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

  /** Notice ids whose message reached the customer on this channel. */
  reached(): Set<string> {
    return new Set(this.delivered.filter((d) => d.reached).map((d) => d.noticeId));
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
    if (req.method === 'GET' && this.kind !== 'email') return this.lookup(req, res);
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
    const requestId = randomUUID().replace(/-/g, '');
    const report = this.reportFor?.(this.delivered.length) ?? this.reportMode;
    this.delivered.push({
      channel: this.kind,
      noticeId: String(r.recipientGroupingKey),
      to: String(r.recipientNo),
      key,
      text: this.kind === 'sms' ? String(body.body) : JSON.stringify(r.templateParameter),
      at: Date.now(),
      requestId,
      report,
      reached: report !== 'failed',
    });
    if (this.mode === 'stall') return; // delivered, never answered
    if (this.mode === 'accept-then-error') return answer(res, 500, { message: 'internal error' });
    // The documented send answers: one recipient, recipientSeq 1.
    const result = {
      recipientSeq: 1,
      recipientNo: String(r.recipientNo),
      resultCode: 0,
      resultMessage: 'SUCCESS',
      recipientGroupingKey: r.recipientGroupingKey,
    };
    return answer(res, 200, {
      ...nhnHeader(true, 0, 'SUCCESS'),
      ...(this.kind === 'alimtalk'
        ? { message: { requestId, sendResults: [result] } }
        : { body: { data: { requestId, statusCode: '2', sendResultList: [result] } } }),
    });
  }

  /** 알림톡 "Get Messages" / SMS "Query Delivery" of one recipient, as `report` of the message says. */
  private lookup(req: IncomingMessage, res: ServerResponse) {
    this.requests.lookups++;
    const url = new URL(req.url ?? '/', 'http://fake');
    const m =
      this.kind === 'alimtalk'
        ? /^\/alimtalk\/v2\.3\/appkeys\/[^/]+\/messages\/([^/]+)\/(\d+)$/.exec(url.pathname)
        : /^\/sms\/v3\.0\/appKeys\/[^/]+\/sender\/sms\/([^/]+)$/.exec(url.pathname);
    const seq = this.kind === 'alimtalk' ? m?.[2] : url.searchParams.get('recipientSeq');
    if (!m || seq !== '1') return answer(res, 404, {});
    if (req.headers['x-secret-key'] !== FAKE_CHANNEL_SECRET)
      return answer(res, 401, nhnHeader(false, -1000, 'Invalid secret key'));
    const d = this.delivered.find((x) => x.requestId === m[1]);
    if (!d) return answer(res, 200, nhnHeader(false, -2019, 'Message not found'));
    if (d.report === 'stall') return; // never answered
    if (d.report === 'error') return answer(res, 500, { message: 'internal error' });
    if (this.kind === 'alimtalk') {
      const status = {
        delivered: { messageStatus: 'COMPLETED', resultCode: '1000', resendStatus: 'RSC01' },
        failed: { messageStatus: 'FAILED', resultCode: '3019', resendStatus: 'RSC01' },
        pending: { messageStatus: 'READY', resendStatus: 'RSC01' },
        resent: {
          messageStatus: 'FAILED',
          resultCode: '3019',
          resendStatus: 'RSC04',
          resendResultCode: '1000',
        },
      }[d.report];
      return answer(res, 200, {
        ...nhnHeader(true, 0, 'SUCCESS'),
        message: { requestId: d.requestId, recipientSeq: 1, recipientNo: d.to, ...status },
      });
    }
    const status = {
      delivered: { msgStatus: '3', msgStatusName: 'successful', resultCode: '1000' },
      failed: { msgStatus: '0', msgStatusName: 'failed', resultCode: '3001' },
      pending: { msgStatus: '2', msgStatusName: 'processing' },
      resent: { msgStatus: '3', msgStatusName: 'successful', resultCode: '1000' },
    }[d.report];
    return answer(res, 200, {
      ...nhnHeader(true, 0, 'SUCCESS'),
      body: { data: { requestId: d.requestId, recipientSeq: 1, recipientNo: d.to, ...status } },
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
      report: 'delivered',
      reached: true,
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
