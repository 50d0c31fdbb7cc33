/**
 * The payments contract between the platform (config, templates, `shopctl`, the canary) and the shop:
 * the methods and provider kinds the config may name, what the web tier writes to `SHOP_PAYMENTS`,
 * the operator switch's value, and the metrics the shop publishes that the alarms read. No
 * dependency, so that the shop bundle, the canary and the CLI can all import it.
 */
import type { LocalizedText } from './contacts';

/** Methods paid online through a provider's own window (card data never reaches the shop). */
export const ONLINE_METHODS = ['card', 'easy-pay'] as const;
/** Methods the shop takes without a provider: a bank transfer it waits for, an order by phone. */
export const MANUAL_METHODS = ['bank-transfer', 'phone'] as const;
/** Every way to pay, online first. */
export const PAYMENT_METHODS = [...ONLINE_METHODS, ...MANUAL_METHODS] as const;

export type OnlineMethod = (typeof ONLINE_METHODS)[number];
export type ManualMethod = (typeof MANUAL_METHODS)[number];
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/**
 * Provider kinds the shop has an adapter for, and the online methods each can take. KakaoPay is a
 * wallet: the customer pays inside it (by card or KakaoPay Money), which the shop sees as easy-pay.
 * Toss Payments' payment window takes cards and easy-pay services.
 * https://developers.kakaopay.com/docs/payment/online/single-payment
 * https://docs.tosspayments.com/reference
 */
export const PROVIDER_KIND_METHODS: Readonly<Record<string, readonly OnlineMethod[]>> = {
  'toss-payments': ['card', 'easy-pay'],
  kakaopay: ['easy-pay'],
};
export const PROVIDER_KINDS = Object.keys(PROVIDER_KIND_METHODS);

/** Bank account the shop takes transfers into, shown to a customer who chooses bank transfer. */
export interface BankTransfer {
  readonly bank: LocalizedText;
  readonly account: string;
  readonly holder: LocalizedText;
  /** Hours an order waits for the deposit before it is cancelled and its stock released. */
  readonly holdHours: number;
}

/** The ways to pay without a provider. */
export interface ManualPayments {
  readonly bankTransfer?: BankTransfer;
  /** The shop's phone (contacts.phone) takes orders and payment. */
  readonly phoneOrders: boolean;
}

/** When a provider+method circuit opens (approvals against attempts, customer declines excluded). */
export interface BreakerSettings {
  readonly failureRatePercent: number;
  readonly minimumAttempts: number;
  readonly windowSeconds: number;
  readonly halfOpenAfterSeconds: number;
}

/** One provider as the shop receives it. */
export interface ShopPaymentProvider {
  readonly id: string;
  readonly kind: string;
  readonly baseUrl: string;
  /** Online methods taken through this provider; the list order of providers is the fallback order. */
  readonly methods: readonly OnlineMethod[];
  readonly timeoutMs: number;
  /** Secrets Manager name (the local replica) of `{ secretKey }` / `{ secretKey, cid }`. */
  readonly secretName: string;
  /** Toss Payments only: the page that opens its payment window. */
  readonly windowUrl?: string;
  /** Secrets Manager name of the provider's TEST keys (the canary's test payment). */
  readonly testSecretName?: string;
}

/** JSON of `SHOP_PAYMENTS`, written by the web tier. */
export interface ShopPayments {
  readonly providers: readonly ShopPaymentProvider[];
  readonly manual: ManualPayments;
  readonly breaker: BreakerSettings;
  /** SSM parameter (in the instance's region) holding the operator switch: see {@link parseSwitchValue}. */
  readonly switchParameter: string;
  /** SSM parameter (in the instance's region) of the game day's fault switch: see {@link DrillFault}. */
  readonly faultParameter?: string;
  readonly reconcileEverySeconds: number;
}

/** One entry of the operator switch: a provider or a method switched off by an operator. */
export type SwitchEntry = `provider:${string}` | `method:${string}`;

/**
 * Parses the switch parameter's value (a JSON array of `provider:<id>` / `method:<method>`).
 * @throws Error naming what is wrong, so that a reader can keep its last good value.
 */
export function parseSwitchValue(value: string): SwitchEntry[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed)) throw new Error(`payments switch is not a JSON array: ${value.slice(0, 80)}`);
  return parsed.map((e) => {
    if (typeof e !== 'string' || !/^(provider|method):[a-z0-9-]+$/.test(e)) {
      throw new Error(
        `payments switch entry ${JSON.stringify(e)} is not "provider:<id>" or "method:<method>"`,
      );
    }
    return e as SwitchEntry;
  });
}

