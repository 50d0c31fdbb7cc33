/**
 * The notifications contract between the platform (config, templates, `shopctl`, the report) and the
 * shop's dispatcher (shop/src/notify/): the channels and their kinds, the notices a 알림톡 channel
 * needs a template for, what the web tier writes to `SHOP_NOTIFY`, the operator switch's value and
 * the metrics the shop publishes that the alarm reads. No dependency, so that the shop bundle and
 * the CLI can both import it.
 */

/**
 * Channel ids, in the shop's default fallback order (shop/src/notify/channel.ts `CHANNELS`; a test
 * holds the two lists together). An id names the channel's secret, its switch entry and its metric
 * dimension.
 */
export const NOTIFY_CHANNELS = ['alimtalk', 'sms', 'email'] as const;
export type NotifyChannelId = (typeof NOTIFY_CHANNELS)[number];

/** The adapter that speaks to each channel: one kind per channel id. */
export const NOTIFY_CHANNEL_KINDS: Readonly<Record<NotifyChannelId, string>> = {
  alimtalk: 'nhn-alimtalk',
  sms: 'nhn-sms',
  email: 'ses',
};
export const NOTIFY_KINDS: readonly string[] = Object.values(NOTIFY_CHANNEL_KINDS);

/** Kinds whose provider key lives in Secrets Manager (SES is called with the instance role). */
export const NOTIFY_SECRET_KINDS: readonly string[] = ['nhn-alimtalk', 'nhn-sms'];

/**
 * Every notice an order can need (the shop's outbox re-exports it as `NOTICE_KINDS`). 알림톡 sends
 * only templates Kakao reviewed, so its channel needs a template code for each.
 */
export const NOTIFY_NOTICE_KINDS = [
  'order-received',
  'payment-confirmed',
  'payment-confirming',
  'awaiting-transfer',
  'payment-failed',
  'order-cancelled',
  'payment-refunded',
] as const;
export type NotifyNoticeKind = (typeof NOTIFY_NOTICE_KINDS)[number];

/** One channel as the shop receives it; which keys are set depends on `kind`. */
export interface ShopNotifyChannel {
  readonly id: NotifyChannelId;
  readonly kind: string;
  /** NHN kinds: the API's base URL (https). */
  readonly baseUrl?: string;
  /** NHN kinds: the app key (not secret; it is part of the URL). */
  readonly appKey?: string;
  /** nhn-alimtalk: the KakaoTalk channel's sender key. */
  readonly senderKey?: string;
  /** nhn-alimtalk: the reviewed template code per notice kind (every kind). */
  readonly templates?: Readonly<Partial<Record<NotifyNoticeKind, string>>>;
  /** nhn-sms: the registered sender number, digits only. */
  readonly sendNo?: string;
  /** ses: the From address, `"Name" <local@domain>` or `local@domain`, of a verified identity. */
  readonly from?: string;
  /** ses: configuration set for event publishing. */
  readonly configurationSet?: string;
  /** NHN kinds: Secrets Manager name (the local replica) of `{ "secretKey": "…" }`. */
  readonly secretName?: string;
}

/** JSON of `SHOP_NOTIFY`, written by the web tier. Unset: the shop starts no dispatcher. */
export interface ShopNotify {
  /** The channels, in fallback order. */
  readonly channels: readonly ShopNotifyChannel[];
  /** How long a channel may take to answer before the send counts as outcome-unknown. */
  readonly deadlineMs: number;
  /** How long a claim holds a notice before another instance may declare its sender dead. */
  readonly leaseMs: number;
  /** Seconds between dispatcher passes. */
  readonly dispatchEverySeconds: number;
  /** Per-channel breaker: opens after this many failures in a row; half-open after `halfOpenAfterMs`. */
  readonly breaker: { readonly consecutiveFailures: number; readonly halfOpenAfterMs: number };
  /** SSM parameter (in the instance's region) holding the operator switch: see {@link parseNotifySwitchValue}. */
  readonly switchParameter: string;
  /** CloudWatch namespace of {@link NOTIFY_METRICS}. */
  readonly namespace: string;
}

/** How often the shop reads the switch (the same as the payments switch); on failure it keeps the last value. */
export const NOTIFY_SWITCH_POLL_SECONDS = 15;

/**
 * Parses the switch parameter's value: a JSON array of channel ids switched off by an operator.
 * Ids are checked for shape, not against {@link NOTIFY_CHANNELS}, so that a shop that knows fewer
 * channels than `shopctl` still reads the ones it has.
 * @throws Error naming what is wrong, so that a reader can keep its last good value.
 */
export function parseNotifySwitchValue(value: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed)) throw new Error(`notify switch is not a JSON array: ${value.slice(0, 80)}`);
  return parsed.map((e) => {
    if (typeof e !== 'string' || !/^[a-z][a-z0-9-]{0,30}$/.test(e)) {
      throw new Error(`notify switch entry ${JSON.stringify(e)} is not a channel id such as "alimtalk"`);
    }
    return e;
  });
}

