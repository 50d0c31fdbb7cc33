/**
 * Payments: which providers take which methods in which order, the manual ways, how fast the alarms
 * detect a failing provider, and the operator switch, read from the templates: the provider secrets,
 * the `SHOP_PAYMENTS` the web tier writes into each launch template, the payment alarms and the
 * switch parameters.
 */
import { secretsByName, shopSettingsOf, type SwitchRow, switchRows } from './shop-settings';
import { alarmName, CfnTemplate, entries, Json } from './template';

/** A provider as the shops receive it, with where its secret lives. */
export interface PaymentProviderRow {
  readonly id: string;
  readonly kind: string;
  readonly methods: readonly string[];
  readonly timeoutMs: number;
  readonly secretName: string;
  /** Stack that creates the secret, and the regions it is replicated to (with the key used there). */
  readonly secretStack?: string;
  readonly replicas: readonly string[];
}

/** One payment alarm: how long a failure takes to raise it. */
export interface PaymentAlarmRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  readonly watches: string;
  readonly periodSeconds: number;
  /** datapointsToAlarm × period: the soonest the alarm can fire after the failure starts. */
  readonly detectionSeconds: number;
  readonly pages: boolean;
}

/** The payments section of the report. */
export interface PaymentsSection {
  readonly providers: readonly PaymentProviderRow[];
  /** Online method → providers in the order the shop tries them. */
  readonly fallback: Readonly<Record<string, readonly string[]>>;
  readonly manual: readonly string[];
  readonly alarms: readonly PaymentAlarmRow[];
  /** The operator switch per regional stack: parameter and initial value. */
  readonly switches: readonly SwitchRow[];
  /** Stacks whose shops get payments settings that differ from the first (they should not). */
  readonly inconsistent: readonly string[];
}

/** `SHOP_PAYMENTS` from a launch template's user data (the env file line), or undefined. */
export function shopPaymentsOf(t: CfnTemplate): Json | undefined {
  return shopSettingsOf(t, 'SHOP_PAYMENTS');
}

/** The payments section, from every template. */
export function paymentsSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): PaymentsSection {
  const settings = Object.entries(templates)
    .map(([stack, t]) => [stack, shopPaymentsOf(t)] as const)
    .filter(([, s]) => s !== undefined);
  const first = settings[0]?.[1];
  const inconsistent = settings
    .filter(([, s]) => JSON.stringify(s) !== JSON.stringify(first))
    .map(([stack]) => stack);

  const secrets = secretsByName(templates);
  const providers: PaymentProviderRow[] = ((first?.providers ?? []) as Json[]).map((p) => ({
    id: p.id,
    kind: p.kind,
    methods: p.methods,
    timeoutMs: p.timeoutMs,
    secretName: p.secretName,
    secretStack: secrets.get(p.secretName)?.stack,
    replicas: secrets.get(p.secretName)?.replicas ?? [],
  }));
  const fallback: Record<string, string[]> = {};
  for (const p of providers) for (const m of p.methods) (fallback[m] ??= []).push(p.id);
  const manual = [
    ...(first?.manual?.bankTransfer ? [`bank transfer (held ${first.manual.bankTransfer.holdHours} h)`] : []),
    ...(first?.manual?.phoneOrders ? ['phone orders'] : []),
  ];

  const alarms: PaymentAlarmRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    for (const [id, r] of entries(t, 'AWS::CloudWatch::Alarm')) {
      const p = r.Properties ?? {};
      const stats: Json[] = (p.Metrics ?? [])
        .filter((m: Json) => m.MetricStat)
        .map((m: Json) => m.MetricStat);
      const namespace: string | undefined = p.Namespace ?? stats[0]?.Metric?.Namespace;
      if (!namespace?.endsWith('/payments')) continue;
      const period: number = p.Period ?? stats[0]?.Period ?? 60;
      const watches = p.MetricName
        ? `${p.MetricName} ${p.ComparisonOperator} ${p.Threshold}`
        : `approval rate ${p.ComparisonOperator} ${p.Threshold} % (${
            stats
              .map((s) => s.Metric?.Dimensions?.find((d: Json) => d.Name === 'Provider')?.Value)
              .filter(Boolean)[0]
          }/${
            stats
              .map((s) => s.Metric?.Dimensions?.find((d: Json) => d.Name === 'Method')?.Value)
              .filter(Boolean)[0]
          })`;
      alarms.push({
        stack,
        region,
        alarmName: alarmName(id, r),
        watches,
        periodSeconds: period,
        detectionSeconds: period * (p.DatapointsToAlarm ?? p.EvaluationPeriods ?? 1),
        pages: (p.AlarmActions ?? []).length > 0,
      });
    }
  }
  const switches = switchRows(templates, regionOf, first?.switchParameter);
  return { providers, fallback, manual, alarms, switches, inconsistent };
}
