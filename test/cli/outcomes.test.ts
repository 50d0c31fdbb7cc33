/**
 * What shopctl says after a write must be what is true: a write whose answer did not come is read
 * back (DONE / NOT DONE) or reported UNKNOWN, never "nothing changed"; a switchover caught mid-way is
 * judged by where the writer is moving; a second run says "already in effect"; a notice whose
 * invalidation never went out is invalidated by the next run. The late answers are real: the fake
 * service applies the write at once and answers seconds after the call's deadline (1 s), so the
 * deadline machinery of the run (withDeadline) is what gives up.
 */
import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { FaultServer } from './support/fault-server';
import { READ_BACK_SETTLE_MS } from '../../cli/action/readBack';
import { arnOf, EDGE, PRIMARY, STANDBY, T0, throttle, timeout, World } from './world';

/** Answers long after the 1 s call deadline of `shortDeadlines` (a wide margin on a loaded machine). */
const LATE_MS = 4_000;
const late = <T>(value: T) =>
  new Promise<T>((resolve) => {
    setTimeout(() => resolve(value), LATE_MS).unref();
  });

/** A switchover/failover request completes on the next poll (the writer then serves read-write). */
function promotable(w: World): World {
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.dbStatus = 'switching-over';
        w.state.movingTo = r;
        w.onSleep = () => settle(w, r);
        return {};
      });
  }
  return w;
}

function settle(w: World, writer: string): void {
  w.state.writer = writer;
  w.state.dbStatus = 'available';
  delete w.state.movingTo;
  w.state.healthz[writer] = { status: 200, mode: 'read-write', db: 'writer' };
  const other = writer === PRIMARY ? STANDBY : PRIMARY;
  w.state.healthz[other] = { status: 200, mode: 'read-only', db: 'secondary' };
}

/** The drain of the primary lands in its holder (the standby), and its answer comes after the deadline. */
function drainLandsLate(w: World): void {
  w.m(STANDBY)
    .ssm.on(PutParameterCommand)
    .callsFake((input: { Name: string; Value: string }) => {
      const target = input.Name.split('/').pop() as string;
      w.state.drained[target] = { ...w.state.drained[target], [STANDBY]: input.Value === 'drained' };
      return late({ Version: 2 });
    });
}

const FAILOVER = ['failover', '--to', STANDBY, '--yes'];

describe('a write whose answer did not come is read back, never "nothing changed"', () => {
  test('drain answered after its deadline: read back DONE, the failover goes on and finishes, exit 0', async () => {
    const w = promotable(new World().shortDeadlines());
    drainLandsLate(w);
    const code = await w.run(...FAILOVER);
    expect(w.err).not.toContain('nothing was changed');
    expect(code).toBe(0);
    expect(w.out).toMatch(/DONE {5}2\. Drain ap-northeast-2 .*drained in ap-northeast-1 \(read back\)/);
    expect(w.err).toContain('the answer did not come in time; read back: in effect');
    expect(w.state.drained[PRIMARY][STANDBY]).toBe(true);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'failover', result: 'ok' });
  }, 20_000);

  test('drain answered late and the read-back failing too: UNKNOWN, exit 3, how to find out and roll back', async () => {
    const w = new World().shortDeadlines();
    let putSent = false;
    w.m(STANDBY)
      .ssm.on(PutParameterCommand)
      .callsFake((input: { Name: string; Value: string }) => {
        putSent = true;
        w.state.drained[PRIMARY] = { [STANDBY]: input.Value === 'drained' };
        return late({ Version: 2 });
      });
    w.m(STANDBY)
      .ssm.on(GetParameterCommand)
      .callsFake((input: { Name: string }) => {
        if (putSent) throw timeout();
        const target = input.Name.split('/').pop() as string;
        return {
          Parameter: { Name: input.Name, Value: w.state.drained[target]?.[STANDBY] ? 'drained' : 'serving' },
        };
      });
    const code = await w.run(...FAILOVER);
    expect(code).toBe(3);
    expect(w.err).toContain('UNKNOWN: step 2 got no answer and could not be read back');
    expect(w.err).toMatch(
      /UNKNOWN {2}2\. Drain ap-northeast-2: only us-east-1 took the drain \(ap-northeast-1: .*reading it back failed too/,
    );
    expect(w.err).toContain(
      'To find out and finish (it reads every step back and skips what is in effect): npx shopctl failover --to ap-northeast-1 --yes',
    );
    expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
    // stopped: nothing promoted (us-east-1, the other holder, took the drain)
    expect(w.mutatingCalls()).toEqual([
      `${STANDBY} PutParameter`,
      `${EDGE} PutParameter`,
      `${EDGE} PutMetricData`,
    ]);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'failover', result: 'unknown' });
  }, 20_000);

  test('a write refused by AWS (answered) is NOT DONE without a read-back: nothing changed, exit 5', async () => {
    const w = new World().shortDeadlines();
    // both holders of the primary's switch refuse: nothing was written anywhere
    w.m(STANDBY).ssm.on(PutParameterCommand).rejects(throttle());
    w.m(EDGE).ssm.on(PutParameterCommand).rejects(throttle());
    expect(await w.run(...FAILOVER)).toBe(5);
    expect(w.err).toContain('FAILED: nothing was changed.');
    expect(w.err).toMatch(/NOT DONE 2\. Drain ap-northeast-2: no holder took the drain: .*Throttled/);
  });

  test('switchover request answered after its deadline: read back as moving to the target → DONE, exit 0', async () => {
    const w = new World().shortDeadlines();
    w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.dbStatus = 'switching-over';
        w.state.movingTo = STANDBY;
        w.onSleep = () => settle(w, STANDBY);
        return late({});
      });
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toMatch(
      /DONE {5}3\. Promote the database to ap-northeast-1 .*requested \(the answer did not come in time; read back: in effect\)/,
    );
  }, 20_000);

  test('status.json written but answered late: read back (same updatedAt) DONE, then invalidated', async () => {
    const w = new World().shortDeadlines();
    w.m(EDGE)
      .s3.on(PutObjectCommand)
      .callsFake((input: { Body: string }) => {
        w.state.notice = input.Body;
        return late({});
      });
    expect(await w.run('notice', 'set', '--ko', '지연', '--en', 'Delayed', '--yes')).toBe(0);
    expect(w.out).toMatch(/DONE {5}1\. Write s3:.*read back: in effect/);
    expect(w.m(EDGE).s3.commandCalls(GetObjectCommand).length).toBeGreaterThanOrEqual(2); // plan + read-back
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(1);
  }, 20_000);
});

