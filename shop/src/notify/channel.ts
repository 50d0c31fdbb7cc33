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
  /** What the channel's {@link Channel.checkDelivery} needs to look the message up later. */
  providerRef?: string;
}

/**
 * What a provider's result look-up says about a message it accepted. `pending`: no final result
 * yet (still being delivered, or a result the provider itself calls uncertain); the dispatcher
 * asks again until the report deadline, after which the delivery counts as unknown, never as
 * delivered. `code` is the provider's result code, kept with the attempt.
 */
export type DeliveryReport =
  | { state: 'delivered'; code?: string }
  | { state: 'failed'; code: string }
  | { state: 'pending'; code?: string };

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
  /**
   * Looks up the delivery result of an accepted send by its receipt's `providerRef`. Absent: the
   * channel offers no look-up and "accepted" is final for it (SES, see ./ses.ts). Throws on a
   * failed look-up (the dispatcher's report breaker counts it; the result stays pending).
   */
  checkDelivery?(providerRef: string, signal: AbortSignal): Promise<DeliveryReport>;
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
