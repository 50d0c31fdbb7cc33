import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBClustersCommand,
  ModifyDBClusterCommand,
  SwitchoverGlobalClusterCommand,
  FailoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ACMClient } from '@aws-sdk/client-acm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../cli/main';
import { readCapacity, restorePostureStep } from '../../cli/capacity/capacity';
import type { Deps } from '../../cli/aws/deps';
import { Names } from '../../lib/config/names';
import { testConfig } from '../support/config';
import { EDGE, PRIMARY, STANDBY, World } from '../cli/world';

const asg = mockClient(AutoScalingClient);
const capacityClients = (r: string) => ({
  autoscaling: new AutoScalingClient({ region: r }),
  acm: new ACMClient({ region: r }),
  secrets: new SecretsManagerClient({ region: r }),
});

/** Per region: the group's min/desired and how many instances are healthy in service. */
let groups: Record<string, { min: number; desired: number; healthy: number; follows?: boolean }>;

function world(opts: { peak?: [number, number]; acuMin?: Record<string, number> } = {}): World {
  const w = new World();
  asg.reset();
  groups = { [PRIMARY]: { min: 2, desired: 2, healthy: 2 }, [STANDBY]: { min: 1, desired: 1, healthy: 1 } };
  asg.on(DescribeAutoScalingGroupsCommand).callsFake(async (input, getClient) => {
    const region = await getClient().config.region();
    const g = groups[region];
    // A following group is healthy at its desired size one poll after it was asked (the wait step's poll).
    const seen = { ...g };
    if (g.follows) g.healthy = g.desired;
    expect(input).toEqual({
      Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: [`resilient-shop-${region}`] }],
    });
    return {
      AutoScalingGroups: [
        {
          AutoScalingGroupName: `asg-${region}`,
          MinSize: seen.min,
          MaxSize: 12,
          DesiredCapacity: seen.desired,
          DefaultCooldown: 300,
          AvailabilityZones: [],
          HealthCheckType: 'ELB',
          CreatedTime: new Date(0),
          Instances: Array.from({ length: seen.healthy }, (_, i) => ({
            InstanceId: `i-${i}`,
            LifecycleState: 'InService' as const,
            HealthStatus: 'Healthy',
            AvailabilityZone: 'a',
            ProtectedFromScaleIn: false,
          })),
        },
      ],
    };
  });
  asg.on(UpdateAutoScalingGroupCommand).callsFake(async (input, getClient) => {
    const g = groups[await getClient().config.region()];
    g.min = input.MinSize;
    if (input.DesiredCapacity !== undefined) g.desired = input.DesiredCapacity;
    return {};
  });
  for (const r of [PRIMARY, STANDBY]) {
    const m = w.m(r);
    m.rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        { ServerlessV2ScalingConfiguration: { MinCapacity: opts.acuMin?.[r] ?? 2, MaxCapacity: 16 } },
      ],
    });
    m.rds.on(ModifyDBClusterCommand).resolves({});
    m.cloudwatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: { Id: string }[] }) => {
      if (!input.MetricDataQueries.some((q) => q.Id.startsWith('peak'))) {
        return { MetricDataResults: [{ Id: 'lag', Values: [w.state.lagMs, 5] }] };
      }
      const [ins, acu] = opts.peak ?? [5, 6];
      return {
        MetricDataResults: [
          { Id: 'peakins0', Values: [ins] },
          { Id: 'peakacu0', Values: [acu] },
        ],
      };
    });
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
    m.rds.on(SwitchoverGlobalClusterCommand).callsFake(start(r));
    m.rds.on(FailoverGlobalClusterCommand).callsFake(start(r));
  }
  return w;
}

/** Instances come up one poll after they are asked for. */
function instancesFollow(_w: World, region: string) {
  groups[region].follows = true;
}

const run = (w: World, ...argv: string[]) =>
  main(argv, { ...w.overrides(), interactive: false, capacityClients });
const updates = () => asg.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input);

