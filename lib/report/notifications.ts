/**
 * Customer notices: the channels in fallback order, where each channel's secret lives, the alarm on
 * notices left unsent (its threshold and soonest firing time) and the operator switch, read from the
 * templates: the `SHOP_NOTIFY` the web tier writes into each launch template, the secrets, the
 * notify alarms and the switch parameters.
 */
import { secretsByName, shopSettingsOf, type SwitchRow, switchRows } from './shop-settings';
import { alarmName, CfnTemplate, entries, Json } from './template';

/** A channel as the shops receive it, with where its secret lives (NHN channels). */
export interface NotifyChannelRow {
  readonly id: string;
  readonly kind: string;
  readonly secretName?: string;
  /** Stack that creates the secret, and the regions it is replicated to (with the key used there). */
  readonly secretStack?: string;
  readonly replicas: readonly string[];
}

/** One notify alarm: what it watches, its threshold and how long a failure takes to raise it. */
export interface NotifyAlarmRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  readonly kind: 'metric' | 'composite';
  readonly watches: string;
  /** The metric alarm's threshold (seconds for OldestUnsentAgeSeconds). */
  readonly threshold?: number;
  readonly periodSeconds?: number;
  /** datapointsToAlarm × period: the soonest a metric alarm can fire after its condition starts. */
  readonly detectionSeconds?: number;
  readonly pages: boolean;
}

/** The customer notices section of the report. */
export interface NotificationsSection {
  /** Channels in the order the shop tries them; empty when no shop gets `SHOP_NOTIFY`. */
  readonly channels: readonly NotifyChannelRow[];
  readonly deadlineMs?: number;
  readonly alarms: readonly NotifyAlarmRow[];
  /** The operator switch per regional stack: parameter and initial value. */
  readonly switches: readonly SwitchRow[];
  /** Stacks whose shops get notice settings that differ from the first (they should not). */
  readonly inconsistent: readonly string[];
}

/** `SHOP_NOTIFY` from a launch template's user data (the env file line), or undefined. */
export function shopNotifyOf(t: CfnTemplate): Json | undefined {
  return shopSettingsOf(t, 'SHOP_NOTIFY');
}

/** The customer notices section, from every template. */
export function notificationsSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
): NotificationsSection {
  const settings = Object.entries(templates)
    .filter(([, t]) => entries(t, 'AWS::EC2::LaunchTemplate').length > 0)
    .map(([stack, t]) => [stack, shopNotifyOf(t)] as const);
  const first = settings.find(([, s]) => s !== undefined)?.[1];
  const inconsistent = settings
    .filter(([, s]) => JSON.stringify(s) !== JSON.stringify(first))
    .map(([stack]) => stack);
  if (!first) return { channels: [], alarms: [], switches: [], inconsistent };

  const secrets = secretsByName(templates);
  const channels: NotifyChannelRow[] = ((first.channels ?? []) as Json[]).map((c) => ({
    id: c.id,
    kind: c.kind,
    secretName: c.secretName,
    secretStack: c.secretName ? secrets.get(c.secretName)?.stack : undefined,
    replicas: c.secretName ? (secrets.get(c.secretName)?.replicas ?? []) : [],
  }));

  const namespace: string | undefined = first.namespace;
  const alarms: NotifyAlarmRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    const notifyAlarmIds = new Set<string>();
    for (const [id, r] of entries(t, 'AWS::CloudWatch::Alarm')) {
      const p = r.Properties ?? {};
      if (!namespace || p.Namespace !== namespace) continue;
      notifyAlarmIds.add(id);
      const period: number = p.Period ?? 60;
      alarms.push({
        stack,
        region,
        alarmName: alarmName(id, r),
        kind: 'metric',
        watches: `${p.MetricName} ${p.Statistic} ${p.ComparisonOperator} ${p.Threshold} (missing data: ${p.TreatMissingData ?? 'missing'})`,
        threshold: p.Threshold,
        periodSeconds: period,
        detectionSeconds: period * (p.DatapointsToAlarm ?? p.EvaluationPeriods ?? 1),
        pages: (p.AlarmActions ?? []).length > 0,
      });
    }
    for (const [id, r] of entries(t, 'AWS::CloudWatch::CompositeAlarm')) {
      const rule = JSON.stringify(r.Properties?.AlarmRule ?? '');
      const parts = [...notifyAlarmIds].filter((a) => rule.includes(`"${a}"`));
      if (parts.length === 0) continue;
      const byId = t.Resources ?? {};
      // Every alarm the rule names, in the order it names them.
      const named = Object.keys(byId)
        .filter((a) => rule.includes(`"${a}"`))
        .sort((a, b) => rule.indexOf(`"${a}"`) - rule.indexOf(`"${b}"`));
      alarms.push({
        stack,
        region,
        alarmName: alarmName(id, r),
        kind: 'composite',
        watches: `${named.map((a) => alarmName(a, byId[a])).join(rule.includes(' AND ') ? ' AND ' : ' OR ')} in ALARM`,
        pages: (r.Properties?.AlarmActions ?? []).length > 0,
      });
    }
  }
  const switches = switchRows(templates, regionOf, first.switchParameter);
  return { channels, deadlineMs: first.deadlineMs, alarms, switches, inconsistent };
}
