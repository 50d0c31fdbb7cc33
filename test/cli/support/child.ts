/**
 * A `shopctl` process for the SIGINT tests: the real `main` (with its real SIGINT handling) against the
 * mocked world of world.ts, where the command of the chosen step is sent by a real SDK client to a local
 * server that never answers. The parent sends a real SIGINT while that step runs.
 *
 * Env: CHILD_HANG_URL (fault server), CHILD_HANG_AT (drain | undrain-target | promote | wait | verify |
 * failback-undrain | notice-write | plan), CHILD_AUDIT_FILE, CHILD_CALLS_FILE (remote audit records
 * are written there at exit), CHILD_LOGS_HANG (CloudWatch Logs never answers), CHILD_REAL_PROMPT (use the real prompt on the real terminal). Arguments:
 * the shopctl arguments.
 */
import * as fs from 'node:fs';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeGlobalClustersCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { makeClientsFor } from '../../../cli/aws/clients';
import { main, Overrides } from '../../../cli/main';
import { EDGE, PRIMARY, STANDBY, World } from '../world';

const url = process.env.CHILD_HANG_URL as string;
const at = process.env.CHILD_HANG_AT as string;
const w = new World();
// a real client pointed at the server that never answers; its own timeouts are far beyond the test
const stalled = (region: string) =>
  makeClientsFor({
    endpoint: url,
    credentials: { accessKeyId: 'AKIDSHOPCTLTEST', secretAccessKey: 'not-a-secret' },
    connectionTimeoutMs: 120_000,
    requestTimeoutMs: 120_000,
  })(region);
const hangs = (region: string) => stalled(region);

let promoted = false;
w.m(STANDBY)
  .rds.on(SwitchoverGlobalClusterCommand)
  .callsFake((input) => {
    if (at === 'promote') return hangs(STANDBY).rds.send(new SwitchoverGlobalClusterCommand(input));
    promoted = true;
    if (at === 'verify') w.healthzServer.set(STANDBY, url);
    return {};
  });
w.m(STANDBY)
  .rds.on(DescribeGlobalClustersCommand)
  .callsFake((input) => {
    if (promoted && at === 'wait') return hangs(STANDBY).rds.send(new DescribeGlobalClustersCommand(input));
    if (promoted) w.state.writer = STANDBY;
    return {
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'resilient-shop-global',
          Status: 'available',
          GlobalClusterMembers: [PRIMARY, STANDBY].map((r) => ({
            DBClusterArn: `arn:aws:rds:${r}:111111111111:cluster:resilient-shop-${r}`,
            IsWriter: r === w.state.writer,
          })),
        },
      ],
    };
  });
for (const [region, when] of [
  [STANDBY, 'drain'],
  [PRIMARY, 'undrain-target'],
  [STANDBY, 'failback-undrain'],
] as const) {
  if (at === when) {
    w.m(region)
      .ssm.on(PutParameterCommand)
      .callsFake((input) => hangs(region).ssm.send(new PutParameterCommand(input)));
  }
}
if (at === 'undrain-target') w.state.drained = { [STANDBY]: { [PRIMARY]: true } };
if (at === 'failback-undrain') {
  w.state.writer = STANDBY;
  w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
  w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
  w.m(PRIMARY)
    .rds.on(SwitchoverGlobalClusterCommand)
    .callsFake(() => {
      w.state.writer = PRIMARY;
      w.state.healthz[PRIMARY] = { status: 200, mode: 'read-write', db: 'writer' };
      return {};
    });
}
if (at === 'notice-write') {
  w.m(EDGE)
    .s3.on(PutObjectCommand)
    .callsFake((input) => hangs(EDGE).s3.send(new PutObjectCommand(input)));
}
if (at === 'plan') {
  // planning waits on STS (the account check) in every region; the audit asks again and gets an answer
  let asked = 0;
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .sts.on(GetCallerIdentityCommand)
      .callsFake((input) =>
        asked++ < 2
          ? hangs(r).sts.send(new GetCallerIdentityCommand(input))
          : { Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/oncall/alice' },
      );
  }
}

if (process.env.CHILD_LOGS_HANG) {
  // CloudWatch Logs stalled everywhere: the remote audit must give up within its budget
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .logs.on(CreateLogStreamCommand)
      .callsFake((input) => hangs(r).logs.send(new CreateLogStreamCommand(input)));
  }
}

process.on('exit', () => {
  const records = [PRIMARY, STANDBY].flatMap((r) =>
    w
      .m(r)
      .logs.commandCalls(PutLogEventsCommand)
      .map((c) => ({ region: r, message: c.args[0].input.logEvents?.[0]?.message })),
  );
  fs.writeFileSync(process.env.CHILD_CALLS_FILE as string, JSON.stringify(records));
});

const worldOverrides: Overrides = Object.fromEntries(
  Object.entries(w.overrides()).filter(
    ([k]) => !(process.env.CHILD_REAL_PROMPT && (k === 'confirm' || k === 'interactive')),
  ),
);
main(process.argv.slice(2), {
  // CHILD_REAL_PROMPT: the real @inquirer/prompts confirmation on the real terminal (run under script(1))
  ...worldOverrides,
  // the real clock and sleep: only the hang and the signal decide when this ends
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  callTimeoutMs: 120_000,
  httpTimeoutMs: 120_000,
  auditTimeoutMs: 5_000,
  auditFile: process.env.CHILD_AUDIT_FILE as string,
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  write: (s) => process.stdout.write(s),
}).then((code) => process.stdout.write('', () => process.exit(code)));