describe('a write that lands after its read-back', () => {
  const NAME = '/resilient-shop/switch/ap-northeast-2';
  /**
   * The standby's copy of the primary's drain switch: PutParameter's answer is lost (the write is
   * applied, or not, when `lands` says), and every GetParameter after it is answered from `afterPut`.
   */
  function lostAnswer(w: World, afterPut: readonly ('serving' | 'drained')[]) {
    const reads: { value: string; at: number }[] = [];
    let put = false;
    w.m(STANDBY)
      .ssm.on(PutParameterCommand)
      .callsFake(() => {
        put = true;
        throw timeout();
      });
    w.m(STANDBY)
      .ssm.on(GetParameterCommand, { Name: NAME })
      .callsFake(() => {
        const landed = !!w.state.drained[PRIMARY]?.[STANDBY];
        if (!put || landed) return { Parameter: { Name: NAME, Value: landed ? 'drained' : 'serving' } };
        const value = afterPut[Math.min(reads.length, afterPut.length - 1)];
        reads.push({ value, at: w.clock });
        if (value === 'drained') w.state.drained[PRIMARY] = { ...w.state.drained[PRIMARY], [STANDBY]: true };
        return { Parameter: { Name: NAME, Value: value } };
      });
    return reads;
  }

  test('the first read-back shows the old value, the second (after the settle) the new one → DONE, the failover goes on, exit 0', async () => {
    const w = promotable(new World());
    const reads = lostAnswer(w, ['serving', 'drained']);
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toMatch(
      /DONE {5}2\. Drain ap-northeast-2 .*drained in ap-northeast-1 \(read back\), us-east-1/,
    );
    expect(w.err).toContain('the answer did not come in time; read back: in effect');
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(PutParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([{ Name: NAME, Value: 'drained', Type: 'String', Overwrite: true }]);
    // two reads of the same parameter in the same holder, READ_BACK_SETTLE_MS apart (fake clock)
    const after = w
      .m(STANDBY)
      .ssm.commandCalls(GetParameterCommand)
      .slice(-2)
      .map((c) => c.args[0].input);
    expect(after).toEqual([{ Name: NAME }, { Name: NAME }]);
    expect(reads.map((r) => r.value)).toEqual(['serving', 'drained']);
    expect(reads[1].at - reads[0].at).toBe(READ_BACK_SETTLE_MS);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'failover', result: 'ok' });
  });

  test('both read-backs show the old value → NOT DONE "not in effect when last read at T; a late write may still land", then status shows the write that landed', async () => {
    const w = promotable(new World());
    const reads = lostAnswer(w, ['serving', 'serving']);
    expect(await w.run(...FAILOVER)).toBe(4);
    const last = new Date(reads[1].at).toISOString();
    expect(last).toBe(new Date(T0.getTime() + READ_BACK_SETTLE_MS).toISOString());
    expect(w.err).toContain(
      'NOT DONE 2. Drain ap-northeast-2: only us-east-1 took the drain (ap-northeast-1: ssm:PutParameter in ap-northeast-1 did not answer (TimeoutError: Connection timed out after 3000 ms). ' +
        'The region or your network may be impaired: retry, or check https://health.aws.amazon.com.; ' +
        `read back twice: not in effect when last read at ${last}; a late write may still land: ` +
        'run `npx shopctl status` to see, then the resume or rollback command below)',
    );
    expect(w.err).toContain(
      'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --yes',
    );
    expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(PutParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([{ Name: NAME, Value: 'drained', Type: 'String', Overwrite: true }]);
    expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);

    // the late write lands; status shows every holder's value of the switch
    w.state.drained[PRIMARY] = { ...w.state.drained[PRIMARY], [STANDBY]: true };
    w.stdout.length = 0;
    await w.run('status');
    expect(w.out).toMatch(
      /ap-northeast-2\s+primary\s+.*DRAINED \(ap-northeast-1:drained\/ALARM us-east-1:drained\/ALARM\)/,
    );
  });

  test('the settle is bounded by the read-back deadline: half of it at most', async () => {
    const w = promotable(new World());
    w.extra = { callTimeoutMs: 1_000 };
    const reads = lostAnswer(w, ['serving', 'serving']);
    expect(await w.run(...FAILOVER)).toBe(4);
    expect(reads.map((r) => r.at - reads[0].at)).toEqual([0, 500]);
  });
});

