import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
} from '@aws-sdk/client-route-53';
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { CHECKS } from '../../lambda/readiness/checks';
import { EDGE, PRIMARY, STANDBY, T0, World, timeout } from './world';

describe('shopctl status', () => {
  test('healthy topology: table, exit 0, exact read calls', async () => {
    const w = new World();
    const code = await w.run('status');
    expect(code).toBe(0);
    expect(w.out).toContain('shop.example.com -> ap-northeast-2 (primary)');
    expect(w.out).toMatch(/ap-northeast-2\s+primary\s+healthy 16\/16 checkers/);
    expect(w.out).toContain('NORMAL: customers are served read-write by the primary ap-northeast-2 (exit 0)');
    expect(w.out).toContain('writer ap-northeast-2, status available');
    expect(w.mutatingCalls()).toEqual([]);
    const r53 = w.m(EDGE).route53;
    expect(r53.commandCalls(ListHealthChecksCommand)).toHaveLength(1);
    expect(r53.commandCalls(ListTagsForResourcesCommand)[0].args[0].input).toEqual({
      ResourceType: 'healthcheck',
      ResourceIds: [
        'hc-endpoint-ap-northeast-2',
        'hc-endpoint-ap-northeast-1',
        'hc-region-ap-northeast-2',
        'hc-region-ap-northeast-1',
      ],
    });
    expect(
      r53
        .commandCalls(GetHealthCheckStatusCommand)
        .map((c) => c.args[0].input.HealthCheckId)
        .sort(),
    ).toEqual(['hc-endpoint-ap-northeast-1', 'hc-endpoint-ap-northeast-2']);
    expect(w.m(PRIMARY).rds.commandCalls(DescribeGlobalClustersCommand)[0].args[0].input).toEqual({
      GlobalClusterIdentifier: 'resilient-shop-global',
    });
    // lag is read in the secondary only; the standby's readiness is read from its own CloudWatch
    expect(w.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    const metricReads = w
      .m(STANDBY)
      .cloudwatch.commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input);
    expect(metricReads).toHaveLength(2);
    const readinessRead = metricReads.find((q) => q.MetricDataQueries?.[0].Id === 'ready');
    expect(readinessRead).toEqual({
      StartTime: new Date(T0.getTime() - 15 * 60_000),
      EndTime: T0,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
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
        },
        ...CHECKS.map((c, i) => ({
          Id: `check${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'resilient-shop/readiness',
              MetricName: 'CheckFailed',
              Dimensions: [
                { Name: 'Region', Value: STANDBY },
                { Name: 'Check', Value: c },
              ],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        })),
      ],
    });
    // the switch path: HealthThreshold of each region check, one GetHealthCheck each
    expect(
      r53
        .commandCalls(GetHealthCheckCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => String(a.HealthCheckId).localeCompare(String(b.HealthCheckId))),
    ).toEqual([{ HealthCheckId: 'hc-region-ap-northeast-1' }, { HealthCheckId: 'hc-region-ap-northeast-2' }]);
    expect(w.out).toContain('Readiness       ap-northeast-1 READY at 2026-05-01T02:58:00.000Z');
    expect(w.out).toContain('Switch path     ap-northeast-2 in rotation; ap-northeast-1 in rotation');
    expect(metricReads.find((q) => q.MetricDataQueries?.[0].Id === 'lag')).toEqual({
      StartTime: new Date(T0.getTime() - 300_000),
      EndTime: T0,
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'AuroraGlobalDBReplicationLag',
              Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'resilient-shop-ap-northeast-1' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    expect(
      w
        .m(STANDBY)
        .cloudwatch.commandCalls(DescribeAlarmsCommand)
        .map((c) => c.args[0].input),
    ).toEqual(
      expect.arrayContaining([
        { AlarmNames: ['resilient-shop-switch-ap-northeast-2-drained'] },
        { AlarmNamePrefix: 'resilient-shop-', AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] },
      ]),
    );
    expect(w.out).toMatch(/ap-northeast-1\s+standby.*secondary\s+40 ms\s+200 read-only db secondary/);
  });

  test('primary down: outage or standby, consensus alarm → exit 1 with reasons', async () => {
    const w = new World();
    w.state.healthz[PRIMARY] = null;
    w.state.endpointHealthy[PRIMARY] = 0;
    w.state.alarms[PRIMARY] = 'ALARM';
    w.state.resolvesTo = 'outage';
    const code = await w.run('status');
    expect(code).toBe(1);
    expect(w.out).toContain('shop.example.com -> the OUTAGE PAGE');
    expect(w.out).toMatch(/ap-northeast-2\s+primary\s+unhealthy 0\/16 checkers/);
    expect(w.out).toContain(
      'AFFECTED: canary consensus alarm resilient-shop-down-ap-northeast-2 is in ALARM',
    );
    expect(w.out).toContain('resolves to the outage page');
  });

  test('after failover: served read-write by the standby → verdict failed-over, exit 1', async () => {
    const w = new World();
    w.state.writer = STANDBY;
    w.state.resolvesTo = STANDBY;
    w.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
    w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
    w.state.healthz[PRIMARY] = { status: 503, mode: 'read-only', db: 'secondary' };
    const code = await w.run('status');
    expect(code).toBe(1);
    expect(w.out).toContain('FAILED-OVER: customers are served read-write by standby ap-northeast-1');
    expect(w.out).toMatch(
      /ap-northeast-2\s+primary.*DRAINED \(ap-northeast-1:drained\/ALARM us-east-1:drained\/ALARM\)/,
    );
    expect(w.out).toContain(
      'Switch path     ap-northeast-2 kept off by drain switch; ap-northeast-1 in rotation',
    );
  });

  test('after a fast failover: both paths acting on the primary are shown, and in the JSON', async () => {
    const w = new World();
    w.state.writer = STANDBY;
    w.state.resolvesTo = STANDBY;
    w.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
    w.state.heldOut = { [PRIMARY]: true };
    w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
    expect(await w.run('status')).toBe(1);
    expect(w.out).toContain(
      'Switch path     ap-northeast-2 kept off by drain switch + Route 53 fast path (region check held out); ap-northeast-1 in rotation',
    );
    expect(w.out).not.toContain('warning:');
    const j = new World();
    j.state = { ...w.state };
    expect(await j.run('status', '--json')).toBe(1);
    const doc = JSON.parse(j.out);
    expect(doc.regions.map((r: { switchPath: unknown }) => r.switchPath)).toEqual([
      { acting: ['drain-switch', 'route53-fast-path'], route53FastPath: true },
      { acting: [], route53FastPath: false },
    ]);
  });

  test('a region check left held out while its switch serves is warned about', async () => {
    const w = new World();
    w.state.heldOut = { [STANDBY]: true };
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain('ap-northeast-1 kept off by Route 53 fast path (region check held out)');
    expect(w.out).toContain(
      'warning: the region health check of ap-northeast-1 is held out (fast path) while its drain switch is serving: Route 53 keeps customers off ap-northeast-1; "npx shopctl failback" restores it',
    );
  });

  test('GetHealthCheck not answering: the Route 53 path is unknown with the reason, status does not fail', async () => {
    const w = new World();
    w.m(EDGE).route53.on(GetHealthCheckCommand).rejects(timeout());
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain(
      'Switch path     ap-northeast-2 in rotation (Route 53 fast-path state unknown: route53:GetHealthCheck in us-east-1 did not answer (TimeoutError: Connection timed out after 3000 ms).',
    );
    expect(w.out).toContain('NORMAL: customers are served read-write by the primary');
  });

  test('readiness NOT READY: shown with the failed checks and warned about; the verdict stays about customers', async () => {
    const w = new World();
    w.state.readiness = { [STANDBY]: { ready: 0, failed: ['warm-pool', 'certificate'] } };
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain(
      'Readiness       ap-northeast-1 NOT READY (failed: warm-pool, certificate) at 2026-05-01T02:58:00.000Z',
    );
    expect(w.out).toContain(
      'warning: a failover to ap-northeast-1 would not succeed now: readiness NOT READY (failed: warm-pool, certificate); run "npx shopctl check --target ap-northeast-1" for details',
    );
  });

  test("readiness: the standby's CloudWatch not answering → read from the primary's copy; nothing published → unknown", async () => {
    const w = new World();
    w.state.readiness = { [STANDBY]: { ready: 0, failed: ['database'] } };
    w.m(STANDBY).cloudwatch.on(GetMetricDataCommand).rejects(timeout());
    expect(await w.run('status', '--json')).toBe(0);
    const doc = JSON.parse(w.out);
    expect(doc.regions[0].readiness).toBeUndefined(); // the primary is not a failover target
    expect(doc.regions[1].readiness).toEqual({
      region: STANDBY,
      state: 'not-ready',
      failed: ['database'],
      at: '2026-05-01T02:58:00.000Z',
    });
    const fromPrimary = w.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand);
    expect(fromPrimary).toHaveLength(1);
    expect(fromPrimary[0].args[0].input.MetricDataQueries?.[0].MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'Region', Value: STANDBY },
    ]);

    const u = new World();
    u.state.readiness = {};
    expect(await u.run('status')).toBe(0);
    expect(u.out).toContain('Readiness       ap-northeast-1 unknown (no readiness published in 15 min)');
    // an answer, even an empty one, is not retried elsewhere
    expect(u.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  test('Route 53 API failing: health checks unknown, every other section still shown', async () => {
    const w = new World();
    w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
    const code = await w.run('status');
    expect(code).toBe(0);
    expect(w.out).toContain(
      'Route 53 API    unknown (Route 53 API unreachable): route53:ListHealthChecks in us-east-1 did not answer',
    );
    expect(w.out).toMatch(/ap-northeast-2\s+primary\s+unknown \(Route 53 API unreachable\)\s+serving/);
    expect(w.out).toContain('writer ap-northeast-2, status available');
    expect(w.out).toContain('Notice          none');
    expect(w.out).toContain(
      'Switch path     ap-northeast-2 in rotation (Route 53 fast-path state unknown: Route 53 API unreachable); ap-northeast-1 in rotation (Route 53 fast-path state unknown: Route 53 API unreachable)',
    );
    expect(w.m(EDGE).route53.commandCalls(GetHealthCheckCommand)).toHaveLength(0);
  });

  test('nothing can be determined → exit 3', async () => {
    const w = new World();
    w.state.resolvesTo = 'nowhere';
    const code = await w.run('status');
    expect(code).toBe(3);
    expect(w.out).toContain('UNKNOWN: could not tell where shop.example.com resolves');
  });

  test('--json prints one document with every section', async () => {
    const w = new World();
    w.state.notice = JSON.stringify({
      severity: 'minor',
      message: { ko: '점검', en: 'Maintenance' },
      updatedAt: '2026-05-01T02:00:00.000Z',
      nextUpdateAt: null,
      regions: { [PRIMARY]: 'operational', [STANDBY]: 'operational' },
    });
    const code = await w.run('status', '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(w.out);
    expect(Object.keys(doc).sort()).toEqual(
      [
        'canary',
        'channels',
        'config',
        'database',
        'dns',
        'domainName',
        'exitCode',
        'notice',
        'payments',
        'primaryRegion',
        'reasons',
        'regions',
        'route53',
        'secret',
        'time',
        'verdict',
        'warnings',
      ].sort(),
    );
    expect(doc.verdict).toBe('normal');
    expect(doc.dns.resolvesTo).toBe(PRIMARY);
    expect(doc.notice.state).toBe('active');
    expect(doc.regions[1]).toMatchObject({
      region: STANDBY,
      role: 'standby',
      endpoint: { state: 'healthy', healthy: 16, total: 16 },
      switch: {
        state: 'serving',
        holders: [
          { holder: PRIMARY, value: 'serving', alarm: 'OK' },
          { holder: EDGE, value: 'serving', alarm: 'OK' },
        ],
      },
      db: { role: 'secondary', lagMs: 40 },
      canary: { state: 'OK' },
      healthz: { status: 200, mode: 'read-only', db: 'secondary' },
    });
  });

  test('no credentials → one-line error, no stack, exit 3, and the public DNS answer and /healthz', async () => {
    const w = new World();
    const noCreds = () =>
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    for (const r of [PRIMARY, STANDBY]) w.m(r).rds.on(DescribeGlobalClustersCommand).rejects(noCreds());
    const code = await w.run('status');
    expect(code).toBe(3);
    expect(w.stderr).toHaveLength(1);
    expect(w.err).toMatch(/^No AWS credentials found\. Fix: run "aws sso login"/);
    expect(w.err).not.toContain('    at ');
    // what needs no credentials is still shown: public DNS and each region's /healthz
    expect(w.out).toContain('Without credentials, only what is public (AWS state unknown):');
    expect(w.out).toContain('  shop.example.com resolves to ap-northeast-2 (3.3.3.2)');
    expect(w.out).toContain('  ap-northeast-2 /healthz: 200 read-write db writer');
    expect(w.out).toContain('  ap-northeast-1 /healthz: 200 read-only db secondary');
  });

  test('shows each replica of the database secret with its ReplicationStatus (DescribeSecret, exact input)', async () => {
    const w = new World();
    expect(await w.run('status')).toBe(0);
    for (const r of [PRIMARY, STANDBY]) {
      expect(
        w
          .m(r)
          .secrets.commandCalls(DescribeSecretCommand)
          .map((c) => c.args[0].input),
      ).toEqual([{ SecretId: 'resilient-shop/db/master' }]);
    }
    expect(w.out).toContain(
      'DB secret       resilient-shop/db/master (home ap-northeast-2): ap-northeast-1 InSync (Replication succeeded)',
    );
    expect(w.out).toMatch(/ap-northeast-1\s+standby.*InSync\s+OK/);
    expect(w.out).not.toContain('warning:');
  });

  test('a failed replica is shown with its message and warned about; the verdict stays about customers', async () => {
    const w = new World();
    w.state.secretReplica = {
      Status: 'Failed',
      StatusMessage: 'Encryption key alias/resilient-shop-data does not exist in ap-northeast-1',
    };
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain(
      'ap-northeast-1 Failed (Encryption key alias/resilient-shop-data does not exist in ap-northeast-1)',
    );
    expect(w.out).toContain(
      "warning: the database secret's replica in ap-northeast-1 is FAILED (Encryption key alias/resilient-shop-data does not exist in ap-northeast-1): the shop there cannot read its credentials, so a failover to ap-northeast-1 would not serve",
    );
  });

  test('a replica removed by Secrets Manager shows as MISSING; a stalled home leaves it unknown', async () => {
    const w = new World();
    w.m(STANDBY)
      .secrets.on(DescribeSecretCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    w.m(PRIMARY)
      .secrets.on(DescribeSecretCommand)
      .resolves({ Name: 'resilient-shop/db/master', ReplicationStatus: [] });
    expect(await w.run('status', '--json')).toBe(0);
    const doc = JSON.parse(w.out);
    expect(doc.regions[1].secret).toEqual({
      region: STANDBY,
      state: 'missing',
      detail: 'no secret resilient-shop/db/master in ap-northeast-1',
    });
    expect(doc.warnings).toHaveLength(1);

    const u = new World();
    u.m(PRIMARY).secrets.on(DescribeSecretCommand).rejects(timeout());
    expect(await u.run('status', '--json')).toBe(0);
    const docU = JSON.parse(u.out);
    expect(docU.secret.home).toBe(PRIMARY);
    expect(docU.regions[1].secret.state).toBe('unknown');
    expect(docU.regions[1].secret.detail).toContain('its status is known only to ap-northeast-2');
  });
});