/** The switch's value for `channels`: sorted and without repeats, so equal sets read the same. */
export function formatNotifySwitchValue(channels: readonly string[]): string {
  return JSON.stringify([...new Set(channels)].sort());
}

/** CloudWatch metrics the shop publishes in namespace `${appName}/notify` (shop/src/notify/metrics.ts). */
/**
 * How often each shop instance publishes {@link NOTIFY_METRICS} by default (one PutMetricData call).
 * The report counts requests from it (lib/report/custom-metrics.ts).
 */
export const NOTIFY_METRICS_EVERY_SECONDS = 60;

/** Namespace of {@link NOTIFY_METRICS}: the given one, else `<app>/notify` from the switch parameter's path. */
export function notifyNamespaceOf(s: {
  readonly namespace?: string;
  readonly switchParameter?: string;
}): string {
  if (s.namespace) return s.namespace;
  const app = /^\/([^/]+)\/notify\//.exec(s.switchParameter ?? '')?.[1] ?? 'resilient-shop';
  return `${app}/notify`;
}

export const NOTIFY_METRICS = {
  /** Count, dimensions Region, Channel: notices the channel's provider accepted. */
  sent: 'Sent',
  /** Count, dimensions Region, Channel: sends that failed (refused or outcome unknown). */
  failed: 'Failed',
  /** Count, dimensions Region, Channel: notices this channel gave up on that went on to the next one. */
  fallbacks: 'Fallbacks',
  /** Count, dimensions Region, Channel: accepted sends the provider's result look-up reported delivered. */
  delivered: 'Delivered',
  /** Count, dimensions Region, Channel: accepted sends the provider reported undelivered (moved on). */
  deliveryFailed: 'DeliveryFailed',
  /** Count, dimensions Region, Channel: accepted sends with no final result by the report deadline (moved on). */
  deliveryUnknown: 'DeliveryUnknown',
  /**
   * Seconds, dimension Region only: age of the oldest notice not yet sent. Left out of a publication
   * when the outbox could not be read ({@link NOTIFY_METRICS.outboxUnreadable} says so).
   */
  oldestUnsentAge: 'OldestUnsentAgeSeconds',
  /**
   * Count (always 1), dimension Region only: the instance's metric publisher ran. In every
   * publication, whatever the database does: "the publisher is alive" apart from "the outbox was read".
   */
  heartbeat: 'PublisherHeartbeat',
  /**
   * Count, dimension Region only: 1 when this publication could not read the outbox (its database
   * unreachable, read-only mid-promotion, too slow), else 0. In every publication.
   */
  outboxUnreadable: 'OutboxUnreadable',
} as const;

/**
 * The per-region series of {@link NOTIFY_METRICS} (dimension Region only) in publication order: the
 * heartbeat and the unreadable flag always, the age only when the outbox was read.
 */
export const NOTIFY_REGION_GAUGES = [
  'heartbeat',
  'outboxUnreadable',
  'oldestUnsentAge',
] as const satisfies readonly (keyof typeof NOTIFY_METRICS)[];

/**
 * The per-channel counters of {@link NOTIFY_METRICS} in publication order (Count, dimensions Region
 * and Channel), keyed as the shop's counters are: one list for the shop's publisher and for
 * anything that counts the metrics (the report's metric registry).
 */
export const NOTIFY_CHANNEL_COUNTERS = [
  'sent',
  'failed',
  'fallbacks',
  'delivered',
  'deliveryFailed',
  'deliveryUnknown',
] as const satisfies readonly (keyof typeof NOTIFY_METRICS)[];

/** Every metric name the shop publishes in `${appName}/notify`. */
export const NOTIFY_METRIC_NAMES: readonly string[] = Object.values(NOTIFY_METRICS);

/** Dimension names of the notify metrics. */
export const NOTIFY_DIMENSIONS = { region: 'Region', channel: 'Channel' } as const;

/**
 * The SES identities a From address can be sent under: the address itself and its domain. `from` is
 * `"Name" <local@domain>`, `Name <local@domain>` or `local@domain`; undefined when it is none of
 * those or the domain is not a DNS name. SES sends only from a verified identity, an address or
 * its whole domain (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html).
 */
export function sesFromIdentities(from: string): { address: string; domain: string } | undefined {
  const m = /^\s*(?:(?:"[^"]*"|[^<>"]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(from);
  const address = m?.[1] ?? m?.[2];
  const domain =
    address === undefined
      ? undefined
      : /^[^\s@"<>]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(
          address,
        )?.[1];
  return address !== undefined && domain !== undefined
    ? { address, domain: domain.toLowerCase() }
    : undefined;
}