describe('a switchover caught mid-way, in each direction', () => {
  test('failback while the failover it rolls back is still moving the writer away: waits for it, then switches back', async () => {
    // Ctrl-C came during the writer wait of `failover --to STANDBY`: the move to STANDBY goes on
    const w = promotable(new World());
    w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
    w.state.dbStatus = 'switching-over';
    w.state.movingTo = STANDBY;
    w.onSleep = () => settle(w, STANDBY);
    const code = await w.run('failback', '--yes');
    expect(code).toBe(0);
    expect(w.out).toContain('Promote the database to ap-northeast-2');
    expect(w.out).toMatch(
      /a move to ap-northeast-1 is in progress \(switching-over\); waiting for it to end/,
    );
    expect(w.calls().filter((c) => c.command === 'SwitchoverGlobalCluster')).toEqual([
      expect.objectContaining({
        region: PRIMARY,
        input: expect.objectContaining({ TargetDbClusterIdentifier: arnOf(PRIMARY) }),
      }),
    ]);
    expect(w.state.writer).toBe(PRIMARY);
    expect(w.state.drained[PRIMARY][STANDBY]).toBe(false);
  });

  test('failover while a failback is still moving the writer to the primary: waits, then switches over to the standby', async () => {
    const w = promotable(new World());
    w.state.writer = STANDBY;
    w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
    w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
    w.state.dbStatus = 'switching-over';
    w.state.movingTo = PRIMARY;
    w.onSleep = () => settle(w, PRIMARY);
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.calls().filter((c) => c.command === 'SwitchoverGlobalCluster')).toEqual([
      expect.objectContaining({
        region: STANDBY,
        input: expect.objectContaining({ TargetDbClusterIdentifier: arnOf(STANDBY) }),
      }),
    ]);
    expect(w.state.writer).toBe(STANDBY);
  });

  test('a move already going to the target counts as the promotion done: no second request', async () => {
    const w = promotable(new World());
    w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
    w.state.dbStatus = 'switching-over';
    w.state.movingTo = STANDBY;
    w.onSleep = () => settle(w, STANDBY);
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toContain('[SKIP] 3. Promote the database to ap-northeast-1');
    expect(w.calls().filter((c) => c.command === 'SwitchoverGlobalCluster')).toEqual([]);
  });
});

