import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { aws, describeError, errorKind } from '../aws/errors';
import type { Deps } from '../aws/deps';

export interface AlarmView {
  /** Worst state across regions (ALARM > INSUFFICIENT_DATA > OK), or "unknown". */
  readonly state: string;
  /** Regions in which it is in ALARM. */
  readonly alarmIn: readonly string[];
}

const RANK: Record<string, number> = { ALARM: 3, INSUFFICIENT_DATA: 2, OK: 1 };

/** Canary consensus alarm state per target id (`public`, each region, `outage`), across every region. */
export async function consensusAlarms(
  d: Deps,
): Promise<{ byTarget: Map<string, AlarmView>; failedRegions: string[] }> {
  const regions = d.config.regions.map((r) => r.name);
  const targets = ['public', ...regions, 'outage'];
  const seen = new Map<string, { state: string; alarmIn: string[] }>();
  const failedRegions: string[] = [];
  await Promise.all(
    regions.map(async (region) => {
      try {
        for (const a of await alarmsIn(d, region)) {
          const cur = seen.get(a.name) ?? { state: 'OK', alarmIn: [] };
          if ((RANK[a.state] ?? 0) > (RANK[cur.state] ?? 0) || !seen.has(a.name)) cur.state = a.state;
          if (a.state === 'ALARM') cur.alarmIn.push(region);
          seen.set(a.name, cur);
        }
      } catch {
        failedRegions.push(region);
      }
    }),
  );
  const byTarget = new Map<string, AlarmView>();
  for (const t of targets) {
    const v = seen.get(d.names.canaryConsensusAlarm(t));
    byTarget.set(t, v ? { state: v.state, alarmIn: v.alarmIn } : { state: 'unknown', alarmIn: [] });
  }
  return { byTarget, failedRegions };
}

async function alarmsIn(d: Deps, region: string): Promise<{ name: string; state: string }[]> {
  const out: { name: string; state: string }[] = [];
  let token: string | undefined;
  do {
    const res = await aws(d, region, 'cloudwatch:DescribeAlarms', (o) =>
      d.clients(region).cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: d.names.alarmPrefix(),
          AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
          ...(token ? { NextToken: token } : {}),
        }),
        o,
      ),
    );
    for (const a of [...(res.CompositeAlarms ?? []), ...(res.MetricAlarms ?? [])]) {
      if (a.AlarmName) out.push({ name: a.AlarmName, state: a.StateValue ?? 'unknown' });
    }
    token = res.NextToken;
  } while (token);
  return out;
}

/** The alarms of one region in ALARM, or null with why they could not be read. */
export interface AlarmsInAlarm {
  readonly alarms: string[] | null;
  readonly error?: string;
}

/**
 * The alarms of `region` named `prefix…` (of `types`) in ALARM, one DescribeAlarms call; never throws
 * but for credentials and Ctrl-C. For a capability's own alarms (`payments-`, `notify-`).
 */
export async function alarmsInAlarm(
  d: Deps,
  region: string,
  prefix: string,
  types: readonly ('MetricAlarm' | 'CompositeAlarm')[],
): Promise<AlarmsInAlarm> {
  try {
    const res = await aws(d, region, 'cloudwatch:DescribeAlarms', (o) =>
      d
        .clients(region)
        .cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: 'ALARM', AlarmTypes: [...types] }),
          o,
        ),
    );
    return {
      alarms: [...(res.MetricAlarms ?? []), ...(res.CompositeAlarms ?? [])]
        .filter((a) => a.AlarmName?.startsWith(prefix) && a.StateValue === 'ALARM')
        .map((a) => a.AlarmName as string),
    };
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    return { alarms: null, error: describeError(e, d.profile) };
  }
}
