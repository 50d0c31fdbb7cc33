/**
 * NHN Cloud Notification adapters: KakaoTalk Bizmessage 알림톡 (AlimTalk API v2.3) and SMS (API v3.0).
 *
 * AlimTalk: `POST {baseUrl}/alimtalk/v2.3/appkeys/{appkey}/messages`, header `X-Secret-Key`, body
 * `{senderKey, templateCode, recipientList: [{recipientNo, templateParameter}]}`; the optional header
 * `X-NC-API-IDEMPOTENCY-KEY` makes the provider fail a repeat of the same key within 10 minutes.
 * https://docs.nhncloud.com/en/Notification/KakaoTalk%20Bizmessage/en/alimtalk-api-guide/
 *
 * SMS: `POST {baseUrl}/sms/v3.0/appKeys/{appKey}/sender/sms`, header `X-Secret-Key`, body
 * `{body, sendNo, recipientList: [{recipientNo}]}` (NHN Cloud SMS API guide,
 * https://docs.nhncloud.com/en/Notification/SMS/en/api-guide/). That guide documents no idempotency
 * header, so the SMS adapter relies on the dispatcher's "never twice on one channel" alone.
 *
 * Both answer `{header: {isSuccessful, resultCode, resultMessage}, ...}`; `isSuccessful: false` is
 * an explicit rejection (not delivered); a 5xx or no answer may have been accepted.
 *
 * Delivery results (an accepted send is not a delivered one): the receipt's `providerRef` is
 * `{requestId}/{recipientSeq}` from the send answer, and `checkDelivery` reads the provider's
 * per-recipient result.
 * - 알림톡 "Get Messages" `GET /alimtalk/v2.3/appkeys/{appkey}/messages/{requestId}/{recipientSeq}`:
 *   `message.messageStatus` (COMPLETED, FAILED, CANCEL), `message.resultCode` (result of receiving;
 *   1000 = success, 3005 = "sent but not confirmed", 3018/3019/3020 = not an active KakaoTalk user,
 *   not a KakaoTalk user, blocked), `message.resendStatus` (RSC01 no resend ... RSC04 resent as
 *   SMS/LMS successfully, RSC05 resend failed: NHN's own SMS fallback when the sender profile has it
 *   switched on in the console). Guide, "Get Messages" and "Status Code of SMS/LMS Resending":
 *   https://docs.nhncloud.com/en/Notification/KakaoTalk%20Bizmessage/en/alimtalk-api-guide/ ;
 *   result codes: https://docs.nhncloud.com/en/Notification/KakaoTalk%20Bizmessage/en/error-code/
 *   (source: github.com/TOAST-DOCS/Alimtalk en/alimtalk-api-guide.md, en/error-code.md).
 * - SMS "Query Delivery of Short SMS" `GET /sms/v3.0/appKeys/{appKey}/sender/sms/{requestId}?recipientSeq=`:
 *   `body.data.msgStatus` (0 failed, 1 requesting, 2 processing, 3 successful, 4 cancelled,
 *   5 duplicate delivery, 6 failed (ad restricted), 7 waiting for resending) and
 *   `body.data.resultCode` (result of receiving; 1000 = success):
 *   https://docs.nhncloud.com/en/Notification/SMS/en/api-guide/ and
 *   https://docs.nhncloud.com/en/Notification/SMS/en/error-code/ (source: github.com/TOAST-DOCS/SMS
 *   en/api-guide.md, en/error-code.md).
 * The docs promise no time by which a result is final (3005 may still arrive within 3 days), so
 * the dispatcher gives up at its report deadline and counts the delivery as unknown.
 */
import type { Channel, ChannelId, DeliveryReport, OutgoingMessage, SendReceipt } from './channel';
import { ChannelError, fetchFailure } from './channel';
import type { NoticeKind } from './outbox';
import { renderNotice } from './texts';

/** Reads the channel's secret key (Secrets Manager JSON `{"secretKey": "…"}` in production). */
export type SecretKeyReader = () => Promise<string>;

/** Settings of the NHN Cloud 알림톡 adapter. */
export interface NhnAlimtalkSettings {
  baseUrl: string;
  appKey: string;
  senderKey: string;
  /** Approved template code per notice kind (알림톡 sends only templates Kakao reviewed). */
  templates: Partial<Record<NoticeKind, string>>;
}

/** Settings of the NHN Cloud SMS adapter. */
export interface NhnSmsSettings {
  baseUrl: string;
  appKey: string;
  /** Registered sender number (digits). */
  sendNo: string;
}

