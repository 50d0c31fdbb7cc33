import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { makeClientsFor } from '../../cli/aws/clients';
import { withinTotal } from '../../cli/aws/deadline';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FaultServer } from './support/fault-server';
import { EDGE, PRIMARY, SERVICES, STANDBY, World } from './world';

/**
 * A region that accepts connections and never answers (or resets them), met by the real SDK handler
 * through its endpoint setting: every command must end within its deadline with the right exit code
 * and message. Deadlines are shortened (about 1 s per call) so the suite stays fast; each test's own
 * jest timeout is the bound that fails a hang.
 */
let hang: FaultServer;
let reset: FaultServer;
beforeAll(async () => {
  hang = await FaultServer.start('hang');
  reset = await FaultServer.start('reset');
});
afterAll(async () => {
  await hang.close();
  await reset.close();
});

const BOUND = 20_000;
const server = (mode: 'hang' | 'reset') => (mode === 'hang' ? hang.url : reset.url);
/**
 * Short deadlines against the hanging server; long ones against the resetting server, whose answer
 * comes at once, so that a loaded machine never turns a reset into a timeout.
 */
const worldFor = (mode: 'hang' | 'reset'): World => {
  const w = new World();
  if (mode === 'hang') return w.shortDeadlines();
  w.extra = { callTimeoutMs: 15_000, httpTimeoutMs: 15_000, auditTimeoutMs: 15_000 };
  return w;
};

/** Failover/failback completes on the next poll once requested. */
function promotable(w: World): World {
  const start = (target: string) => () => {
    w.state.dbStatus = 'switching-over';
    w.onSleep = () => {
      w.state.writer = target;
      w.state.dbStatus = 'available';
      w.state.healthz[target] = { status: 200, mode: 'read-write', db: 'writer' };
    };
    return {};
  };
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r).rds.on(SwitchoverGlobalClusterCommand).callsFake(start(r));
    w.m(r).rds.on(FailoverGlobalClusterCommand).callsFake(start(r));
  }
  return w;
}

describe('the SDK clients themselves give up on a stalled endpoint', () => {
  test(
    'makeClientsFor builds handlers whose requestTimeout throws (throwOnRequestTimeout), without any outer deadline',
    async () => {
      const ssm = makeClientsFor({
        endpoint: hang.url,
        credentials: { accessKeyId: 'AKIDSHOPCTLTEST', secretAccessKey: 'not-a-secret' },
        connectionTimeoutMs: 2_000,
        requestTimeoutMs: 300,
        maxAttempts: 1,
      })(PRIMARY).ssm;
      await expect(ssm.send(new GetParameterCommand({ Name: '/x' }))).rejects.toMatchObject({
        name: 'TimeoutError',
        message: expect.stringContaining('exceeded the configured 300 ms requestTimeout'),
      });
    },
    BOUND,
  );
});

