import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import {
  GetHealthCheckCommand,
  ListHealthChecksCommand,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { main } from '../../cli/main';
import { fastPathSeconds } from '../../cli/failover/fastSwitch';
import { loadConfig } from '../../lib/config/load';
import { EDGE, PRIMARY, STANDBY, timeout, World } from '../cli/world';

/** World with promotion completing on the next poll and the region checks' HealthThreshold held in `thresholds`. */
function world(): { w: World; thresholds: Record<string, number> } {
  const w = new World();
  const thresholds: Record<string, number> = {};
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
  const r53 = w.m(EDGE).route53;
  r53.on(GetHealthCheckCommand).callsFake((input: { HealthCheckId: string }) => ({
    HealthCheck: {
      Id: input.HealthCheckId,
      HealthCheckVersion: 3,
      HealthCheckConfig: {
        Type: 'CALCULATED',
        ChildHealthChecks: ['e', 'e2', 's1', 's2'],
        HealthThreshold: thresholds[input.HealthCheckId] ?? 3,
      },
    },
  }));
  r53.on(UpdateHealthCheckCommand).callsFake((input: { HealthCheckId: string; HealthThreshold: number }) => {
    thresholds[input.HealthCheckId] = input.HealthThreshold;
    return {};
  });
  return { w, thresholds };
}

const run = (w: World, ...argv: string[]) =>
  main(argv, { ...w.overrides(), interactive: false, fastSwitch: true });
const updates = (w: World) =>
  w
    .m(EDGE)
    .route53.commandCalls(UpdateHealthCheckCommand)
    .map((c) => c.args[0].input);

test('the fast path of the default config: 10 s × 3 + 60 s TTL = 90 s', () => {
  expect(fastPathSeconds({ config: loadConfig('default') })).toBe(90);
});

test('failover with the Route 53 API answering: drains (data plane) and holds the region check out: 5 of 4 children (exact call)', async () => {
  const { w } = world();
  expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
  expect(updates(w)).toEqual([
    { HealthCheckId: 'hc-region-ap-northeast-2', HealthCheckVersion: 3, HealthThreshold: 5 },
  ]);
  expect(w.out).toMatch(
    /\[ OK \] 3\. Fast path: take the region health check of ap-northeast-2 out .*fast path acted: hc-region-ap-northeast-2 needs 5 of 4 healthy \(always unhealthy\), traffic moves within 90 s/,
  );
  expect(w.mutatingCalls()).toContain(`${STANDBY} PutParameter`);
  const audit = JSON.stringify(w.auditRecords());
  expect(audit).toContain('fast path acted');
});

test('--dry-run shows both paths and their timings, changes nothing', async () => {
  const { w } = world();
  expect(await run(w, 'failover', '--to', STANDBY, '--dry-run')).toBe(0);
  expect(w.out).toContain(
    'traffic moves within 10 s × 3 + 60 s TTL = 90 s (else the drain switch moves it in 2-5 min)',
  );
  expect(updates(w)).toEqual([]);
});

test('Route 53 control plane down: the failover still completes on the drain switch, with a warning', async () => {
  const { w } = world();
  w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
  expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
  expect(updates(w)).toEqual([]);
  expect(w.out + w.err).toContain('the data-plane drain switch alone moves traffic (2-5 min)');
  expect(w.out).toMatch(/Fast path: take .*: data-plane switch only/);
  expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(1);
});

test('UpdateHealthCheck rejected (a concurrent change): a warning, never a failed failover', async () => {
  const { w } = world();
  w.m(EDGE)
    .route53.on(UpdateHealthCheckCommand)
    .rejects(Object.assign(new Error('version mismatch'), { name: 'HealthCheckVersionMismatch' }));
  expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
  expect(w.out + w.err).toContain('Route 53 control plane unavailable');
});

test('failback restores the deployed threshold before it undrains', async () => {
  const { w, thresholds } = world();
  w.state.writer = STANDBY;
  w.state.drained[PRIMARY] = { [STANDBY]: true, [EDGE]: true };
  thresholds['hc-region-ap-northeast-2'] = 5;
  expect(await run(w, 'failback', '--yes')).toBe(0);
  expect(updates(w)).toEqual([
    { HealthCheckId: 'hc-region-ap-northeast-1', HealthCheckVersion: 3, HealthThreshold: 0 },
    { HealthCheckId: 'hc-region-ap-northeast-1', HealthCheckVersion: 3, HealthThreshold: 3 },
    { HealthCheckId: 'hc-region-ap-northeast-2', HealthCheckVersion: 3, HealthThreshold: 3 },
  ]);
  const restoreAt = w.out.indexOf('[ OK ] 6. Restore the region health check of ap-northeast-2');
  const undrainAt = w.out.indexOf('[ OK ] 7. Undrain ap-northeast-2');
  expect(restoreAt).toBeGreaterThan(0);
  expect(undrainAt).toBeGreaterThan(restoreAt);
});

test('failback holds the serving region in DNS (0 of 4: always healthy) during the switchover and ends the hold right after the verification', async () => {
  const { w, thresholds } = world();
  w.state.writer = STANDBY;
  w.state.drained[PRIMARY] = { [STANDBY]: true, [EDGE]: true };
  // the threshold of the serving region's check when the switchover was requested
  let duringSwitchover: number | undefined;
  w.m(PRIMARY)
    .rds.on(SwitchoverGlobalClusterCommand)
    .callsFake(() => {
      duringSwitchover = thresholds['hc-region-ap-northeast-1'];
      w.onSleep = () => {
        w.state.writer = PRIMARY;
        w.state.healthz[PRIMARY] = { status: 200, mode: 'read-write', db: 'writer' };
      };
      return {};
    });
  expect(await run(w, 'failback', '--yes')).toBe(0);
  expect(duringSwitchover).toBe(0);
  expect(thresholds['hc-region-ap-northeast-1']).toBe(3);
  expect(w.out).toMatch(
    /\[ OK \] 1\. Hold ap-northeast-1 in DNS during the switchover .*hc-region-ap-northeast-1 held in: needs 0 of 4 healthy \(always healthy\)/,
  );
  expect(w.out).toMatch(
    /\[ OK \] 4\. Verify ap-northeast-2 serves read-write[\s\S]*\[ OK \] 5\. End the hold on ap-northeast-1 once its \/healthz is back/,
  );
});

test('failback with the Route 53 API down still completes (warning), the drain switch undone', async () => {
  const { w } = world();
  w.state.writer = STANDBY;
  w.state.drained[PRIMARY] = { [STANDBY]: true, [EDGE]: true };
  w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
  const code = await run(w, 'failback', '--yes');
  expect(code).toBe(0);
  expect(w.out + w.err).toContain(
    'could not make sure the region health check of ap-northeast-2 is as deployed',
  );
  expect(w.out + w.err).toContain('ap-northeast-1 is not held in');
  expect(w.state.drained[PRIMARY][STANDBY]).toBe(false);
});