interface NhnRecipientResult {
  recipientSeq?: number;
  resultCode?: number;
  resultMessage?: string;
}

interface NhnAnswer {
  header?: { isSuccessful?: boolean; resultCode?: number; resultMessage?: string };
  /** 알림톡. */
  message?: { requestId?: string; sendResults?: NhnRecipientResult[] };
  /** SMS. */
  body?: { data?: { requestId?: string; sendResultList?: NhnRecipientResult[] } };
}

async function post(
  channel: ChannelId,
  url: string,
  secretKey: string,
  body: unknown,
  signal: AbortSignal,
  extraHeaders: Record<string, string> = {},
): Promise<SendReceipt> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json;charset=UTF-8',
        'X-Secret-Key': secretKey,
        ...extraHeaders,
      },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    throw fetchFailure(channel, err);
  }
  let answer: NhnAnswer | undefined;
  try {
    answer = (await res.json()) as NhnAnswer;
  } catch (err) {
    if (res.status >= 400 && res.status < 500)
      throw new ChannelError(channel, 'no', `${channel}: HTTP ${res.status}`);
    throw fetchFailure(channel, err);
  }
  if (res.status >= 500) throw new ChannelError(channel, 'maybe', `${channel}: HTTP ${res.status}`);
  if (res.status >= 400 || answer?.header?.isSuccessful !== true)
    throw new ChannelError(
      channel,
      'no',
      `${channel}: rejected (HTTP ${res.status}, ${answer?.header?.resultCode} ${answer?.header?.resultMessage ?? ''})`,
    );
  const requestId = answer.message?.requestId ?? answer.body?.data?.requestId;
  const recipient = (answer.message?.sendResults ?? answer.body?.data?.sendResultList)?.[0];
  // One recipient per request: a non-zero recipient result is NHN refusing that recipient.
  if (recipient?.resultCode !== undefined && recipient.resultCode !== 0)
    throw new ChannelError(
      channel,
      'no',
      `${channel}: recipient rejected (${recipient.resultCode} ${recipient.resultMessage ?? ''})`,
    );
  return {
    providerRef: requestId ? `${requestId}/${recipient?.recipientSeq ?? 1}` : undefined,
  };
}

/** `{requestId}/{recipientSeq}` of a receipt. */
function splitRef(ref: string): { requestId: string; recipientSeq: string } {
  const i = ref.lastIndexOf('/');
  if (i <= 0) throw new Error(`not an NHN message reference: ${ref}`);
  return { requestId: ref.slice(0, i), recipientSeq: ref.slice(i + 1) };
}

/** GET a result look-up; any failure (transport, HTTP, `isSuccessful: false`) throws. */
async function lookUp<T>(
  channel: ChannelId,
  url: string,
  secretKey: string,
  signal: AbortSignal,
): Promise<T> {
  const res = await fetch(url, {
    headers: { 'content-type': 'application/json;charset=UTF-8', 'X-Secret-Key': secretKey },
    signal,
  });
  const answer = (await res.json().catch(() => undefined)) as (NhnAnswer & T) | undefined;
  if (res.status !== 200 || answer?.header?.isSuccessful !== true)
    throw new Error(
      `${channel} look-up: HTTP ${res.status} ${answer?.header?.resultCode ?? ''} ${answer?.header?.resultMessage ?? ''}`.trim(),
    );
  return answer;
}

/** The 알림톡 "Get Messages" answer's `message`, reduced to what decides delivery. */
export interface AlimtalkResult {
  messageStatus?: string;
  resultCode?: string;
  resendStatus?: string;
  resendResultCode?: string;
}

/** What a 알림톡 result means for the customer (see the header comment for the codes). */
export function alimtalkDelivery(m: AlimtalkResult): DeliveryReport {
  // NHN resent it by SMS itself (console setting): that SMS decides, not the 알림톡 result.
  if (m.resendStatus === 'RSC04')
    return { state: 'delivered', code: `RSC04 ${m.resendResultCode ?? ''}`.trim() };
  if (m.resendStatus === 'RSC05')
    return {
      state: 'failed',
      code: `${m.resultCode ?? m.messageStatus} RSC05 ${m.resendResultCode ?? ''}`.trim(),
    };
  if (m.resendStatus === 'RSC02' || m.resendStatus === 'RSC03')
    return { state: 'pending', code: m.resendStatus };
  if (m.messageStatus === 'COMPLETED' && m.resultCode === '1000') return { state: 'delivered', code: '1000' };
  // "Message sent but not confirmed (success uncertain ...)": not delivered as far as we know.
  if (m.resultCode === '3005') return { state: 'pending', code: '3005' };
  if (
    m.messageStatus === 'FAILED' ||
    m.messageStatus === 'CANCEL' ||
    (m.messageStatus === 'COMPLETED' && m.resultCode)
  )
    return { state: 'failed', code: m.resultCode ?? m.messageStatus };
  return { state: 'pending', code: m.messageStatus };
}

