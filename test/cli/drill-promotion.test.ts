/**
 * The writer promotion shared by shopctl and the local drill: the AWS implementation is shopctl's
 * own (cli/database/database.ts), driven here through aws-sdk-client-mock with exact arguments.
 */
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { RegionClients } from '../../cli/aws/clients';
import type { Deps } from '../../cli/aws/deps';
import { awsPromotion } from '../../cli/drill/promotion';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';

const config = loadConfig('default');
const names = new Names(config);
const [PRIMARY, STANDBY] = config.regions.map((r) => r.name);
const arnOf = (r: string) => `arn:aws:rds:${r}:111111111111:cluster:${names.dbClusterId(r)}`;

let writer: string;
let mocks: Record<string, AwsClientStub<RDSClient>>;
let clock: number;
let run: AbortController;

function deps(): Deps {
  const clients: Record<string, RegionClients> = {};
  mocks = {};
  for (const r of [PRIMARY, STANDBY]) {
    const rds = new RDSClient({ region: r });
    mocks[r] = mockClient(rds);
    mocks[r].on(DescribeGlobalClustersCommand).callsFake(() => ({
      GlobalClusters: [
        {
          Status: 'available',
          GlobalClusterMembers: [PRIMARY, STANDBY].map((m) => ({
            DBClusterArn: arnOf(m),
            IsWriter: m === writer,
          })),
        },
      ],
    }));
    mocks[r].on(SwitchoverGlobalClusterCommand).callsFake(() => {
      writer = r;
      return {};
    });
    mocks[r].on(FailoverGlobalClusterCommand).callsFake(() => {
      writer = r;
      return {};
    });
    clients[r] = { rds } as unknown as RegionClients;
  }
  return {
    config,
    names,
    clients: (r: string) => clients[r],
    now: () => new Date(clock),
    sleep: async (ms: number) => {
      clock += ms;
    },
    pollMs: 1000,
    dbTimeoutMs: 60_000,
    signal: run.signal,
    callTimeoutMs: 5_000,
  } as unknown as Deps;
}

beforeEach(() => {
  writer = PRIMARY;
  clock = 0;
  run = new AbortController();
});

/** Every call is sent with shopctl's per-call abort signal (cli/aws/errors.ts `aws`), a live one. */
function expectBounded(calls: readonly { args: readonly unknown[] }[]): void {
  for (const c of calls) {
    const o = c.args[1] as { abortSignal?: AbortSignal };
    expect(o.abortSignal).toBeInstanceOf(AbortSignal);
    expect(o.abortSignal).not.toBe(run.signal);
  }
}
afterEach(() => Object.values(mocks).forEach((m) => m.restore()));

test('planned: SwitchoverGlobalCluster to the target member, called in the target region, then the writer is there', async () => {
  const p = awsPromotion(deps());
  await p.promote(STANDBY, false);
  for (const r of [PRIMARY, STANDBY]) {
    expect(mocks[r].commandCalls(DescribeGlobalClustersCommand).map((c) => c.args[0].input)).toEqual([
      { GlobalClusterIdentifier: names.globalClusterId() },
    ]);
  }
  const switched = mocks[STANDBY].commandCalls(SwitchoverGlobalClusterCommand);
  expect(switched.map((c) => c.args[0].input)).toEqual([
    { GlobalClusterIdentifier: names.globalClusterId(), TargetDbClusterIdentifier: arnOf(STANDBY) },
  ]);
  expectBounded([...switched, ...mocks[STANDBY].commandCalls(DescribeGlobalClustersCommand)]);
  expect(mocks[PRIMARY].commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
  expect(mocks[STANDBY].commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
  const updates: string[] = [];
  await p.waitForWriter(STANDBY, (t) => updates.push(t));
  expect(updates).toEqual([`writer ${STANDBY}, status available`]);
});

test('unplanned: FailoverGlobalCluster with AllowDataLoss', async () => {
  await awsPromotion(deps()).promote(STANDBY, true);
  const failed = mocks[STANDBY].commandCalls(FailoverGlobalClusterCommand);
  expect(failed.map((c) => c.args[0].input)).toEqual([
    {
      GlobalClusterIdentifier: names.globalClusterId(),
      TargetDbClusterIdentifier: arnOf(STANDBY),
      AllowDataLoss: true,
    },
  ]);
  expectBounded(failed);
  expect(mocks[STANDBY].commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
});

test('an interrupted run (Ctrl-C) promotes nothing', async () => {
  const d = deps();
  run.abort();
  await expect(awsPromotion(d).promote(STANDBY, true)).rejects.toThrow('interrupted (Ctrl-C)');
  for (const r of [PRIMARY, STANDBY]) {
    expect(mocks[r].commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(mocks[r].commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
  }
});

test('a target region with no member is refused before anything changes', async () => {
  const d = deps();
  mocks[STANDBY].on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [
      { Status: 'available', GlobalClusterMembers: [{ DBClusterArn: arnOf(PRIMARY), IsWriter: true }] },
    ],
  });
  await expect(awsPromotion(d).promote(STANDBY, false)).rejects.toThrow(
    `${STANDBY} has no member in ${names.globalClusterId()}`,
  );
  expect(mocks[STANDBY].commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
});
