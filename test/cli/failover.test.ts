import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ListHealthChecksCommand } from '@aws-sdk/client-route-53';
import { arnOf, EDGE, PRIMARY, STANDBY, T0, timeout, World } from './world';

/** A world in which a switchover/failover request completes on the next poll. */
function promotable(w: World): World {
  const start = (target: string) => () => {
    w.state.dbStatus = 'switching-over';
    w.onSleep = () => {
      w.state.writer = target;
      w.state.dbStatus = 'available';
      w.state.healthz[target] = { status: 200, mode: 'read-write', db: 'writer' };
      w.state.healthz[target === PRIMARY ? STANDBY : PRIMARY] = {
        status: 200,
        mode: 'read-only',
        db: 'secondary',
      };
    };
    return {};
  };
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r).rds.on(SwitchoverGlobalClusterCommand).callsFake(start(r));
    w.m(r).rds.on(FailoverGlobalClusterCommand).callsFake(start(r));
  }
  return w;
}

const FAILOVER = ['failover', '--to', STANDBY, '--yes'];

describe('shopctl failover', () => {
  test('planned: drain, switchover in the target region, wait, verify; exact calls in order', async () => {
    const w = promotable(new World());
    const code = await w.run(...FAILOVER);
    expect(w.err).toBe('');
    expect(code).toBe(0);
    // every holder of the primary's switch: the standby and the edge region (one vote each)
    expect(w.mutatingCalls()).toEqual([
      `${STANDBY} PutParameter`,
      `${EDGE} PutParameter`,
      `${STANDBY} PutMetricData`,
      `${EDGE} PutMetricData`,
      `${STANDBY} SwitchoverGlobalCluster`,
    ]);
    expect(w.m(EDGE).ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual(
      w.m(STANDBY).ssm.commandCalls(PutParameterCommand)[0].args[0].input,
    );
    expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({
      Name: '/resilient-shop/switch/ap-northeast-2',
      Value: 'drained',
      Type: 'String',
      Overwrite: true,
    });
    expect(w.m(STANDBY).cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input).toEqual({
      Namespace: 'resilient-shop/failover-switch',
      MetricData: [
        {
          MetricName: 'Drained',
          Dimensions: [{ Name: 'TargetRegion', Value: PRIMARY }],
          Value: 1,
          Unit: 'Count',
          Timestamp: T0,
        },
      ],
    });
    const sw = w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand);
    expect(sw).toHaveLength(1);
    expect(sw[0].args[0].input).toEqual({
      GlobalClusterIdentifier: 'resilient-shop-global',
      TargetDbClusterIdentifier: arnOf(STANDBY),
    });
    expect(sw[0].args[0].input).not.toHaveProperty('AllowDataLoss');
    expect(w.m(STANDBY).rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(w.m(PRIMARY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(w.out).toContain('Plan: planned failover to ap-northeast-1');
    expect(w.out).toMatch(/1\. Make sure ap-northeast-1 is not drained\s+\[already done, skipped\]/);
    expect(w.out).toContain(
      '[ OK ] 3. Promote the database to ap-northeast-1 (planned switchover, no data loss)',
    );
    expect(w.out).toMatch(
      /\[ OK \] 5\. Verify ap-northeast-1 serves read-write \(\/healthz\) \(0\.0 s\): 200 read-write db writer/,
    );
    expect(w.out).toMatch(/Done in \d/);
    const audit = w.auditRecords();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      user: { os: 'alice@laptop', arn: 'arn:aws:sts::111111111111:assumed-role/oncall/alice' },
      command: 'failover',
      args: FAILOVER,
      result: 'ok',
    });
  });

  test('unplanned: FailoverGlobalCluster with AllowDataLoss only with --unplanned, and a data-loss warning', async () => {
    const w = promotable(new World());
    const code = await w.run('failover', '--to', STANDBY, '--unplanned', '--yes');
    expect(code).toBe(0);
    const calls = w.m(STANDBY).rds.commandCalls(FailoverGlobalClusterCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        GlobalClusterIdentifier: 'resilient-shop-global',
        TargetDbClusterIdentifier: arnOf(STANDBY),
        AllowDataLoss: true,
      },
    ]);
    expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(w.out).toContain('UNPLANNED failover allows DATA LOSS');
  });

  test('unplanned with the old primary entirely down still works from the target region', async () => {
    const w = promotable(new World());
    w.m(PRIMARY).rds.rejects(timeout());
    w.m(PRIMARY).ssm.rejects(timeout());
    w.m(PRIMARY).cloudwatch.rejects(timeout());
    w.m(PRIMARY).logs.rejects(timeout());
    w.m(PRIMARY).sts.rejects(timeout());
    w.m(EDGE).route53.rejects(timeout());
    w.state.healthz[PRIMARY] = null;
    const code = await w.run('failover', '--to', STANDBY, '--unplanned', '--yes');
    expect(code).toBe(0);
    expect(w.m(STANDBY).rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(1);
    expect(w.out).toContain('endpoint health check: unknown (Route 53 API unreachable); relying on /healthz');
  });

  test('--planned and --unplanned together is a usage error', async () => {
    const w = new World();
    expect(await w.run('failover', '--to', STANDBY, '--planned', '--unplanned')).toBe(2);
    expect(w.err).toContain("option '--unplanned' cannot be used with option '--planned'");
    expect(w.calls()).toEqual([]);
  });

  test('--dry-run makes zero mutating calls and prints the plan', async () => {
    const w = promotable(new World());
    expect(await w.run('failover', '--to', STANDBY, '--dry-run')).toBe(0);
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.out).toContain(
      'Dry run: nothing changed. Would run: Drain ap-northeast-2; Promote the database',
    );
    expect(w.auditRecords()[0]).toMatchObject({ result: 'dry-run' });
  });

  test('unknown region: lists valid ones, exit 2, --force does not help, audited', async () => {
    const w = new World();
    expect(await w.run('failover', '--to', 'eu-west-1', '--yes', '--force')).toBe(2);
    expect(w.err).toBe(
      'Unknown region "eu-west-1". Valid regions (failover order): ap-northeast-2, ap-northeast-1. Nothing changed.',
    );
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()[0]).toMatchObject({ command: 'failover', result: 'refused' });
  });

  test.each([
    [
      'target endpoint check unhealthy',
      (w: World) => (w.state.endpointHealthy[STANDBY] = 1),
      'Refusing: ap-northeast-1 endpoint health check is unhealthy 1/16 checkers',
    ],
    [
      'target /healthz not 200',
      (w: World) => (w.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'secondary' }),
      'Refusing: ap-northeast-1 /healthz is not 200 (503 read-only db secondary)',
    ],
    [
      'replication lag above 2 x replicationLagAlarmMs',
      (w: World) => (w.state.lagMs = 2500),
      'Refusing: replication lag of ap-northeast-1 is 2500 ms, above the limit of 2000 ms (--max-lag-ms)',
    ],
    [
      "the target's copy of the database secret failed to replicate",
      (w: World) => (w.state.secretReplica = { Status: 'Failed', StatusMessage: 'KMS key not found' }),
      "Refusing: the database secret's replica in ap-northeast-1 is Failed (KMS key not found): the shop there cannot read its credentials",
    ],
    [
      'the credentials are for another account',
      (w: World) => (w.state.account = '222222222222'),
      'Refusing: the credentials are for account 222222222222 (arn:aws:sts::222222222222:assumed-role/oncall/alice), but config "default" is for account 111111111111. Fix: use the profile of account 111111111111 (--profile)',
    ],
  ])('refuses when %s (exit 2, nothing changed); --force overrides', async (_name, setup, message) => {
    const w = promotable(new World());
    setup(w);
    expect(await w.run(...FAILOVER)).toBe(2);
    expect(w.err).toContain(message);
    expect(w.err).toContain('If you are sure, re-run with --force.');
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()[0]).toMatchObject({ result: 'refused' });

    const f = promotable(new World());
    setup(f);
    const forced = await f.run(...FAILOVER, '--force');
    expect(f.out).toContain(`Overridden with --force: ${message.replace('Refusing: ', '')}`);
    expect(f.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(1);
    expect(forced).toBe(0);
  });

  test('--max-lag-ms overrides the limit', async () => {
    const w = promotable(new World());
    w.state.lagMs = 2500;
    expect(await w.run(...FAILOVER, '--max-lag-ms', '3000')).toBe(0);
  });

  test('no TTY and no --yes: refuses with exit 2 and says to pass --yes', async () => {
    const w = promotable(new World());
    expect(await w.run('failover', '--to', STANDBY)).toBe(2);
    expect(w.err).toContain('Re-run with --yes to confirm');
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('TTY: asks for confirmation; declining changes nothing', async () => {
    const w = promotable(new World());
    w.interactive = true;
    w.confirmAnswer = false;
    expect(await w.run('failover', '--to', STANDBY)).toBe(2);
    expect(w.out).toContain('Aborted. Nothing changed.');
    expect(w.mutatingCalls()).toEqual([]);
    w.confirmAnswer = true;
    expect(await w.run('failover', '--to', STANDBY)).toBe(0);
  });

  test('idempotent: already in effect (and verified) → no mutating calls, exit 0', async () => {
    const w = new World();
    w.state.writer = STANDBY;
    w.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
    w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toContain(
      'Already in effect: ap-northeast-1 is the database writer and ap-northeast-2 is drained; verified. Nothing changed.',
    );
    expect(w.out).toMatch(
      /\[ OK \] 5\. Verify ap-northeast-1 serves read-write .*: 200 read-write db writer/,
    );
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()[0]).toMatchObject({ result: 'already-in-effect' });
  });

  test('partial state resumes from the first step not done (drain done, DB not promoted)', async () => {
    const w = promotable(new World());
    w.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.mutatingCalls()).toEqual([`${STANDBY} SwitchoverGlobalCluster`]);
    expect(w.out).toContain('[SKIP] 2. Drain ap-northeast-2: already done');
  });

  test('a drained target is undrained first', async () => {
    const w = promotable(new World());
    w.state.drained = { [STANDBY]: { [PRIMARY]: true, [EDGE]: true } };
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.mutatingCalls().slice(0, 4)).toEqual([
      `${PRIMARY} PutParameter`,
      `${EDGE} PutParameter`,
      `${PRIMARY} PutMetricData`,
      `${EDGE} PutMetricData`,
    ]);
    expect(w.m(PRIMARY).ssm.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({
      Value: 'serving',
    });
  });

  test('Route 53 is never needed: failover succeeds with the Route 53 API down', async () => {
    const w = promotable(new World());
    w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
    expect(await w.run(...FAILOVER)).toBe(0);
  });
});
