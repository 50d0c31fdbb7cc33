/**
 * Wires the notice dispatcher from `SHOP_NOTIFY` settings (./config.ts): the channel adapters with
 * their secrets read by name, the operator switch `/${app}/notify/disabled` (polled every 15 s, last
 * value kept on a failed read: ../operator-switch.ts), a pass every `dispatchEverySeconds` while
 * this instance sees the writer, the metrics once a minute through the payments' publisher, and the
 * report of `GET /notify/health`. See docs/notifications.md "Running the dispatcher".
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { NOTIFY_METRICS_EVERY_SECONDS } from '../../../lib/contract/notify';
import { OperatorSwitch, type SwitchReader, type SwitchReport } from '../operator-switch';
import type { MetricPublisher } from '../payments/metrics';
import type { Logger } from '../types';
import type { Channel, ChannelId } from './channel';
import {
  leaseOf,
  namespaceOf,
  type NotifyChannelSettings,
  type NotifySettings,
  parseNotifySwitch,
} from './config';
import { Dispatcher, type DispatchHooks, type NoticeDb } from './dispatcher';
import { NotifyMetrics } from './metrics';
import { NhnAlimtalk, NhnSms } from './nhn';
import { SesEmail } from './ses';

export { NOTIFY_ENV, parseNotify, type NotifySettings } from './config';

/** What the shop needs beyond the settings; every outside dependency is injectable. */
export interface NotifyOptions {
  settings: NotifySettings;
  /** Reads a channel's secret JSON by name (Secrets Manager in production, shop/src/secrets.ts). */
  readSecret: (name: string) => Promise<Record<string, unknown>>;
  /** Reads the switch parameter (SSM in production); none: no channel is ever switched off. */
  switchReader?: SwitchReader;
  /** Poll interval of the switch (default 15 s). */
  switchPollMs?: number;
  /** Sends PutMetricData (CloudWatch in production); none: counted, not sent. */
  publisher?: MetricPublisher;
  /** Time between metric publications (default 60 s: the alarm reads 1-minute periods). */
  metricsEveryMs?: number;
  /** The SES client (tests, the local drill); default one for the region with `maxAttempts: 1`. */
  sesClient?: SESv2Client;
  /** Replaces the adapters (tests). */
  channels?: Channel[];
  hooks?: DispatchHooks;
  /** The outbox clock (default the shop's). */
  now?: () => Date;
}

/** `GET /notify/health` (NOTIFY-CONTRACT "Shop HTTP"). */
export interface NotifyHealth {
  region: string;
  channels: {
    channel: ChannelId;
    breaker: 'closed' | 'open' | 'half-open';
    disabled: boolean;
    sent: number;
    failed: number;
    fallbacks: number;
  }[];
  /** Null when the database did not answer. */
  oldestUnsentAgeSeconds: number | null;
  switch: SwitchReport;
}

function secretKeyOf(c: { id: string; secretName: string }, read: NotifyOptions['readSecret']) {
  return async () => {
    const v = await read(c.secretName);
    if (typeof v.secretKey !== 'string') throw new Error(`secret of channel ${c.id} lacks "secretKey"`);
    return v.secretKey;
  };
}

function adapter(c: NotifyChannelSettings, o: NotifyOptions, region: string): Channel {
  switch (c.kind) {
    case 'nhn-alimtalk':
      return new NhnAlimtalk(c, secretKeyOf(c, o.readSecret));
    case 'nhn-sms':
      return new NhnSms(c, secretKeyOf(c, o.readSecret));
    case 'ses':
      // maxAttempts 1: SendEmail has no idempotency token, so the SDK must not resend (./ses.ts).
      return new SesEmail(
        c,
        o.sesClient ??
          new SESv2Client({ region, maxAttempts: 1, ...(c.baseUrl ? { endpoint: c.baseUrl } : {}) }),
      );
  }
}

export class NotifyService {
  readonly dispatcher: Dispatcher;
  readonly switch: OperatorSwitch;
  readonly metrics: NotifyMetrics | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly o: NotifyOptions,
    private readonly shop: { db: NoticeDb; region: string; logger: Logger; isWriter: () => boolean },
  ) {
    const s = o.settings;
    this.switch = new OperatorSwitch(
      { name: 'notify', parse: parseNotifySwitch },
      o.switchReader,
      shop.logger,
      o.switchPollMs,
    );
    this.dispatcher = new Dispatcher({
      db: shop.db,
      channels: o.channels ?? s.channels.map((c) => adapter(c, o, shop.region)),
      deadlineMs: s.deadlineMs,
      leaseMs: leaseOf(s),
      retryMs: s.retrySeconds * 1000,
      breaker: s.breaker,
      disabled: () => this.switch.set(),
      logger: shop.logger,
      now: o.now ?? (() => new Date()),
      hooks: o.hooks,
    });
    this.metrics = o.publisher
      ? new NotifyMetrics(this.dispatcher, o.publisher, namespaceOf(s), shop.region)
      : undefined;
  }

  /** Reads the switch, then starts the passes, the switch poll and the metric publications. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.switch.refresh();
    // Closed while the first switch read was in flight (a shop stopped right after start).
    if (this.stopped) return;
    this.switch.start();
    this.dispatcher.start(this.o.settings.dispatchEverySeconds * 1000, this.shop.isWriter);
    if (this.metrics) {
      this.metricsTimer = setInterval(
        () => void this.publishMetrics(),
        this.o.metricsEveryMs ?? NOTIFY_METRICS_EVERY_SECONDS * 1000,
      );
      this.metricsTimer.unref();
    }
    this.shop.logger.info('notice dispatcher started', {
      channels: this.o.settings.channels.map((c) => c.id),
      everySeconds: this.o.settings.dispatchEverySeconds,
    });
  }

  /** One publication now (the minute timer calls it); a failure is logged, never thrown. */
  async publishMetrics(at = new Date()): Promise<void> {
    try {
      await this.metrics?.publish(at);
    } catch (err) {
      this.shop.logger.warn('notify metrics not published', { error: (err as Error).message });
    }
  }

  async health(): Promise<NotifyHealth> {
    return {
      region: this.shop.region,
      channels: this.dispatcher.channelReport().map((c) => ({
        channel: c.channel,
        breaker: c.breaker,
        disabled: c.disabled,
        ...c.counters,
      })),
      oldestUnsentAgeSeconds: await this.dispatcher
        .oldestUnsentAgeSeconds()
        .then((s) => Math.round(s * 10) / 10)
        .catch(() => null),
      switch: this.switch.report(),
    };
  }

  /** Stops the timers and waits for the pass in flight (its sends end by their deadline). */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    this.switch.stop();
    clearInterval(this.metricsTimer);
    this.metricsTimer = undefined;
    await this.dispatcher.stop();
  }
}