/** The SMS "Query Delivery" answer's `body.data`, reduced to what decides delivery. */
export interface SmsResult {
  msgStatus?: string;
  resultCode?: string;
}

const SMS_FAILED = ['0', '4', '5', '6'];

/** What an SMS result means for the customer (see the header comment for the codes). */
export function smsDelivery(d: SmsResult): DeliveryReport {
  if (d.resultCode === '1000') return { state: 'delivered', code: '1000' };
  if (SMS_FAILED.includes(d.msgStatus ?? '') || (d.msgStatus === '3' && d.resultCode))
    return { state: 'failed', code: d.resultCode ?? `msgStatus ${d.msgStatus}` };
  return { state: 'pending', code: d.msgStatus === undefined ? undefined : `msgStatus ${d.msgStatus}` };
}

/** 알림톡 through NHN Cloud; needs a phone number and a template for the notice's kind. */
export class NhnAlimtalk implements Channel {
  readonly id = 'alimtalk' as const;
  constructor(
    private readonly s: NhnAlimtalkSettings,
    private readonly secretKey: SecretKeyReader,
  ) {}

  canReach(m: Pick<OutgoingMessage, 'phone'>): boolean {
    return Boolean(m.phone);
  }

  async send(m: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt> {
    const templateCode = this.s.templates[m.kind];
    if (!templateCode) throw new ChannelError(this.id, 'no', `alimtalk: no template for ${m.kind}`);
    const text = renderNotice(m.kind, m.orderId, m.detail, m.lang);
    const url = `${this.s.baseUrl}/alimtalk/v2.3/appkeys/${encodeURIComponent(this.s.appKey)}/messages`;
    return post(
      this.id,
      url,
      await this.secretKey(),
      {
        senderKey: this.s.senderKey,
        templateCode,
        recipientList: [
          { recipientNo: m.phone, templateParameter: text.variables, recipientGroupingKey: m.noticeId },
        ],
      },
      signal,
      { 'X-NC-API-IDEMPOTENCY-KEY': m.attemptId },
    );
  }

  async checkDelivery(providerRef: string, signal: AbortSignal): Promise<DeliveryReport> {
    const { requestId, recipientSeq } = splitRef(providerRef);
    const url = `${this.s.baseUrl}/alimtalk/v2.3/appkeys/${encodeURIComponent(this.s.appKey)}/messages/${encodeURIComponent(requestId)}/${encodeURIComponent(recipientSeq)}`;
    const answer = await lookUp<{ message?: AlimtalkResult }>(this.id, url, await this.secretKey(), signal);
    return alimtalkDelivery(answer.message ?? {});
  }
}

/** SMS through NHN Cloud; needs a phone number. */
export class NhnSms implements Channel {
  readonly id = 'sms' as const;
  constructor(
    private readonly s: NhnSmsSettings,
    private readonly secretKey: SecretKeyReader,
  ) {}

  canReach(m: Pick<OutgoingMessage, 'phone'>): boolean {
    return Boolean(m.phone);
  }

  async send(m: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt> {
    const text = renderNotice(m.kind, m.orderId, m.detail, m.lang);
    const url = `${this.s.baseUrl}/sms/v3.0/appKeys/${encodeURIComponent(this.s.appKey)}/sender/sms`;
    return post(
      this.id,
      url,
      await this.secretKey(),
      {
        body: text.body,
        sendNo: this.s.sendNo,
        recipientList: [{ recipientNo: m.phone, recipientGroupingKey: m.noticeId }],
      },
      signal,
    );
  }

  async checkDelivery(providerRef: string, signal: AbortSignal): Promise<DeliveryReport> {
    const { requestId, recipientSeq } = splitRef(providerRef);
    const url = `${this.s.baseUrl}/sms/v3.0/appKeys/${encodeURIComponent(this.s.appKey)}/sender/sms/${encodeURIComponent(requestId)}?recipientSeq=${encodeURIComponent(recipientSeq)}`;
    const answer = await lookUp<{ body?: { data?: SmsResult } }>(
      this.id,
      url,
      await this.secretKey(),
      signal,
    );
    return smsDelivery(answer.body?.data ?? {});
  }
}
