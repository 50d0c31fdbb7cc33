import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { CapacityClients, makeCapacityClientsFor } from '../../cli/capacity/capacity';
import { FaultServer } from './support/fault-server';
import { PRIMARY, STANDBY, T0, World } from './world';

/**
 * The capacity and readiness calls (#14) meet a region that accepts connections and never answers,
 * through the real SDK handler (endpoint setting, fake credentials). The clients' own request timeout
 * is set far above the run's deadline (1 s), so only the deadline every call goes through (`aws()`)
 * can end them: a call sent around it hangs until the jest timeout fails the test.
 */
let hang: FaultServer;
beforeAll(async () => {
  hang = await FaultServer.start('hang');
});
afterAll(async () => {
  await hang.close();
});

const BOUND = 20_000;
const credentials = { accessKeyId: 'AKIDSHOPCTLTEST', secretAccessKey: 'not-a-secret' };
/** Capacity clients of every region pointed at the hanging server; only the run's deadline ends a call. */
const stalled = () => makeCapacityClientsFor({ endpoint: hang.url, credentials, requestTimeoutMs: 30_000 });

const group = (min: number) => ({
  AutoScalingGroupName: 'asg-standby',
  MinSize: min,
  MaxSize: 4,
  DesiredCapacity: min,
  DefaultCooldown: 300,
  AvailabilityZones: [],
  HealthCheckType: 'ELB',
  CreatedTime: T0,
  Instances: [
    {
      InstanceId: 'i-1',
      LifecycleState: 'InService' as const,
      HealthStatus: 'Healthy',
      AvailabilityZone: 'a',
      ProtectedFromScaleIn: false,
    },
  ],
});

describe('the capacity clients themselves give up on a stalled endpoint', () => {
  test(
    'makeCapacityClientsFor builds handlers whose requestTimeout throws (throwOnRequestTimeout), without any outer deadline',
    async () => {
      const { autoscaling } = makeCapacityClientsFor({
        endpoint: hang.url,
        credentials,
        connectionTimeoutMs: 2_000,
        requestTimeoutMs: 300,
        maxAttempts: 1,
      })(STANDBY);
      await expect(autoscaling.send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({
        name: 'TimeoutError',
        message: expect.stringContaining('exceeded the configured 300 ms requestTimeout'),
      });
    },
    BOUND,
  );
});

describe('shopctl check never hangs on a stalled region', () => {
  test(
    'Auto Scaling and ACM stalled: the region cannot be located, UNKNOWN with the call that did not answer, exit 3',
    async () => {
      const w = new World().shortDeadlines();
      w.extra = { ...w.extra, capacityClients: stalled() };
      const before = hang.accepted;
      expect(await w.run('check', '--json')).toBe(3);
      const [r] = JSON.parse(w.out).regions;
      expect(r).toMatchObject({ region: STANDBY, ready: null, checks: [] });
      expect(r.error).toMatch(
        /^(autoscaling:DescribeAutoScalingGroups|acm:ListCertificates) in ap-northeast-1 did not answer \(TimeoutError: no answer within 1000 ms \(shopctl deadline\)\)/,
      );
      expect(hang.accepted).toBeGreaterThan(before);
    },
    BOUND,
  );

  test(
    'located, then Auto Scaling, ACM and Secrets Manager stall in the checks themselves: NOT READY with each reason, exit 1',
    async () => {
      const w = new World().shortDeadlines();
      const real = stalled();
      // Locating answers (per-instance mocks); every check's own call then goes to the stalled server.
      const clientsFor = (r: string): CapacityClients => {
        const c = real(r);
        const locate = {
          autoscaling: Object.create(c.autoscaling) as AutoScalingClient,
          acm: Object.create(c.acm) as ACMClient,
        };
        return { ...c, ...locate };
      };
      const located = clientsFor(STANDBY);
      const asg = mockClient(located.autoscaling);
      asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group(1)] });
      asg
        .on(DescribeWarmPoolCommand)
        .callsFake((input) => real(STANDBY).autoscaling.send(new DescribeWarmPoolCommand(input), {}));
      const acm = mockClient(located.acm);
      acm.on(ListCertificatesCommand).resolves({
        CertificateSummaryList: [
          {
            CertificateArn: 'cert-standby',
            SubjectAlternativeNameSummaries: [`${STANDBY}.shop.example.com`],
          },
        ],
      });
      acm
        .on(DescribeCertificateCommand)
        .callsFake((input) => real(STANDBY).acm.send(new DescribeCertificateCommand(input), {}));
      w.extra = { ...w.extra, capacityClients: (r) => (r === STANDBY ? located : clientsFor(r)) };
      w.m(STANDBY).cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      expect(await w.run('check')).toBe(1);
      expect(w.out).toContain('ap-northeast-1: NOT READY');
      expect(w.out).toMatch(/secret-replica +FAIL .*secretsmanager:DescribeSecret in ap-northeast-(1|2)/);
      expect(w.out).toMatch(/certificate +FAIL .*no answer within 1000 ms/);
      expect(w.out).toMatch(/warm-pool +FAIL .*no answer within 1000 ms/);
    },
    BOUND,
  );
});

