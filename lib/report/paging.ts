/**
 * Paging: who is woken by which alarm, and what the alarms that page nobody feed instead.
 */
import { shopNotifyOf } from './notifications';
import {
  alarmName,
  CfnTemplate,
  entries,
  describeValue,
  Json,
  parseRule,
  refId,
  tagValue,
  topicNames,
  uniqSorted,
} from './template';

/** An alarm with actions. */
export interface PagingRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  readonly kind: 'metric' | 'composite';
  readonly topics: readonly string[];
  readonly subscribers: readonly string[];
  readonly onOk: boolean;
}

/** An alarm without actions. */
export interface SilentAlarmRow {
  readonly stack: string;
  readonly region: string;
  readonly alarmName: string;
  /** What consumes it instead of paging (composite alarms, Route 53 health checks, FIS stop conditions). */
  readonly usedBy: readonly string[];
}

/** An SNS topic and its subscriptions. */
export interface TopicRow {
  readonly stack: string;
  readonly topicName: string;
  readonly subscriptions: readonly string[];
}

/** The paging section of the report. */
export interface PagingSection {
  readonly topics: readonly TopicRow[];
  readonly paging: readonly PagingRow[];
  readonly silent: readonly SilentAlarmRow[];
}

/** Topics, paging alarms and silent alarms of every template. */
export function pagingSection(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
  tagKey: string,
): PagingSection {
  const topics: TopicRow[] = [];
  const paging: PagingRow[] = [];
  const silent: SilentAlarmRow[] = [];
  // Alarms read by Route 53 health checks (by name), wherever those checks are.
  const readByRoute53 = new Map<string, string[]>();
  for (const t of Object.values(templates)) {
    for (const [id, r] of entries(t, 'AWS::Route53::HealthCheck')) {
      const a = r.Properties?.HealthCheckConfig?.AlarmIdentifier;
      if (!a?.Name) continue;
      const list = readByRoute53.get(a.Name) ?? [];
      list.push(`Route 53 check ${tagValue(r.Properties, tagKey) ?? id}`);
      readByRoute53.set(a.Name, list);
    }
  }
  for (const [stack, t] of Object.entries(templates)) {
    const region = regionOf.get(stack) ?? 'unknown';
    const subsByTopic = new Map<string, string[]>();
    for (const [, r] of entries(t, 'AWS::SNS::Subscription')) {
      const topic = refId(r.Properties?.TopicArn);
      if (!topic) continue;
      const list = subsByTopic.get(topic) ?? [];
      list.push(`${r.Properties.Protocol}:${describeValue(r.Properties.Endpoint)}`);
      subsByTopic.set(topic, list);
    }
    const topicInfo = new Map<string, TopicRow>();
    for (const [id, r] of entries(t, 'AWS::SNS::Topic')) {
      const row = {
        stack,
        topicName: String(r.Properties?.TopicName ?? id),
        subscriptions: (subsByTopic.get(id) ?? []).sort(),
      };
      topicInfo.set(id, row);
      topics.push(row);
    }
    const feeds = new Map<string, string[]>();
    for (const [id, r] of entries(t, 'AWS::CloudWatch::CompositeAlarm')) {
      for (const child of parseRule(r.Properties?.AlarmRule).children) {
        const list = feeds.get(child) ?? [];
        list.push(`composite ${alarmName(id, r)}`);
        feeds.set(child, list);
      }
    }
    // Notice alarms: `npx shopctl channels status` lists those in ALARM (cli/channels/status.ts reads
    // every alarm named `<app>-notify-*`), so an operator sees one that pages nobody by design.
    const notifyNamespace = shopNotifyOf(t)?.namespace;
    for (const [id, r] of entries(t, 'AWS::CloudWatch::Alarm'))
      if (notifyNamespace && r.Properties?.Namespace === notifyNamespace)
        feeds.set(id, [...(feeds.get(id) ?? []), 'npx shopctl channels status']);
    // Alarms that stop fault experiments (the game-day brake): FIS reads them, nobody is paged.
    const stops = new Map<string, number>();
    for (const [, r] of entries(t, 'AWS::FIS::ExperimentTemplate')) {
      for (const c of (r.Properties?.StopConditions ?? []) as Json[]) {
        const alarm = c?.Value?.['Fn::GetAtt']?.[0];
        if (typeof alarm === 'string') stops.set(alarm, (stops.get(alarm) ?? 0) + 1);
      }
    }
    for (const [alarm, n] of stops) {
      feeds.set(alarm, [...(feeds.get(alarm) ?? []), `stop condition of ${n} FIS experiment templates`]);
    }
    // Alarms whose state changes start something through EventBridge (the standby scaler, #14).
    for (const [ruleId, r] of entries(t, 'AWS::Events::Rule')) {
      for (const res of (r.Properties?.EventPattern?.resources ?? []) as Json[]) {
        const alarm = res?.['Fn::GetAtt']?.[0];
        if (typeof alarm !== 'string') continue;
        feeds.set(alarm, [...(feeds.get(alarm) ?? []), `EventBridge rule ${ruleId}`]);
      }
    }
    for (const [id, r] of [
      ...entries(t, 'AWS::CloudWatch::Alarm'),
      ...entries(t, 'AWS::CloudWatch::CompositeAlarm'),
    ]) {
      const name = alarmName(id, r);
      const actions: Json[] = r.Properties?.AlarmActions ?? [];
      if (actions.length === 0) {
        silent.push({
          stack,
          region,
          alarmName: name,
          usedBy: [...(feeds.get(id) ?? []), ...(readByRoute53.get(name) ?? [])],
        });
        continue;
      }
      const topicIds = actions.map(refId);
      paging.push({
        stack,
        region,
        alarmName: name,
        kind: r.Type === 'AWS::CloudWatch::CompositeAlarm' ? 'composite' : 'metric',
        topics: topicNames(t, actions),
        subscribers: uniqSorted(
          topicIds.flatMap((tid) => (tid ? (topicInfo.get(tid)?.subscriptions ?? []) : [])),
        ),
        onOk: (r.Properties?.OKActions ?? []).length > 0,
      });
    }
  }
  const byName = (a: { stack: string; alarmName: string }, b: { stack: string; alarmName: string }) =>
    a.stack === b.stack ? a.alarmName.localeCompare(b.alarmName) : 0;
  return { topics, paging: paging.sort(byName), silent: silent.sort(byName) };
}