describe('status keeps within its budget whatever stalls', () => {
  test('withinTotal: each call gets the smaller of its own deadline and the time left (fake clock)', () => {
    let now = 0;
    const ctx = withinTotal(
      { signal: new AbortController().signal, callTimeoutMs: 12_000, httpTimeoutMs: 5_000 },
      8_000,
      () => now,
    );
    expect([ctx.callTimeoutMs, ctx.httpTimeoutMs]).toEqual([8_000, 5_000]);
    now = 6_500; // a chain: the second call of a region starts late
    expect([ctx.callTimeoutMs, ctx.httpTimeoutMs]).toEqual([1_500, 1_500]);
    now = 9_000; // past the total: the next call gives up at once, never waits unbounded
    expect([ctx.callTimeoutMs, ctx.httpTimeoutMs]).toEqual([1, 1]);
  });

  test(
    'the standby stalled, call deadlines far longer than the budget: status prints within the budget, the standby UNKNOWN (stalled) with what it did not answer and how long it waited',
    async () => {
      const w = new World();
      // nothing but the status budget (1.5 s) can end the stalled reads: calls and attempts get 30 s
      w.extra = {
        callTimeoutMs: 30_000,
        httpTimeoutMs: 30_000,
        auditTimeoutMs: 2_000,
        statusBudgetMs: 1_500,
      };
      w.stall(STANDBY, hang.url, SERVICES, { connectMs: 30_000, attemptMs: 30_000 });
      w.healthzServer.set(STANDBY, hang.url);
      const t0 = Date.now();
      const code = await w.run('status');
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeLessThan(10_000); // 30 s without the budget
      expect(code).toBe(1);
      expect(w.out).toContain('AT-RISK');
      // the healthy regions complete
      expect(w.out).toContain('writer ap-northeast-2, status available');
      expect(w.out).toMatch(/ap-northeast-2\s+primary\s+healthy 16\/16 checkers.*200 read-write db writer/);
      const line =
        /Stalled {9}ap-northeast-1 UNKNOWN \(stalled\): no answer after waiting (\d+\.\d) s for (.*)/.exec(
          w.out,
        );
      expect(line).not.toBeNull();
      expect(Number(line![1])).toBeGreaterThanOrEqual(1.4);
      expect(Number(line![1])).toBeLessThan(10);
      expect(line![2].split(/, | \(/).sort()).toEqual(
        expect.arrayContaining([
          'GET /healthz',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:GetMetricData',
          'rds:DescribeGlobalClusters',
          'secretsmanager:DescribeSecret',
          'ssm:GetParameter',
        ]),
      );
      expect(w.out).not.toMatch(/Stalled.*ap-northeast-2 UNKNOWN|^ {16}ap-northeast-2 UNKNOWN/m);
      expect(hang.accepted).toBeGreaterThan(0);
    },
    BOUND,
  );
});

describe('a stalled region never hangs shopctl', () => {
  test(
    'status with the primary region stalled (every API and /healthz) ends with what answered, exit 1',
    async () => {
      const w = new World().shortDeadlines();
      w.stall(PRIMARY, hang.url);
      w.healthzServer.set(PRIMARY, hang.url);
      const code = await w.run('status');
      expect(code).toBe(1);
      expect(w.out).toContain('writer ap-northeast-2, status available'); // read from the standby
      expect(w.out).toMatch(/ap-northeast-2\s+primary\s+healthy 16\/16/);
      expect(w.out).toMatch(/ap-northeast-1\s+standby.*200 read-only db secondary/);
      expect(w.out).toMatch(/ap-northeast-2 .*no answer \(TimeoutError: no answer within 500 ms/);
      expect(w.out).toContain('shop.example.com is on ap-northeast-2, which is not serving read-write');
      expect(hang.accepted).toBeGreaterThan(0);
    },
    BOUND,
  );

  test(
    'status with us-east-1 stalled: Route 53 and the notice unknown, the rest shown',
    async () => {
      const w = new World().shortDeadlines();
      w.stall(EDGE, hang.url);
      const code = await w.run('status');
      expect(code).toBe(0);
      expect(w.out).toMatch(
        /Route 53 API\s+unknown \(Route 53 API unreachable\): route53:ListHealthChecks in us-east-1 did not answer \(TimeoutError/,
      );
      expect(w.out).toMatch(/Notice\s+unknown \(s3:GetObject in us-east-1 did not answer/);
    },
    BOUND,
  );

  test(
    'status with connections reset: ECONNRESET is named, exit 1',
    async () => {
      const w = new World();
      // a reset comes back at once: long deadlines cost nothing and keep a loaded machine from
      // turning the reset into a timeout
      w.extra = { callTimeoutMs: 15_000, httpTimeoutMs: 15_000 };
      w.stall(PRIMARY, reset.url);
      w.healthzServer.set(PRIMARY, reset.url);
      expect(await w.run('status', '--json')).toBe(1);
      const report = JSON.parse(w.out);
      expect(report.regions[0].healthz.error).toMatch(
        /fetch failed: .*(ECONNRESET|socket hang up|other side closed)/,
      );
      expect(report.regions[1].switch.holders[0].error).toMatch(
        /^ssm:GetParameter in ap-northeast-2 did not answer \(.*ECONNRESET/,
      );
    },
    BOUND,
  );

  test.each(['hang', 'reset'] as const)(
    'unplanned failover with the primary region entirely down (%s) prints its plan, finishes, audits in the standby',
    async (mode) => {
      const url = server(mode);
      const w = promotable(worldFor(mode));
      w.stall(PRIMARY, url);
      w.stall(EDGE, url, ['route53']);
      w.healthzServer.set(PRIMARY, url);
      const code = await w.run('failover', '--to', STANDBY, '--unplanned', '--yes');
      expect(w.out).toContain('Plan: UNPLANNED failover to ap-northeast-1');
      // the primary's copy of the standby's switch is unread, but it is one vote: no warning that a
      // stale value could keep customers off the standby
      expect(w.out).not.toContain('customers stay off');
      expect(code).toBe(0);
      expect(w.m(STANDBY).rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(1);
      expect(w.out).toMatch(/Done in/);
      // the drain of the primary is held by the standby; the audit falls back from the stalled primary
      expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({
        Name: '/resilient-shop/switch/ap-northeast-2',
        Value: 'drained',
      });
      const sent = w.m(STANDBY).logs.commandCalls(PutLogEventsCommand);
      expect(sent).toHaveLength(1);
      expect(JSON.parse(sent[0].args[0].input.logEvents![0].message!)).toMatchObject({
        command: 'failover',
        result: 'ok',
      });
    },
    BOUND,
  );

  test(
    'planned failover with CloudWatch Logs stalled everywhere: Done, the audit warns and never holds the exit',
    async () => {
      const w = promotable(new World().shortDeadlines());
      w.stall(PRIMARY, hang.url, ['logs']);
      w.stall(STANDBY, hang.url, ['logs']);
      expect(await w.run('failover', '--to', STANDBY, '--yes')).toBe(0);
      expect(w.out).toMatch(/Done in/);
      expect(w.err).toMatch(
        /warning: audit record not sent to CloudWatch Logs \(logs:CreateLogStream in ap-northeast-2 did not answer .*; logs:CreateLogStream in ap-northeast-1 did not answer/,
      );
      expect(w.auditRecords()).toEqual([expect.objectContaining({ command: 'failover', result: 'ok' })]);
    },
    BOUND,
  );

  test(
    'planned failover whose promotion call stalls and cannot be read back: UNKNOWN, exit 3, how to find out and roll back',
    async () => {
      const w = new World().shortDeadlines();
      w.stall(STANDBY, hang.url, ['rds']);
      // planning reads the database from the primary, which answers; the standby's RDS never does
      const code = await w.run('failover', '--to', STANDBY, '--yes');
      expect(code).toBe(3);
      expect(w.err).toContain('UNKNOWN: step 3 got no answer and could not be read back');
      expect(w.err).toMatch(
        /UNKNOWN {2}3\. Promote the database to ap-northeast-1.*rds:SwitchoverGlobalCluster in ap-northeast-1 did not answer \(TimeoutError.*reading it back failed too \(rds:DescribeGlobalClusters in ap-northeast-1 did not answer/,
      );
      expect(w.err).toContain(
        'To find out and finish (it reads every step back and skips what is in effect): npx shopctl failover --to ap-northeast-1 --yes',
      );
      expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
      expect(w.auditRecords().at(-1)).toMatchObject({ result: 'unknown' });
    },
    BOUND,
  );

  test.each(['hang', 'reset'] as const)(
    'failback whose holders all fail (%s) after planning: the undrain is UNKNOWN (no answer, no read-back) → exit 3, never Done',
    async (mode) => {
      const w = worldFor(mode);
      w.state.writer = STANDBY;
      w.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
      w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
      w.m(PRIMARY)
        .rds.on(SwitchoverGlobalClusterCommand)
        .callsFake(() => {
          w.state.writer = PRIMARY;
          w.state.healthz[PRIMARY] = { status: 200, mode: 'read-write', db: 'writer' };
          // from now on SSM in every holder of the primary's switch stalls
          w.stall(STANDBY, server(mode), ['ssm']);
          w.stall(EDGE, server(mode), ['ssm']);
          return {};
        });
      const code = await w.run('failback', '--yes');
      expect(code).toBe(3);
      expect(w.out).not.toMatch(/Done in/);
      expect(w.err).toContain('UNKNOWN: step 4 got no answer and could not be read back');
      expect(w.err).toMatch(
        /UNKNOWN {2}4\. Undrain ap-northeast-2: no holder confirmed the undrain \(ap-northeast-1: ssm:PutParameter in ap-northeast-1 did not answer/,
      );
      expect(w.err).toContain('npx shopctl failback --yes');
      expect(w.err).toContain('To roll back instead: npx shopctl failover --to ap-northeast-1 --yes');
      expect(w.state.drained[PRIMARY][STANDBY]).toBe(true);
    },
    BOUND,
  );

  test(
    'failback with every holder of the primary switch stalled from the start: refused, nothing changed',
    async () => {
      const w = new World().shortDeadlines();
      w.state.writer = STANDBY;
      w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
      w.stall(STANDBY, hang.url, ['ssm']);
      w.stall(EDGE, hang.url, ['ssm']);
      expect(await w.run('failback', '--yes')).toBe(2);
      expect(w.err).toMatch(
        /Refusing: cannot read ap-northeast-2's drain switch in any holder \(ap-northeast-1: ssm:GetParameter in ap-northeast-1 did not answer/,
      );
      expect(w.mutatingCalls()).toEqual([]);

      // with --force it goes ahead, and the undrain that reaches no holder is still not a success
      w.stderr.length = 0;
      w.m(PRIMARY)
        .rds.on(SwitchoverGlobalClusterCommand)
        .callsFake(() => {
          w.state.writer = PRIMARY;
          w.state.healthz[PRIMARY] = { status: 200, mode: 'read-write', db: 'writer' };
          return {};
        });
      expect(await w.run('failback', '--yes', '--force')).toBe(3);
      expect(w.err).toMatch(/UNKNOWN {2}4\. Undrain ap-northeast-2: no holder confirmed the undrain/);
    },
    BOUND,
  );

  test.each(['hang', 'reset'] as const)(
    'notice set with us-east-1 down (%s): nothing changed, exit 5',
    async (mode) => {
      const w = worldFor(mode);
      w.stall(EDGE, server(mode));
      const code = await w.run('notice', 'set', '--ko', '지연', '--en', 'Delayed', '--yes');
      expect(code).toBe(5);
      expect(w.err).toMatch(/FAILED: nothing was changed/);
      expect(w.err).toMatch(
        mode === 'hang'
          ? /in us-east-1 did not answer \(TimeoutError/
          : /in us-east-1 did not answer \(.*(ECONNRESET|socket hang up)/,
      );
    },
    BOUND,
  );

  test(
    'notice set with only CloudFront stalled: written, invalidation UNKNOWN (the re-send stalls too) → exit 3 with the command to finish',
    async () => {
      const w = new World().shortDeadlines();
      w.stall(EDGE, hang.url, ['cloudfront']);
      const code = await w.run('notice', 'set', '--ko', '지연', '--en', 'Delayed', '--yes');
      expect(code).toBe(3);
      expect(w.err).toMatch(/DONE {5}1\. Write s3:/);
      expect(w.err).toMatch(/UNKNOWN {2}2\. Invalidate \/status.json/);
      expect(w.m(EDGE).s3.commandCalls(PutObjectCommand)).toHaveLength(1);
      expect(w.err).toContain(
        'aws cloudfront create-invalidation --distribution-id EDFDVBD6EXAMPLE --paths /status.json',
      );
    },
    BOUND,
  );
});
