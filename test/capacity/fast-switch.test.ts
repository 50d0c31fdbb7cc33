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

/** World with promotion completing on the next poll and Route 53 health checks holding `inverted`. */
function world(): { w: World; inverted: Record<string, boolean> } {
  const w = new World();
  const inverted: Record<string, boolean> = {};
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
      HealthCheckConfig: { Type: 'HTTPS', Inverted: inverted[input.HealthCheckId] ?? false },
    },
  }));
  r53.on(UpdateHealthCheckCommand).callsFake((input: { HealthCheckId: string; Inverted: boolean }) => {
    inverted[input.HealthCheckId] = input.Inverted;
    return {};
  });
  return { w, inverted };
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

test('failover with the Route 53 API answering: drains (data plane) and inverts the endpoint check (exact call)', async () => {
  const { w } = world();
  expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
  expect(updates(w)).toEqual([
    { HealthCheckId: 'hc-endpoint-ap-northeast-2', HealthCheckVersion: 3, Inverted: true },
  ]);
  expect(w.out).toMatch(
    /\[ OK \] 3\. Fast path: invert the endpoint health check of ap-northeast-2 .*fast path acted: hc-endpoint-ap-northeast-2 inverted, traffic moves within 90 s/,
  );
  expect(w.mutatingCalls()).toContain(`${STANDBY} PutParameter`);
  const audit = JSON.stringify(w.auditRecords());
  expect(audit).toContain('fast path acted');
});

test('--dry-run shows both paths and their timings, changes nothing', async () => {
  const { w } = world();
  expect(await run(w, 'failover', '--to', STANDBY, '--dry-run')).toBe(0);
  expect(w.out).toContain(
    'traffic moves within 10 s × 3 + 60 s TTL = 90 s (else the drain switch moves it in 2-3 min)',
  );
  expect(updates(w)).toEqual([]);
});

test('Route 53 control plane down: the failover still completes on the drain switch, with a warning', async () => {
  const { w } = world();
  w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
  expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
  expect(updates(w)).toEqual([]);
  expect(w.out + w.err).toContain('the data-plane drain switch alone moves traffic (2-3 min)');
  expect(w.out).toMatch(/Fast path: invert .*: data-plane switch only/);
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

test('failback restores the inverted check before it undrains', async () => {
  const { w, inverted } = world();
  w.state.writer = STANDBY;
  w.state.drained[PRIMARY] = { [STANDBY]: true };
  inverted['hc-endpoint-ap-northeast-2'] = true;
  expect(await run(w, 'failback', '--yes')).toBe(0);
  expect(updates(w)).toEqual([
    { HealthCheckId: 'hc-endpoint-ap-northeast-2', HealthCheckVersion: 3, Inverted: false },
  ]);
  const restoreAt = w.out.indexOf('[ OK ] 4. Restore the endpoint health check of ap-northeast-2');
  const undrainAt = w.out.indexOf('[ OK ] 6. Undrain ap-northeast-2');
  expect(restoreAt).toBeGreaterThan(0);
  expect(undrainAt).toBeGreaterThan(restoreAt);
});

test('failback with the Route 53 API down still completes (warning), the drain switch undone', async () => {
  const { w } = world();
  w.state.writer = STANDBY;
  w.state.drained[PRIMARY] = { [STANDBY]: true };
  w.m(EDGE).route53.on(ListHealthChecksCommand).rejects(timeout());
  const code = await run(w, 'failback', '--yes');
  expect(code).toBe(0);
  expect(w.out + w.err).toContain('could not make sure the endpoint check of ap-northeast-2 is not inverted');
  expect(w.state.drained[PRIMARY][STANDBY]).toBe(false);
});