describe('a second run says what it did', () => {
  test('failover run twice (fast path on): the second says "already in effect", audited so', async () => {
    const w = promotable(new World());
    w.extra = { fastSwitch: true };
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toMatch(/Done in/);
    w.stdout.length = 0;
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).not.toMatch(/Done in/);
    expect(w.out).toContain(
      'Already in effect: ap-northeast-1 is the database writer and ap-northeast-2 is drained',
    );
    expect(w.auditRecords().map((r) => r.result)).toEqual(['ok', 'already-in-effect']);
  });

  test('notice set resumed after a throttled invalidation sends the invalidation', async () => {
    const w = new World();
    const SET = ['notice', 'set', '--ko', '지연', '--en', 'Delayed', '--yes'];
    let calls = 0;
    w.m(EDGE)
      .cloudfront.on(CreateInvalidationCommand)
      .callsFake(() => {
        if (calls++ === 0) throw throttle();
        w.state.invalidatedAt.push(new Date(w.clock));
        return { Invalidation: { Id: 'I1' } };
      });
    expect(await w.run(...SET)).toBe(4);
    w.stdout.length = 0;
    w.stderr.length = 0;
    expect(await w.run(...SET)).toBe(0);
    expect(w.out).not.toContain('Already in effect');
    expect(w.out).toMatch(/DONE {5}1\. Write s3:.*already done/);
    expect(w.out).toMatch(/DONE {5}2\. Invalidate \/status.json .*distribution EDFDVBD6EXAMPLE/);
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(2);
    expect(w.m(EDGE).s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    // and a third run now has nothing to do
    w.stdout.length = 0;
    expect(await w.run(...SET)).toBe(0);
    expect(w.out).toContain('Already in effect');
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(2);
  });
});

describe('status.json: region states', () => {
  const SET = ['notice', 'set', '--ko', '지연', '--en', 'Delayed', '--yes'];
  const regionsWritten = (w: World) =>
    JSON.parse(w.m(EDGE).s3.commandCalls(PutObjectCommand).at(-1)?.args[0].input.Body as string).regions;

  test('a healthy read-only standby is operational, not "degraded"; a writer that cannot write is', async () => {
    const w = new World();
    expect(await w.run(...SET)).toBe(0);
    expect(regionsWritten(w)).toEqual({ [PRIMARY]: 'operational', [STANDBY]: 'operational' });

    w.state.healthz[PRIMARY] = { status: 200, mode: 'read-only', db: 'writer' };
    expect(await w.run('notice', 'clear', '--yes')).toBe(0);
    expect(regionsWritten(w)).toEqual({ [PRIMARY]: 'degraded', [STANDBY]: 'operational' });
  });
});

describe('the audit record reaches CloudWatch Logs in the next region when the first stalls', () => {
  let hang: FaultServer;
  beforeAll(async () => {
    hang = await FaultServer.start('hang');
  });
  afterAll(() => hang.close());

  test("the primary's Logs stalled: the standby gets a budget of its own and takes the record", async () => {
    const w = promotable(new World());
    // the call deadline is longer than the audit budget, as by default (12 s and 10 s)
    w.extra = { callTimeoutMs: 3_000, httpTimeoutMs: 3_000, auditTimeoutMs: 800 };
    w.stall(PRIMARY, hang.url, ['logs']);
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.err).not.toContain('no time left');
    expect(w.err).not.toContain('audit record not sent');
    expect(w.m(STANDBY).logs.commandCalls(PutLogEventsCommand)).toHaveLength(1);
    expect(hang.accepted).toBeGreaterThan(0);
  }, 20_000);
});

describe('status with the only standby stalled', () => {
  let hang: FaultServer;
  beforeAll(async () => {
    hang = await FaultServer.start('hang');
  });
  afterAll(() => hang.close());

  test('AT-RISK, exit 1, says there is no failover target (was NORMAL, exit 0)', async () => {
    const w = new World().shortDeadlines();
    w.stall(STANDBY, hang.url);
    w.healthzServer.set(STANDBY, hang.url);
    const code = await w.run('status');
    expect(code).toBe(1);
    expect(w.out).toMatch(
      /AT-RISK: customers are served read-write by the primary ap-northeast-2, but no standby answers \(ap-northeast-1: .*no answer.*\): there is no failover target if ap-northeast-2 fails \(exit 1\)/,
    );
  }, 20_000);

  test('a healthy standby: NORMAL, exit 0', async () => {
    const w = new World();
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain('NORMAL: customers are served read-write by the primary ap-northeast-2 (exit 0)');
  });
});

/** Every listed client of every region fails as the SDK does when no credentials can be found. */
function withoutCredentials(
  w: World,
  services: readonly ('rds' | 'ssm' | 'logs' | 'sts' | 'cloudwatch' | 'route53' | 'secrets' | 's3')[],
): void {
  const noCreds = () =>
    Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
  for (const r of [PRIMARY, STANDBY, EDGE]) for (const s of services) w.m(r)[s].rejects(noCreds());
}

