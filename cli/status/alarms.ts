import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { aws } from '../aws/errors';
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
