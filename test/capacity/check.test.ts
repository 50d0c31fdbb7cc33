import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { arnOf, PRIMARY, STANDBY, T0, World } from '../cli/world';
import { readPublishedReadiness } from '../../cli/readiness/readiness';
import type { Deps } from '../../cli/aws/deps';
import { CHECKS } from '../../lambda/readiness/checks';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { readyStandbyGroup, stoppedWarmPool } from './fixtures';

const asg = mockClient(AutoScalingClient);
const acm = mockClient(ACMClient);
const secrets = mockClient(SecretsManagerClient);
const ago = (min: number) => new Date(T0.getTime() - min * 60_000);
const series = (id: string, values: number[]) => ({
  Id: id,
  Values: values,
  Timestamps: values.map((_, i) => ago(i + 1)),
});

let w: World;
beforeEach(() => {
  w = new World();
  for (const m of [asg, acm, secrets]) m.reset();
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [readyStandbyGroup(T0)] });
  asg.on(DescribeWarmPoolCommand).resolves({ Instances: stoppedWarmPool('i-w1', 'i-w2') });
  acm.on(ListCertificatesCommand).resolves({
    CertificateSummaryList: [
      { CertificateArn: 'cert-other', SubjectAlternativeNameSummaries: ['shop.example.com'] },
      {
        CertificateArn: 'cert-standby',
        SubjectAlternativeNameSummaries: ['shop.example.com', `${STANDBY}.shop.example.com`],
      },
    ],
  });
  acm
    .on(DescribeCertificateCommand)
    .resolves({ Certificate: { Status: 'ISSUED', NotAfter: new Date('2026-12-31T00:00:00Z') } });
  secrets
    .on(DescribeSecretCommand)
    .resolves({ ReplicationStatus: [{ Region: STANDBY, Status: 'InSync' }], PrimaryRegion: PRIMARY });
  w.m(STANDBY)
    .rds.on(DescribeDBClustersCommand)
    .resolves({ DBClusters: [{ Status: 'available', DBClusterArn: arnOf(STANDBY) }] });
  w.m(STANDBY)
    .cloudwatch.on(GetMetricDataCommand)
    .resolves({
      MetricDataResults: [
        series('lag', [40]),
        series('sw0', [0]),
        series('can0', [0, 0, 0]),
        series('can1', [0, 0, 0]),
        series('mir0', [2]),
      ],
    });
  // The World's clock is the readiness check's "now".
  w.clock = T0.getTime();
});

test('shopctl check: every check of the standby, located by its stack tag and direct name; exit 0 when ready', async () => {
  expect(await w.run('check')).toBe(0);
  expect(w.out).toMatch(/ap-northeast-1 +secret-replica +ok +InSync/);
  expect(w.out).toMatch(/ap-northeast-1 +database +ok +secondary available, lag 40 ms \(limit 1000\)/);
  expect(w.out).toContain('ap-northeast-1: READY');
  expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input).toEqual({
    Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: ['resilient-shop-ap-northeast-1'] }],
  });
  expect(acm.commandCalls(DescribeCertificateCommand)[0].args[0].input).toEqual({
    CertificateArn: 'cert-standby',
  });
  expect(asg.commandCalls(DescribeWarmPoolCommand)[0].args[0].input).toEqual({
    AutoScalingGroupName: 'standby-asg',
  });
});

test('a failing check: exit 1 with the reason in the row', async () => {
  asg.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
  expect(await w.run('check')).toBe(1);
  expect(w.out).toMatch(/warm-pool +FAIL +0 of 0 warm-pool instances initialised, minimum 2/);
  expect(w.out).toContain('ap-northeast-1: NOT READY');
});

test('a region that cannot be located: exit 3 and why', async () => {
  acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [] });
  expect(await w.run('check', '--json')).toBe(3);
  expect(JSON.parse(w.out).regions[0]).toEqual({
    region: STANDBY,
    ready: null,
    checks: [],
    error: 'no certificate for ap-northeast-1.shop.example.com in ap-northeast-1',
  });
});

test('an unknown region is refused with the choices', async () => {
  expect(await w.run('check', '--target', 'eu-west-9')).toBe(2);
  expect(w.err).toContain(
    '--target eu-west-9 is not a region of config default. Use one of ap-northeast-2, ap-northeast-1',
  );
});

describe('readiness as published (for shopctl status)', () => {
  const deps = (w: World) =>
    ({
      config: loadConfig('default'),
      names: new Names(loadConfig('default')),
      clients: w.overrides().clients,
      now: () => T0,
      signal: new AbortController().signal,
      callTimeoutMs: 5_000,
    }) as unknown as Deps;

  test('not ready, with the failed checks, read from any live region (exact query)', async () => {
    w.m(PRIMARY)
      .cloudwatch.on(GetMetricDataCommand)
      .resolves({
        MetricDataResults: [
          { Id: 'ready', Values: [0, 1], Timestamps: [ago(3), ago(8)] },
          { Id: 'check3', Values: [1, 0] },
          { Id: 'check5', Values: [0] },
        ],
      });
    const r = await readPublishedReadiness(deps(w), STANDBY, PRIMARY);
    expect(r).toEqual({ region: STANDBY, state: 'not-ready', failed: ['warm-pool'], at: ago(3) });
    const q = w.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(q.MetricDataQueries?.[0]).toEqual({
      Id: 'ready',
      MetricStat: {
        Metric: {
          Namespace: 'resilient-shop/readiness',
          MetricName: 'Ready',
          Dimensions: [{ Name: 'Region', Value: STANDBY }],
        },
        Period: 300,
        Stat: 'Maximum',
      },
    });
    expect(q.MetricDataQueries).toHaveLength(1 + CHECKS.length);
  });

  test('nothing published, or CloudWatch not answering: unknown with the reason', async () => {
    w.m(STANDBY).cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    expect(await readPublishedReadiness(deps(w), STANDBY)).toEqual({
      region: STANDBY,
      state: 'unknown',
      failed: [],
      error: 'no readiness published in 15 min',
    });
    w.m(STANDBY).cloudwatch.on(GetMetricDataCommand).rejects(new Error('boom'));
    expect((await readPublishedReadiness(deps(w), STANDBY)).state).toBe('unknown');
  });
});

describe('check during a primary outage judges the takeover', () => {
  const staleMirror = () =>
    w
      .m(STANDBY)
      .cloudwatch.on(GetMetricDataCommand)
      .resolves({
        MetricDataResults: [
          series('lag', [40]),
          series('sw0', [0]),
          series('can0', [0, 0, 0]),
          series('can1', [0, 0, 0]),
          series('mir0', []),
        ],
      });

  test('the dead primary stopped mirroring its capacity: READY to take over, the row says why (was NOT READY)', async () => {
    staleMirror();
    w.state.healthz[PRIMARY] = null;
    expect(await w.run('check')).toBe(0);
    expect(w.out).toMatch(
      /capacity-mirror +ok +no mirrored capacity from ap-northeast-2 in \d+ min: the primary ap-northeast-2 is down/,
    );
    expect(w.out).toContain('ap-northeast-1: READY');
  });

  test('the same stale mirror with the primary up: NOT READY (the mirror is broken)', async () => {
    staleMirror();
    expect(await w.run('check')).toBe(1);
    expect(w.out).toMatch(/capacity-mirror +FAIL +no mirrored capacity from ap-northeast-2/);
  });
});