describe('offline preview', () => {
  test('failover --dry-run without credentials prints the plan from the config and the live checks it skipped', async () => {
    const w = new World();
    withoutCredentials(w, ['rds', 'ssm', 'logs', 'sts', 'cloudwatch', 'route53', 'secrets']);
    const code = await w.run('failover', '--to', STANDBY, '--dry-run');
    expect(code).toBe(0);
    expect(w.out).toContain(
      'Plan: planned failover to ap-northeast-1 (offline preview: no AWS credentials; from config "default" alone)',
    );
    expect(w.out).toContain('  3. Drain ap-northeast-2');
    expect(w.out).toMatch(
      /Promote the database to ap-northeast-1\n.*SwitchoverGlobalCluster resilient-shop-global/,
    );
    expect(w.out).toContain(
      'Live checks skipped (they need credentials): which account the credentials are for;',
    );
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()).toEqual([
      expect.objectContaining({ command: 'failover', result: 'dry-run', detail: 'offline preview' }),
    ]);
  });
});

describe('offline failback preview', () => {
  test('failback --dry-run without credentials prints the plan from the config and changes nothing', async () => {
    const w = new World();
    withoutCredentials(w, ['rds', 'ssm', 'logs', 'sts', 'cloudwatch', 'route53', 'secrets']);
    const code = await w.run('failback', '--dry-run');
    expect(code).toBe(0);
    expect(w.out).toContain(
      'Plan: failback to ap-northeast-2 (offline preview: no AWS credentials; from config "default" alone)',
    );
    expect(w.out).toMatch(
      /1\. Promote the database to ap-northeast-2 \(planned switchover, no data loss\)\n.*SwitchoverGlobalCluster resilient-shop-global -> resilient-shop-ap-northeast-2/,
    );
    expect(w.out).toMatch(
      /Undrain ap-northeast-2 \(when drained; ap-northeast-2 first\)\n.*region: ap-northeast-1, us-east-1/,
    );
    expect(w.out).toContain(
      'Live checks skipped (they need credentials): which account the credentials are for;',
    );
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()).toEqual([
      expect.objectContaining({ command: 'failback', result: 'dry-run', detail: 'offline preview' }),
    ]);
  });

  test('failback without --dry-run and without credentials still refuses (no offline run)', async () => {
    const w = new World();
    withoutCredentials(w, ['rds', 'ssm', 'logs', 'sts', 'cloudwatch', 'route53', 'secrets']);
    expect(await w.run('failback', '--yes')).not.toBe(0);
    expect(w.out).not.toContain('offline preview');
    expect(w.mutatingCalls()).toEqual([]);
  });
});

test('notice set --dry-run without credentials prints the document it would write and says what it skipped', async () => {
  const w = new World();
  withoutCredentials(w, ['s3', 'ssm', 'logs', 'sts']);
  expect(await w.run('notice', 'set', '--ko', '지연', '--en', 'Delayed', '--dry-run')).toBe(0);
  expect(w.out).toContain(
    'warning: offline preview (no AWS credentials): skipped the live checks of the account',
  );
  expect(w.out).toContain('"en": "Delayed"');
  expect(w.out).toContain('Dry run: nothing changed.');
  expect(w.mutatingCalls()).toEqual([]);
});

test('drill payment-provider-outage --dry-run without credentials prints the fault switch it would write and how it is restored', async () => {
  const w = new World();
  withoutCredentials(w, ['rds', 'ssm', 'logs', 'sts', 'cloudwatch', 'route53', 'secrets']);
  const code = await w.run(
    'drill',
    'payment-provider-outage',
    '--region',
    STANDBY,
    '--provider',
    'kakaopay',
    '--minutes',
    '5',
    '--dry-run',
  );
  expect(code).toBe(0);
  expect(w.out).toContain(
    'Game day: payment-provider-outage in ap-northeast-1 (offline preview: no AWS credentials; from config "default" alone)',
  );
  expect(w.out).toContain(
    '    SSM /resilient-shop/payments/drill-fault in ap-northeast-1 = {"provider":"kakaopay","mode":"refuse","until":"<start + 5 min>"} (read back when an answer is lost)',
  );
  expect(w.out).toContain(
    '    the shop in ap-northeast-1: every call to kakaopay (easy-pay) fails as a refused connection; the other regions are untouched',
  );
  expect(w.out).toContain(
    '    by hand after an interrupted run: npx shopctl drill payment-provider-outage --region ap-northeast-1 --restore --yes',
  );
  expect(w.out).toContain(
    'Live checks skipped (they need credentials): the fault switch exists in ap-northeast-1',
  );
  expect(w.mutatingCalls()).toEqual([]);
  expect(w.auditRecords()).toEqual([
    expect.objectContaining({
      command: 'drill',
      result: 'dry-run',
      detail: 'payment-provider-outage in ap-northeast-1: offline preview',
    }),
  ]);
});
