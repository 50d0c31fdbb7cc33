/**
 * The drill's measuring parts without processes: the canary alarms as synthesized (M of N periods,
 * missing data not breaching, the composite "two vantage points" rule) evaluated over verdicts the
 * real canary would publish, and the per-customer outage arithmetic.
 */
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CanaryAlarmSpec, PagingAlarmSpec } from '../../scripts/drill-local/model';
import { LocalCloudWatch, outageSeconds, type Sample } from '../../scripts/drill-local/traffic';

const alarm = (vantage: string): CanaryAlarmSpec => ({
  logicalId: `A${vantage}`,
  stackRegion: 'r1',
  name: `down-from-${vantage}`,
  target: 'public',
  vantage,
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  threshold: 1,
});
const paging: PagingAlarmSpec = {
  stackRegion: 'r1',
  name: 'down-public',
  anyOf: [['down-from-v1', 'down-from-v2']],
};

async function verdict(cw: LocalCloudWatch, vantage: string, failed: boolean) {
  await cw.clientFor('r1').send(
    new PutMetricDataCommand({
      Namespace: 'n',
      MetricData: [
        {
          MetricName: 'TargetFailed',
          Dimensions: [
            { Name: 'Target', Value: 'public' },
            { Name: 'Vantage', Value: vantage },
          ],
          Value: failed ? 1 : 0,
        },
      ],
    }),
  );
}

describe('canary alarms over the verdicts (time scale 60: a 60 s period lasts 1 s)', () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  test('3 failing periods of 5 put a vantage in ALARM; 2 do not; missing periods do not breach', async () => {
    const cw = new LocalCloudWatch([alarm('v1'), alarm('v2')], [paging], 60);
    for (const failed of [true, false, true]) {
      await verdict(cw, 'v1', failed);
      now += 1000;
    }
    expect(cw.alarmState(alarm('v1'), now - 1)).toBe(false);
    await verdict(cw, 'v1', true);
    expect(cw.alarmState(alarm('v1'), now)).toBe(true);
    // Five periods later with no data, the alarm has nothing breaching left.
    expect(cw.alarmState(alarm('v1'), now + 5000)).toBe(false);
  });

  test('the page needs both vantage points (composite AND), and names the alarm and its region', async () => {
    const cw = new LocalCloudWatch([alarm('v1'), alarm('v2')], [paging], 60);
    for (let i = 0; i < 3; i++) {
      await verdict(cw, 'v1', true);
      now += 1000;
    }
    expect(cw.paged(now - 1)).toEqual([]);
    now -= 3000;
    for (let i = 0; i < 3; i++) {
      await verdict(cw, 'v2', true);
      now += 1000;
    }
    expect(cw.paged(now - 1)).toEqual(['down-public@r1']);
    expect(cw.firstFailure(0)).toBe(1_000_000);
  });
});

test('outage per customer: from the fault until the first success after the last failure; never failing is 0', () => {
  const s = (at: number, worker: number, ok: boolean): Sample => ({ at, worker, what: 'browse', ok });
  const samples = [
    s(1000, 0, false),
    s(2000, 0, true), // a lucky success, then failures again
    s(3000, 0, false),
    s(4500, 0, true),
    s(1500, 1, true),
    s(9000, 2, true), // after the window
  ];
  expect(outageSeconds(samples, 'browse', 1000, 8000)).toEqual([3.5, 0]);
  expect(outageSeconds(samples, 'buy', 1000, 8000)).toEqual([]);
});
