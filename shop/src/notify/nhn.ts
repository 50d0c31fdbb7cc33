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
 */
import type { Channel, ChannelId, OutgoingMessage, SendReceipt } from './channel';
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

interface NhnAnswer {
  header?: { isSuccessful?: boolean; resultCode?: number; resultMessage?: string };
  message?: { requestId?: string };
  body?: { data?: { requestId?: string } };
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
  return { providerRef: answer.message?.requestId ?? answer.body?.data?.requestId };
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
}