describe('shopctl failover pre-scales the target', () => {
  test('--dry-run shows the numbers and changes nothing', async () => {
    const w = world();
    expect(await run(w, 'failover', '--to', STANDBY, '--dry-run')).toBe(0);
    expect(w.out).toContain(
      '2. Scale ap-northeast-1 to 6 instances and 7.5 ACU minimum (mirrored peak 5 instances / 6 ACU × 120 %)',
    );
    expect(w.out).toContain(
      'changes: UpdateAutoScalingGroup asg-ap-northeast-1 MinSize 1 -> 6, DesiredCapacity 1 -> 6; ModifyDBCluster resilient-shop-ap-northeast-1 MinCapacity 2 -> 7.5',
    );
    expect(w.out).toContain('3. Wait until 6 instances are in service and healthy in ap-northeast-1');
    expect(w.out).toMatch(/4\. Drain ap-northeast-2/);
    expect(updates()).toEqual([]);
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('planned: scale, wait for healthy capacity, then drain and switch over (exact calls, in order)', async () => {
    const w = world();
    instancesFollow(w, STANDBY);
    const healthyAtDrain: number[] = [];
    w.m(STANDBY)
      .ssm.on(PutParameterCommand)
      .callsFake((input: { Name: string; Value: string }) => {
        healthyAtDrain.push(groups[STANDBY].healthy);
        w.state.drained[PRIMARY] = { ...w.state.drained[PRIMARY], [STANDBY]: input.Value === 'drained' };
        return { Version: 1 };
      });
    expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(0);
    expect(updates()).toEqual([
      { AutoScalingGroupName: 'asg-ap-northeast-1', MinSize: 6, DesiredCapacity: 6 },
    ]);
    expect(w.m(STANDBY).rds.commandCalls(ModifyDBClusterCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'resilient-shop-ap-northeast-1',
      ServerlessV2ScalingConfiguration: { MinCapacity: 7.5, MaxCapacity: 16 },
      ApplyImmediately: true,
    });
    expect(w.mutatingCalls()).toEqual([
      `${STANDBY} PutParameter`,
      `${EDGE} PutParameter`,
      `${STANDBY} PutMetricData`,
      `${EDGE} PutMetricData`,
      `${STANDBY} SwitchoverGlobalCluster`,
    ]);
    expect(w.out).toMatch(
      /\[ OK \] 3\. Wait until 6 instances are in service and healthy in ap-northeast-1 .*: 6 healthy in service/,
    );
    // The drain came only after the capacity was there.
    expect(healthyAtDrain).toEqual([6]);
  });

  test('unplanned: requests the capacity and promotes without waiting for it', async () => {
    const w = world();
    w.state.healthz[PRIMARY] = null;
    expect(await run(w, 'failover', '--to', STANDBY, '--unplanned', '--yes', '--force')).toBe(0);
    expect(updates()).toEqual([
      { AutoScalingGroupName: 'asg-ap-northeast-1', MinSize: 6, DesiredCapacity: 6 },
    ]);
    expect(w.out).not.toContain('Wait until 6 instances');
    expect(w.m(STANDBY).rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(1);
  });

  test('failure at the scale step: nothing is drained, the half-done scale-up is reported with how to resume', async () => {
    const w = world();
    asg
      .on(UpdateAutoScalingGroupCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const code = await run(w, 'failover', '--to', STANDBY, '--yes');
    expect(code).toBe(4);
    expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(w.out + w.err).toContain('npx shopctl failover --to ap-northeast-1 --yes');
  });

  test('failure at the wait step (instances never healthy): gives up, nothing drained', async () => {
    const w = world();
    const code = await run(w, 'failover', '--to', STANDBY, '--yes');
    expect(code).toBe(4);
    expect(w.out + w.err).toContain('only 1 of 6 instances healthy in ap-northeast-1');
    expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  test('failure reading the capacity: a planned failover refuses (nothing changed); --force goes on without pre-scaling; an unplanned one goes on', async () => {
    const w = world();
    asg.on(DescribeAutoScalingGroupsCommand).rejects(new Error('AccessDenied'));
    expect(await run(w, 'failover', '--to', STANDBY, '--yes')).toBe(2);
    expect(w.err).toContain(
      'Refusing: could not read the capacity of ap-northeast-1, so it cannot be pre-scaled',
    );
    expect(w.out).not.toMatch(/Done in/);
    expect(w.mutatingCalls()).toEqual([]);

    expect(await run(w, 'failover', '--to', STANDBY, '--yes', '--force')).toBe(0);
    expect(w.out).toContain('warning: could not read the capacity of ap-northeast-1');
    expect(w.out).toContain('if its Auto Scaling API answers by then');
    expect(w.out).toContain('Overridden with --force: could not read the capacity of ap-northeast-1');
    expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(1);
  });
});

describe('shopctl failback restores the postures', () => {
  test('pre-scales the primary before undrain, then returns the standby to its posture (desired untouched)', async () => {
    const w = world({ acuMin: { [STANDBY]: 7.5 } });
    w.state.writer = STANDBY;
    w.state.drained[PRIMARY] = { [STANDBY]: true, [EDGE]: true };
    groups[STANDBY] = { min: 6, desired: 6, healthy: 6 };
    instancesFollow(w, PRIMARY);
    expect(await run(w, 'failback', '--yes')).toBe(0);
    expect(updates()).toEqual([
      { AutoScalingGroupName: 'asg-ap-northeast-2', MinSize: 6, DesiredCapacity: 6 },
      { AutoScalingGroupName: 'asg-ap-northeast-1', MinSize: 1 },
    ]);
    expect(w.m(STANDBY).rds.commandCalls(ModifyDBClusterCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'resilient-shop-ap-northeast-1',
      ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 16 },
      ApplyImmediately: true,
    });
    const order = w.mutatingCalls();
    expect(order.indexOf(`${PRIMARY} ModifyDBCluster`)).toBeLessThan(
      order.findIndex((c) => c.endsWith('PutParameter')),
    );
  });

  test('failure at the restore step: the failback itself is done; exit 4 says what is left', async () => {
    const w = world();
    w.state.writer = STANDBY;
    groups[STANDBY] = { min: 6, desired: 6, healthy: 6 };
    instancesFollow(w, PRIMARY);
    asg
      .on(UpdateAutoScalingGroupCommand, { AutoScalingGroupName: 'asg-ap-northeast-1' })
      .rejects(new Error('ScalingActivityInProgress'));
    expect(await run(w, 'failback', '--yes')).toBe(4);
    expect(w.out + w.err).toMatch(/NOT DONE .*Return ap-northeast-1 to its warm posture/);
    expect(w.state.writer).toBe(PRIMARY);
  });
});

describe.each(['pilot-light', 'warm', 'hot'] as const)('posture %s', (posture) => {
  const config = testConfig((raw) => {
    raw.regions[1].posture = posture;
  });
  test('the plan raises to the mirrored peak and restores to the posture minimum', async () => {
    const w = world({ peak: [3, 1] });
    const postureMin = posture === 'pilot-light' ? 0 : 1;
    groups[STANDBY] = { min: 4, desired: 4, healthy: 4 };
    const d = {
      config,
      names: new Names(config),
      clients: w.overrides().clients,
      now: () => new Date(0),
      signal: new AbortController().signal,
      callTimeoutMs: 5_000,
    } as unknown as Deps;
    const plan = await readCapacity(d, capacityClients(STANDBY), STANDBY);
    expect(plan.posture).toEqual({ name: posture, instances: postureMin, acu: 2 });
    expect(plan.target).toEqual({ instances: 4, acu: 2, known: true });
    const step = restorePostureStep(d, capacityClients(STANDBY), plan);
    expect(step.changes).toContain(`MinSize 4 -> ${postureMin} (desired left to target tracking)`);
    await step.run({
      signal: new AbortController().signal,
      update: () => undefined,
      changed: () => undefined,
      warn: () => undefined,
    });
    expect(updates()).toEqual([{ AutoScalingGroupName: 'asg-ap-northeast-1', MinSize: postureMin }]);
  });
});

test('embedded use without capacity clients: the plan says it does not pre-scale', async () => {
  const w = world();
  expect(await w.run('failover', '--to', STANDBY, '--dry-run')).toBe(0);
  expect(w.out).toContain('warning: capacity steps skipped: no Auto Scaling client was provided');
});
