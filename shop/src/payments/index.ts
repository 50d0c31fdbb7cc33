/** Wires the payment port, its adapters, health, switch and metrics from `SHOP_PAYMENTS` settings. */
import type { Database } from '../db';
import type { Logger } from '../types';
import type { PaymentsSettings, ProviderSettings } from './config';
import { PaymentHealth } from './health';
import { KakaoPay } from './kakaopay';
import { type MetricPublisher, PaymentMetrics } from './metrics';
import { type PaymentHooks, PaymentService } from './service';
import { PaymentSwitch, type SwitchReader } from './switch';
import { TossPayments } from './toss';
import type { PaymentProvider } from './types';

export { PaymentService } from './service';
export { parsePayments, PAYMENTS_ENV, type PaymentsSettings } from './config';

/** What the shop needs beyond the settings; every outside dependency is injectable. */
export interface PaymentOptions {
  settings: PaymentsSettings;
  /** Reads a provider's secret JSON by name (Secrets Manager in production, shop/src/secrets.ts). */
  readSecret: (name: string) => Promise<Record<string, unknown>>;
  /** Reads the switch parameter (SSM in production); none: nothing is ever disabled. */
  switchReader?: SwitchReader;
  /** Poll interval of the switch (default 15 s). */
  switchPollMs?: number;
  /** Sends PutMetricData (CloudWatch in production); none: metrics are counted, not sent. */
  publisher?: MetricPublisher;
  /** CloudWatch namespace; default `${appName}/payments` from the switch parameter's name. */
  namespace?: string;
  /** Replaces the adapters (tests). */
  providers?: PaymentProvider[];
  /** How long a half-open provider is held for its one trial checkout (default 60 s). */
  trialHoldMs?: number;
  hooks?: PaymentHooks;
  /** Clock of the breakers' open -> half-open time (default Date.now; tests move it). */
  breakerClock?: () => number;
}

function secretOf(p: ProviderSettings, read: PaymentOptions['readSecret']) {
  return async () => {
    if (!p.secretName) throw new Error(`provider ${p.id} has no secretName`);
    const v = await read(p.secretName);
    if (typeof v.secretKey !== 'string') throw new Error(`secret of provider ${p.id} lacks "secretKey"`);
    return {
      secretKey: v.secretKey,
      cid: typeof v.cid === 'string' ? v.cid : '',
      clientKey: typeof v.clientKey === 'string' ? v.clientKey : undefined,
    };
  };
}

/** Builds the payment service for a shop. */
export function createPayments(
  o: PaymentOptions,
  shop: { db: Database; region: string; logger: Logger; now: () => number },
): PaymentService {
  const providers =
    o.providers ??
    o.settings.providers.map((p) =>
      p.kind === 'toss-payments'
        ? new TossPayments(p, secretOf(p, o.readSecret))
        : new KakaoPay(p, secretOf(p, o.readSecret)),
    );
  const app = /^\/([^/]+)\/payments\//.exec(o.settings.switchParameter ?? '')?.[1] ?? 'resilient-shop';
  const metrics = new PaymentMetrics(o.namespace ?? `${app}/payments`, shop.region, o.publisher, shop.logger);
  const health = new PaymentHealth(o.settings, {
    trialHoldMs: o.trialHoldMs,
    onSample: (s) => metrics.record(s),
    now: o.breakerClock,
  });
  const sw = new PaymentSwitch(o.switchReader, shop.logger, o.switchPollMs);
  return new PaymentService({
    settings: o.settings,
    db: shop.db,
    providers,
    health,
    switch: sw,
    metrics,
    logger: shop.logger,
    now: shop.now,
    hooks: o.hooks,
  });
}
