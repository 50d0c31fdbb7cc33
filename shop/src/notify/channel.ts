/** The channel port: one way of reaching a customer (알림톡, SMS, e-mail), and how a send can end. */
import type { Language } from '../i18n';
import type { NoticeDetail, NoticeKind } from './outbox';

export const CHANNELS = ['alimtalk', 'sms', 'email'] as const;
export type ChannelId = (typeof CHANNELS)[number];

/** One message to one customer. */
export interface OutgoingMessage {
  noticeId: string;
  orderId: string;
  kind: NoticeKind;
  detail: NoticeDetail;
  lang: Language;
  phone?: string;
  email?: string;
  /** Unique per (notice, channel) try; sent as the provider's idempotency key where it has one. */
  attemptId: string;
}

/** A send the provider accepted. */
export interface SendReceipt {
  providerRef?: string;
}

/**
 * Why a send failed. `delivered: 'no'`: the provider certainly did not take it (connection refused,
 * an explicit rejection, breaker open): the same channel may be tried again later. `'maybe'`: the
 * request went out and no clear answer came back (timeout, reset, 5xx after accepting): the channel
 * is spent for this notice and never tried again for it.
 */
export class ChannelError extends Error {
  constructor(
    readonly channel: ChannelId,
    readonly delivered: 'no' | 'maybe',
    message: string,
  ) {
    super(message);
  }
}

/** A channel adapter. `signal` aborts the call at the channel's deadline. */
export interface Channel {
  readonly id: ChannelId;
  /** True if the message has the address this channel needs. */
  canReach(m: Pick<OutgoingMessage, 'phone' | 'email'>): boolean;
  send(m: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt>;
}

/**
 * Turns a fetch failure into a ChannelError: a refused connection or DNS failure never reached the
 * provider; anything else after the request left (abort at the deadline, reset) may have.
 */
export function fetchFailure(channel: ChannelId, err: unknown): ChannelError {
  if (err instanceof ChannelError) return err;
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code))
    return new ChannelError(channel, 'no', `${channel}: ${code}`);
  return new ChannelError(channel, 'maybe', `${channel}: ${(err as Error).message ?? String(err)}`);
}