describe('a planned failover never hangs on a stalled pre-scale', () => {
  test(
    "the target's Auto Scaling API stalled at planning: a planned failover refuses (never Done on the current instances)",
    async () => {
      const w = new World().shortDeadlines();
      w.extra = { ...w.extra, capacityClients: stalled() };
      const code = await w.run('failover', '--to', STANDBY, '--yes');
      expect(code).toBe(2);
      expect(w.err).toMatch(
        /Refusing: could not read the capacity of ap-northeast-1, so it cannot be pre-scaled: all traffic would land on its current instances, and its scaler calls the same Auto Scaling API/,
      );
      expect(w.out).toMatch(/autoscaling:DescribeAutoScalingGroups in ap-northeast-1 did not answer/);
      expect(w.out).not.toMatch(/Done in/);
      expect(w.mutatingCalls()).toEqual([]);
    },
    BOUND,
  );

  test(
    'UpdateAutoScalingGroup stalls: read back at the deadline (not taken): NOT DONE, nothing drained or promoted, exit 5 with how to resume',
    async () => {
      const w = new World().shortDeadlines();
      const real = stalled();
      const standby = real(STANDBY);
      // The group is read at planning (answers); the scale-up itself goes to the stalled server.
      const autoscaling = {
        send: (cmd: unknown, o?: object) =>
          cmd instanceof DescribeAutoScalingGroupsCommand
            ? Promise.resolve({ AutoScalingGroups: [group(1)] })
            : standby.autoscaling.send(cmd as DescribeAutoScalingGroupsCommand, o),
      } as unknown as AutoScalingClient;
      w.extra = {
        ...w.extra,
        capacityClients: (r) => (r === STANDBY ? { ...standby, autoscaling } : real(r)),
      };
      // the cluster's minimum ACU is already at the target: only the group is scaled
      w.m(STANDBY)
        .rds.on(DescribeDBClustersCommand)
        .resolves({
          DBClusters: [{ ServerlessV2ScalingConfiguration: { MinCapacity: 16, MaxCapacity: 16 } }],
        });
      const before = hang.accepted;
      const code = await w.run('failover', '--to', STANDBY, '--yes');
      expect(w.out).toContain('Scale ap-northeast-1 to 4 instances and 16 ACU minimum');
      expect(w.err).toMatch(
        /NOT DONE 2\. Scale ap-northeast-1 .*autoscaling:UpdateAutoScalingGroup in ap-northeast-1 did not answer \(TimeoutError: no answer within 1000 ms \(shopctl deadline\)\).*read back twice: not in effect when last read at/,
      );
      expect(code).toBe(5);
      expect(w.err).toContain(
        'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --yes',
      );
      expect(hang.accepted).toBeGreaterThan(before);
      for (const r of [PRIMARY, STANDBY]) {
        expect(w.m(r).ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
        expect(w.m(r).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
      }
      expect(w.auditRecords().at(-1)).toMatchObject({ command: 'failover', result: 'failed' });
    },
    BOUND,
  );

  test(
    'Ctrl-C during a stalled scale-up (long deadline): the call is cancelled at once, INTERRUPTED, exit 130, audited',
    async () => {
      const w = new World();
      const standby = stalled()(STANDBY);
      const autoscaling = {
        send: (cmd: unknown, o?: object) =>
          cmd instanceof DescribeAutoScalingGroupsCommand
            ? Promise.resolve({ AutoScalingGroups: [group(1)] })
            : standby.autoscaling.send(cmd as DescribeAutoScalingGroupsCommand, o),
      } as unknown as AutoScalingClient;
      const ctrl = new AbortController();
      // a deadline far beyond the test's bound: only the interrupt can end the stalled call in time
      w.extra = {
        callTimeoutMs: 60_000,
        signal: ctrl.signal,
        capacityClients: (r) => (r === STANDBY ? { ...standby, autoscaling } : stalled()(r)),
      };
      w.m(STANDBY)
        .rds.on(DescribeDBClustersCommand)
        .resolves({
          DBClusters: [{ ServerlessV2ScalingConfiguration: { MinCapacity: 16, MaxCapacity: 16 } }],
        });
      const before = hang.accepted;
      const running = w.run('failover', '--to', STANDBY, '--yes');
      for (let i = 0; i < 300 && hang.accepted === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(hang.accepted).toBeGreaterThan(before); // the UpdateAutoScalingGroup request is in flight
      ctrl.abort();
      expect(await running).toBe(130);
      expect(w.err).toContain('NOT DONE 2. Scale ap-northeast-1 to 4 instances and 16 ACU minimum');
      expect(w.err).toContain('read back: not in effect');
      expect(w.err).toContain(
        'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --yes',
      );
      for (const r of [PRIMARY, STANDBY]) {
        expect(w.m(r).ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
      }
      expect(w.auditRecords().at(-1)).toMatchObject({ command: 'failover', result: 'interrupted' });
    },
    BOUND,
  );
});
