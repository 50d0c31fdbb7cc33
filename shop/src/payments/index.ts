/** Wires the payment port, its adapters, health, switch and metrics from `SHOP_PAYMENTS` settings. */
import type { Database } from '../db';
import { paymentsNamespaceOf } from '../../../lib/contract/payments';
import type { Logger } from '../types';
import type { PaymentsSettings, ProviderSettings } from './config';
import { DrillFaultSwitch, withDrillFault } from './fault';
import { PaymentHealth } from './health';
import { KakaoPay } from './kakaopay';
import { type MetricPublisher, PaymentMetrics } from './metrics';
import { type PaymentHooks, PaymentService, type PaymentServiceOptions } from './service';
import { PaymentSwitch, SWITCH_POLL_MS, type SwitchReader } from './switch';
import { TestPayments } from './test-payment';
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
  /** Reads the game day's fault switch (SSM in production); none: no drill can fault a provider. */
  faultReader?: SwitchReader;
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
  shop: {
    db: Database;
    region: string;
    logger: Logger;
    now: () => number;
    fence?: PaymentServiceOptions['fence'];
  },
): PaymentService {
  const adapters =
    o.providers ??
    o.settings.providers.map((p) =>
      p.kind === 'toss-payments'
        ? new TossPayments(p, secretOf(p, o.readSecret))
        : new KakaoPay(p, secretOf(p, o.readSecret)),
    );
  const pollMs = o.switchPollMs ?? SWITCH_POLL_MS;
  const faults = new DrillFaultSwitch(o.faultReader, shop.logger, pollMs);
  const timeouts = new Map(o.settings.providers.map((p) => [p.id, p.timeoutMs]));
  // Every adapter answers to the game day's fault switch; without a reader it never fires.
  const providers = adapters.map((p) => withDrillFault(p, faults, timeouts.get(p.id) ?? 8000));
  const metrics = new PaymentMetrics(
    o.namespace ?? paymentsNamespaceOf(o.settings),
    shop.region,
    o.publisher,
    shop.logger,
  );
  const health = new PaymentHealth(o.settings, {
    trialHoldMs: o.trialHoldMs,
    onSample: (s) => metrics.record(s),
    now: o.breakerClock,
  });
  const sw = new PaymentSwitch(o.switchReader, shop.logger, pollMs);
  return new PaymentService({
    settings: o.settings,
    db: shop.db,
    providers,
    health,
    switch: sw,
    faults,
    tests: o.settings.providers.some((p) => p.testSecretName)
      ? new TestPayments({
          db: shop.db,
          providers: o.settings.providers.filter((p) => p.testSecretName),
          readSecret: o.readSecret,
          logger: shop.logger,
        })
      : undefined,
    metrics,
    logger: shop.logger,
    now: shop.now,
    hooks: o.hooks,
    fence: shop.fence,
  });
}
