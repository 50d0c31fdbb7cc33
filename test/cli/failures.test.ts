import { DescribeGlobalClustersCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { denied, EDGE, PRIMARY, STANDBY, throttle, timeout, World } from './world';

function promotable(w: World): World {
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.dbStatus = 'switching-over';
        w.onSleep = () => {
          w.state.writer = r;
          w.state.dbStatus = 'available';
          w.state.healthz[r] = { status: 200, mode: 'read-write', db: 'writer' };
        };
        return {};
      });
  }
  return w;
}

const FAILOVER = ['failover', '--to', STANDBY, '--yes'];
const RESUME = 'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --yes';
const ERRORS = [
  ['ThrottlingException', throttle, /Throttled by AWS: .* Wait a few seconds and re-run the same command/],
  ['AccessDeniedException', denied, /Access denied: .*Fix: use an operator role allowed to/],
  ['a timeout', timeout, /did not answer \(TimeoutError: Connection timed out after 3000 ms\)/],
] as const;

describe('failover: a failure injected at every step', () => {
  test.each(ERRORS)(
    'step 2 (drain, every holder) fails with %s → nothing changed, exit 5',
    async (name, make, msg) => {
      const w = promotable(new World());
      w.m(STANDBY).ssm.on(PutParameterCommand).rejects(make());
      w.m(EDGE).ssm.on(PutParameterCommand).rejects(make());
      expect(await w.run(...FAILOVER)).toBe(5);
      // a write with no answer, read back twice as not in effect, may still land: never "nothing was changed"
      expect(w.err).toContain(
        name === 'a timeout'
          ? 'FAILED: nothing was in effect when read back, but a late write may still land (see the step below).'
          : 'FAILED: nothing was changed.',
      );
      if (name === 'a timeout') expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
      expect(w.err).toMatch(/NOT DONE 2\. Drain ap-northeast-2: no holder took the drain: ap-northeast-1: /);
      expect(w.err).toMatch(msg);
      expect(w.err).toContain('NOT DONE 3. Promote the database');
      expect(w.err).toContain(RESUME);
      expect(w.out).not.toMatch(/Done in/);
      expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
      expect(w.auditRecords()[0]).toMatchObject({ result: 'failed' });
    },
  );

  test.each(ERRORS)('step 1 (undrain target) fails with %s → stops before draining', async (name, make) => {
    const w = promotable(new World());
    w.state.drained = { [STANDBY]: { [PRIMARY]: true, [EDGE]: true } };
    w.m(PRIMARY).ssm.on(PutParameterCommand).rejects(make());
    w.m(EDGE).ssm.on(PutParameterCommand).rejects(make());
    const code = await w.run(...FAILOVER);
    // nothing in effect: exit 5, whatever the cause; a holder that does not answer is no exception, since
    // its parameter still says drained and keeps the target out of DNS once it answers again (#16)
    expect(code).toBe(5);
    expect(w.err).toContain(
      name === 'a timeout'
        ? 'FAILED: nothing was in effect when read back, but a late write may still land'
        : 'FAILED: nothing was changed.',
    );
    expect(w.err).toMatch(
      name === 'a timeout'
        ? /NOT DONE 1\. Make sure ap-northeast-1 is not drained: not undrained in ap-northeast-2 \(ssm:PutParameter in ap-northeast-2 did not answer .*read back twice: not in effect when last read at/
        : /NOT DONE 1\. Make sure ap-northeast-1 is not drained: not undrained in ap-northeast-2/,
    );
    expect(w.err).toContain('NOT DONE 2. Drain ap-northeast-2');
    expect(w.err).toContain(RESUME);
    // only the rejected attempt: nothing drained, no promotion
    expect(w.mutatingCalls()).toEqual([`${PRIMARY} PutParameter`, `${EDGE} PutParameter`]);
  });

  test.each(ERRORS.slice(0, 2))(
    'step 2: one holder of two takes the drain, the other answers %s → one vote never drains: partial, exit 4',
    async (_n, make) => {
      const w = promotable(new World());
      w.m(STANDBY).ssm.on(PutParameterCommand).rejects(make());
      expect(await w.run(...FAILOVER)).toBe(4);
      expect(w.err).toMatch(
        /NOT DONE 2\. Drain ap-northeast-2: only us-east-1 took the drain \(ap-northeast-1: .*\): ap-northeast-2 leaves DNS on 2 holders saying drained; re-run "npx shopctl failover --to ap-northeast-1 --yes"/,
      );
      expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
    },
  );

  test('step 2: one holder takes the drain, the other does not answer and reads back "not in effect" → it votes serving: partial, exit 4', async () => {
    const w = promotable(new World());
    w.m(STANDBY).ssm.on(PutParameterCommand).rejects(timeout());
    expect(await w.run(...FAILOVER)).toBe(4);
    expect(w.err).toMatch(
      /NOT DONE 2\. Drain ap-northeast-2: only us-east-1 took the drain \(ap-northeast-1: ssm:PutParameter in ap-northeast-1 did not answer .*read back twice: not in effect when last read at/,
    );
    expect(w.m(STANDBY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test.each(ERRORS)(
    'step 3 (promote) fails with %s → partial, exit 4, resume and rollback hints',
    async (_n, make, msg) => {
      const w = promotable(new World());
      w.m(STANDBY).rds.on(SwitchoverGlobalClusterCommand).rejects(make());
      expect(await w.run(...FAILOVER)).toBe(4);
      expect(w.err).toContain('STOPPED: the change is NOT complete (partial state).');
      expect(w.err).toMatch(/DONE\s+2\. Drain ap-northeast-2/);
      expect(w.err).toMatch(
        /NOT DONE 3\. Promote the database to ap-northeast-1.*rds:SwitchoverGlobalCluster in ap-northeast-1/,
      );
      expect(w.err).toMatch(msg);
      expect(w.err).toContain('NOT DONE 4. Wait until');
      expect(w.err).toContain(RESUME);
      expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
      expect(w.out).not.toMatch(/Done in/);
      expect(w.auditRecords()[0]).toMatchObject({ result: 'partial' });

      // re-running the same command resumes at the promotion
      w.m(STANDBY)
        .rds.on(SwitchoverGlobalClusterCommand)
        .callsFake(() => {
          w.state.writer = STANDBY;
          w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
          return {};
        });
      w.stderr.length = 0;
      expect(await w.run(...FAILOVER)).toBe(0);
      expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    },
  );

  test.each([
    ['AccessDeniedException', denied],
    ['ThrottlingException (until the timeout)', throttle],
  ] as const)('step 4 (wait) fails with %s → partial, exit 4', async (_n, make) => {
    const w = promotable(new World());
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.m(STANDBY).rds.on(DescribeGlobalClustersCommand).rejects(make());
        return {};
      });
    expect(await w.run(...FAILOVER)).toBe(4);
    expect(w.err).toMatch(
      /NOT DONE 4\. Wait until ap-northeast-1 is the writer.*rds:DescribeGlobalClusters in ap-northeast-1/,
    );
    expect(w.err).toContain(RESUME);
  });

  test('step 4 (wait) times out → partial, exit 4', async () => {
    const w = new World();
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.dbStatus = 'switching-over';
        return {};
      });
    expect(await w.run(...FAILOVER)).toBe(4);
    expect(w.err).toMatch(
      /NOT DONE 4\. Wait .*timed out after 900 s waiting for the writer \(writer ap-northeast-2, status switching-over\)/,
    );
    expect(w.err).toContain(RESUME);
  });

  test('step 5 (verify) never read-write → partial, exit 4, never prints success', async () => {
    const w = promotable(new World());
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.writer = STANDBY;
        w.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'writer' };
        return {};
      });
    expect(await w.run(...FAILOVER)).toBe(4);
    expect(w.err).toMatch(/NOT DONE 5\. Verify ap-northeast-1 serves read-write.*503 read-only db writer/);
    expect(w.out).not.toMatch(/Done in/);
    expect(w.err).toContain(RESUME);
  });

  test('the printed resume command after a failed verification verifies again: never "already in effect"', async () => {
    const w = promotable(new World());
    w.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'secondary' };
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.writer = STANDBY;
        // the new writer region's shop never reports read-write
        w.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'writer' };
        return {};
      });
    expect(await w.run(...FAILOVER, '--force')).toBe(4);
    const resume = /To resume \(the command is idempotent\): npx shopctl (.*)/.exec(w.err)?.[1];
    expect(resume).toBe('failover --to ap-northeast-1 --force --yes');

    w.stdout.length = 0;
    w.stderr.length = 0;
    expect(await w.run(...(resume as string).split(' '))).toBe(4);
    expect(w.out).not.toContain('Already in effect');
    expect(w.err).toContain(
      'NOT in effect: the changes were made earlier, but the verification failed (partial state).',
    );
    expect(w.err).toMatch(/NOT DONE 5\. Verify ap-northeast-1 serves read-write .*503 read-only db writer/);
    expect(w.err).toContain(
      'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --force --yes',
    );
    expect(w.err).toContain('To roll back instead: npx shopctl failback --yes');
    expect(w.mutatingCalls().filter((c) => c.includes('Switchover'))).toHaveLength(1);
    expect(w.auditRecords().at(-1)).toMatchObject({ result: 'partial' });

    // once the shop reports read-write, the same command says so, verified
    w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
    w.stdout.length = 0;
    expect(await w.run(...(resume as string).split(' '))).toBe(0);
    expect(w.out).toContain(
      'Already in effect: ap-northeast-1 is the database writer and ap-northeast-2 is drained; verified.',
    );
  });

  test('the resume command runs as printed even when the half-switched state trips a pre-start refusal', async () => {
    const w = promotable(new World());
    w.m(STANDBY).rds.on(SwitchoverGlobalClusterCommand).rejects(throttle());
    expect(await w.run(...FAILOVER)).toBe(4);
    // meanwhile the target looks unhealthy (as it can mid-switchover) and the lag is high
    w.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'secondary' };
    w.state.lagMs = 9_000;
    w.m(STANDBY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.writer = STANDBY;
        w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
        return {};
      });
    w.stderr.length = 0;
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.out).toContain(
      'warning: ap-northeast-1 /healthz is not 200 (503 read-only db secondary) (not a refusal: resuming a change an earlier run started)',
    );
    expect(w.out).toContain('warning: replication lag of ap-northeast-1 is 9000 ms');
    expect(w.err).not.toContain('Refusing');

    // a fresh failover in the same state is still refused
    const f = promotable(new World());
    f.state.healthz[STANDBY] = { status: 503, mode: 'read-only', db: 'secondary' };
    expect(await f.run(...FAILOVER)).toBe(2);
  });

  test('metric push failing after the parameter is set is a warning, not a failure', async () => {
    const w = promotable(new World());
    w.m(STANDBY).cloudwatch.on(PutMetricDataCommand).rejects(throttle());
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.err).toContain('parameter set, metric not sent');
  });

  test('audit failures are warnings, never fatal; the local file is still written', async () => {
    const w = promotable(new World());
    for (const r of [PRIMARY, STANDBY]) w.m(r).logs.rejects(denied());
    expect(await w.run(...FAILOVER)).toBe(0);
    expect(w.err).toContain('warning: audit record not sent to CloudWatch Logs');
    expect(w.auditRecords()).toHaveLength(1);
  });

  test('no credentials → one-line error, no stack, non-zero exit', async () => {
    const w = new World();
    const noCreds = () =>
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    for (const r of [PRIMARY, STANDBY]) {
      w.m(r).rds.rejects(noCreds());
      w.m(r).ssm.rejects(noCreds());
      w.m(r).logs.rejects(noCreds());
      w.m(r).sts.rejects(noCreds());
    }
    const code = await w.run(...FAILOVER);
    expect(code).toBe(5);
    const lines = w.stderr.filter((l) => !l.startsWith('warning: audit'));
    expect(lines).toEqual([
      'No AWS credentials found. Fix: run "aws sso login" or export AWS_PROFILE / AWS_ACCESS_KEY_ID, then re-run.',
    ]);
    expect(w.err).not.toContain('    at ');
  });
});
