/**
 * E-mail through Amazon SES API v2 SendEmail (`POST /v2/email/outbound-emails`):
 * https://docs.aws.amazon.com/goto/WebAPI/sesv2-2019-09-27/SendEmail
 *
 * SendEmail takes no idempotency token (its request syntax has none), so a send whose answer is
 * lost is never repeated here: the client is built with `maxAttempts: 1` (the SDK's own retries
 * would resend a message SES may already have accepted), and the dispatcher spends the channel.
 * The notice id and attempt id travel as EmailTags so that SES event records can be matched.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Channel, OutgoingMessage, SendReceipt } from './channel';
import { ChannelError, fetchFailure } from './channel';
import { renderNotice } from './texts';

/** Settings of the SES adapter. */
export interface SesSettings {
  /** Verified sender identity, e.g. `"Resilient Shop" <orders@shop.example.com>`. */
  from: string;
  /** Optional configuration set (event publishing). */
  configurationSet?: string;
}

/** The exact SendEmail input for a message (exported for the tests' exact-argument assertions). */
export function sendEmailInput(s: SesSettings, m: OutgoingMessage) {
  const text = renderNotice(m.kind, m.orderId, m.detail, m.lang);
  return {
    FromEmailAddress: s.from,
    Destination: { ToAddresses: [m.email!] },
    Content: {
      Simple: {
        Subject: { Data: text.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: text.body, Charset: 'UTF-8' } },
      },
    },
    EmailTags: [
      { Name: 'notice', Value: m.noticeId },
      { Name: 'attempt', Value: m.attemptId },
    ],
    ...(s.configurationSet ? { ConfigurationSetName: s.configurationSet } : {}),
  };
}

/** E-mail through SES; needs an e-mail address. Pass a client made with `maxAttempts: 1`. */
export class SesEmail implements Channel {
  readonly id = 'email' as const;
  constructor(
    private readonly s: SesSettings,
    private readonly client: SESv2Client,
  ) {}

  canReach(m: Pick<OutgoingMessage, 'email'>): boolean {
    return Boolean(m.email);
  }

  async send(m: OutgoingMessage, signal: AbortSignal): Promise<SendReceipt> {
    try {
      const out = await this.client.send(new SendEmailCommand(sendEmailInput(this.s, m)), {
        abortSignal: signal,
      });
      return { providerRef: out.MessageId };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // A 4xx (MessageRejected, SendingPaused, throttling) is SES saying no; a 5xx may follow an accept.
      if (status !== undefined && status >= 400 && status < 500)
        throw new ChannelError(this.id, 'no', `email: ${(err as Error).name} (HTTP ${status})`);
      if (status !== undefined) throw new ChannelError(this.id, 'maybe', `email: HTTP ${status}`);
      throw fetchFailure(this.id, err);
    }
  }
}