/** The switch's value for `entries`: sorted and without repeats, so equal sets read the same. */
export function formatSwitchValue(entries: readonly SwitchEntry[]): string {
  return JSON.stringify([...new Set(entries)].sort());
}

/** CloudWatch metrics the shop publishes in namespace `${appName}/payments` (at most once a minute). */
export const PAYMENT_METRICS = {
  /** Count, dimensions Region, Provider, Method. */
  attempts: 'Attempts',
  approvals: 'Approvals',
  customerDeclines: 'CustomerDeclines',
  providerErrors: 'ProviderErrors',
  unknowns: 'Unknowns',
  /** Milliseconds, dimensions Region, Provider, Method (values, so that p50/p99 work). */
  latency: 'LatencyMs',
  /** Gauge, dimension Region only: attempts whose outcome no look-up has settled yet. */
  unresolvedUnknowns: 'UnresolvedUnknowns',
  /** Gauge, dimension Region only: online methods a customer can choose now (0 = all online payments down). */
  onlineMethodsAvailable: 'OnlineMethodsAvailable',
} as const;

/**
 * How often each shop instance publishes {@link PAYMENT_METRICS} (one PutMetricData call: a few
 * providers × methods are far below its 1,000-metric limit): the alarms read 1-minute periods.
 * The report counts requests from it (lib/report/custom-metrics.ts).
 */
export const PAYMENT_METRICS_EVERY_SECONDS = 60;

/** Namespace of {@link PAYMENT_METRICS}: `<app>/payments`, the app read from the switch parameter's path. */
export function paymentsNamespaceOf(settings: { readonly switchParameter?: string }): string {
  const app = /^\/([^/]+)\/payments\//.exec(settings.switchParameter ?? '')?.[1] ?? 'resilient-shop';
  return `${app}/payments`;
}

/** Dimension names of the payment metrics. */
export const PAYMENT_DIMENSIONS = { region: 'Region', provider: 'Provider', method: 'Method' } as const;

/**
 * The payment game day's fault switch (`Names.paymentsFaultParameter()`, one SSM String parameter
 * per region, written only by `shopctl drill payment-provider-outage`): while it names a provider and
 * its `until` has not passed, the shop in that region makes its own calls to that provider fail as
 * an outage would (`refuse`: connection refused; `stall`: no answer until the provider's timeout),
 * so that the circuit breaker, not an operator, must notice and route around it. `{}` when no drill
 * runs. `until` makes the fault end by itself even if nobody restores the parameter.
 */
export interface DrillFault {
  readonly provider: string;
  readonly mode: DrillFaultMode;
  /** ISO 8601 time after which the shop ignores the fault. */
  readonly until: string;
  /** Who started it (the operator's OS user), for the shop's log. */
  readonly by?: string;
}

/** How the shop's calls to the faulted provider fail. */
export const DRILL_FAULT_MODES = ['refuse', 'stall'] as const;
export type DrillFaultMode = (typeof DRILL_FAULT_MODES)[number];

/** The fault switch's value when no drill runs. */
export const NO_DRILL_FAULT = '{}';

/**
 * Parses the fault switch's value: undefined for `{}`, a fault otherwise.
 * @throws Error naming what is wrong, so that a reader can keep its last good value.
 */
export function parseDrillFault(value: string): DrillFault | undefined {
  const v: unknown = JSON.parse(value);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`payments fault switch is not a JSON object: ${value.slice(0, 80)}`);
  const o = v as Record<string, unknown>;
  if (Object.keys(o).length === 0) return undefined;
  if (typeof o.provider !== 'string' || !/^[a-z0-9-]{1,32}$/.test(o.provider))
    throw new Error('payments fault switch: "provider" must be a provider id');
  if (!(DRILL_FAULT_MODES as readonly unknown[]).includes(o.mode))
    throw new Error(`payments fault switch: "mode" must be one of ${DRILL_FAULT_MODES.join(', ')}`);
  if (typeof o.until !== 'string' || Number.isNaN(Date.parse(o.until)))
    throw new Error('payments fault switch: "until" must be an ISO 8601 time');
  return {
    provider: o.provider,
    mode: o.mode as DrillFaultMode,
    until: o.until,
    ...(typeof o.by === 'string' ? { by: o.by.slice(0, 100) } : {}),
  };
}

/** The fault switch's value for `fault` (`{}` for none). */
export function formatDrillFault(fault: DrillFault | undefined): string {
  if (!fault) return NO_DRILL_FAULT;
  return JSON.stringify({
    provider: fault.provider,
    mode: fault.mode,
    until: fault.until,
    ...(fault.by ? { by: fault.by } : {}),
  });
}
