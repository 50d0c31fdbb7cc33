import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { SwitchoverGlobalClusterCommand, FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { statusSchema } from '../../lib/contract/status';
import { arnOf, denied, EDGE, PRIMARY, STANDBY, throttle, World } from './world';

/** Failed-over world: writer in the standby, primary drained. */
function failedOver(): World {
  const w = new World();
  w.state.writer = STANDBY;
  w.state.resolvesTo = STANDBY;
  w.state.drained = { [PRIMARY]: { [STANDBY]: true } };
  w.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
  w.state.healthz[PRIMARY] = { status: 503, mode: 'read-only', db: 'secondary' };
  w.m(PRIMARY)
    .rds.on(SwitchoverGlobalClusterCommand)
    .callsFake(() => {
      w.state.writer = PRIMARY;
      w.state.healthz[PRIMARY] = { status: 200, mode: 'read-write', db: 'writer' };
      return {};
    });
  return w;
}

describe('shopctl failback', () => {
  test('switchover to the primary first, verify, then undrain (exact order and arguments)', async () => {
    const w = failedOver();
    expect(await w.run('failback', '--yes')).toBe(0);
    expect(w.calls().filter((c) => /^(Switchover|Failover|PutParameter)/.test(c.command))).toEqual([
      expect.objectContaining({
        region: PRIMARY,
        command: 'SwitchoverGlobalCluster',
        input: {
          GlobalClusterIdentifier: 'resilient-shop-global',
          TargetDbClusterIdentifier: arnOf(PRIMARY),
        },
      }),
      expect.objectContaining({
        region: STANDBY,
        command: 'PutParameter',
        input: {
          Name: '/resilient-shop/switch/ap-northeast-2',
          Value: 'serving',
          Type: 'String',
          Overwrite: true,
        },
      }),
    ]);
    expect(w.m(PRIMARY).rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    // /healthz of the primary was read-write before the undrain
    expect(w.out).toMatch(
      /\[ OK \] 3\. Verify ap-northeast-2 serves read-write[\s\S]*\[ OK \] 4\. Undrain ap-northeast-2/,
    );
  });

  test('primary never becomes read-write → stops before undraining, exit 4', async () => {
    const w = failedOver();
    w.m(PRIMARY)
      .rds.on(SwitchoverGlobalClusterCommand)
      .callsFake(() => {
        w.state.writer = PRIMARY;
        return {};
      });
    expect(await w.run('failback', '--yes')).toBe(4);
    expect(w.m(STANDBY).ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(w.err).toContain('NOT DONE 4. Undrain ap-northeast-2');
    expect(w.err).toContain('To resume (the command is idempotent): npx shopctl failback --yes');
  });

  test('undrain fails in an answering holder → exit 4 with resume hint', async () => {
    const w = failedOver();
    w.m(STANDBY).ssm.on(PutParameterCommand).rejects(denied());
    expect(await w.run('failback', '--yes')).toBe(4);
    expect(w.err).toMatch(
      /NOT DONE 4\. Undrain ap-northeast-2: not undrained in ap-northeast-1 \(Access denied/,
    );
  });

  test('already in effect → no mutating calls', async () => {
    const w = new World();
    expect(await w.run('failback', '--yes')).toBe(0);
    expect(w.out).toContain(
      'Already in effect: ap-northeast-2 is the database writer and no region is drained',
    );
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('--dry-run makes zero mutating calls', async () => {
    const w = failedOver();
    expect(await w.run('failback', '--dry-run')).toBe(0);
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('refuses when the primary does not answer or lag is high; --force overrides', async () => {
    const w = failedOver();
    w.state.healthz[PRIMARY] = null;
    w.state.lagMs = 5000;
    expect(await w.run('failback', '--yes')).toBe(2);
    expect(w.err).toContain('Refusing: ap-northeast-2 /healthz does not answer');
    expect(w.err).toContain('Refusing: replication lag of ap-northeast-2 is 5000 ms');
    expect(w.mutatingCalls()).toEqual([]);
    expect(await w.run('failback', '--yes', '--force')).toBe(0);
    expect(w.m(PRIMARY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(1);
  });
});

describe('shopctl notice', () => {
  const SET = [
    'notice',
    'set',
    '--ko',
    '결제 지연 중',
    '--en',
    'Payments are delayed',
    '--eta',
    '2026-05-01T03:30:00Z',
    '--yes',
  ];

  test('set: PutObject body validates, then CreateInvalidation of /status.json', async () => {
    const w = new World();
    w.state.healthz[PRIMARY] = null;
    expect(await w.run(...SET, '--severity', 'minor')).toBe(0);
    const put = w.m(EDGE).s3.commandCalls(PutObjectCommand);
    expect(put).toHaveLength(1);
    const input = put[0].args[0].input;
    expect(input).toMatchObject({
      Bucket: 'resilient-shop-outage-111111111111',
      Key: 'status.json',
      ContentType: 'application/json',
      CacheControl: 'max-age=30',
    });
    const body = statusSchema.parse(JSON.parse(input.Body as string));
    expect(body).toEqual({
      severity: 'minor',
      message: { ko: '결제 지연 중', en: 'Payments are delayed' },
      updatedAt: '2026-05-01T03:00:00.000Z',
      nextUpdateAt: '2026-05-01T03:30:00.000Z',
      regions: { [PRIMARY]: 'unknown', [STANDBY]: 'operational' },
    });
    expect(w.m(EDGE).ssm.commandCalls(GetParameterCommand)[0].args[0].input).toEqual({
      Name: '/resilient-shop/outage/distribution-id',
    });
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)[0].args[0].input).toEqual({
      DistributionId: 'EDFDVBD6EXAMPLE',
      InvalidationBatch: {
        CallerReference: `shopctl-${Date.parse('2026-05-01T03:00:00Z')}`,
        Paths: { Quantity: 1, Items: ['/status.json'] },
      },
    });
    expect(w.mutatingCalls()).toEqual([`${EDGE} PutObject`, `${EDGE} CreateInvalidation`]);

    // repeating the same notice later is a no-op
    w.clock += 60_000;
    expect(await w.run(...SET, '--severity', 'minor')).toBe(0);
    expect(w.out).toContain(
      'Already in effect: the same notice has been shown since 2026-05-01T03:00:00.000Z',
    );
    expect(w.mutatingCalls()).toHaveLength(2);
  });

  test('--eta +30m is relative to now; default severity is major', async () => {
    const w = new World();
    expect(await w.run('notice', 'set', '--ko', '가', '--en', 'a', '--eta', '+30m', '--yes')).toBe(0);
    const body = JSON.parse(w.m(EDGE).s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(body).toMatchObject({ severity: 'major', nextUpdateAt: '2026-05-01T03:30:00.000Z' });
  });

  test('bad --eta and bad --severity are usage errors with no call', async () => {
    const w = new World();
    expect(await w.run('notice', 'set', '--ko', '가', '--en', 'a', '--eta', 'soon')).toBe(2);
    expect(await w.run('notice', 'set', '--ko', '가', '--en', 'a', '--severity', 'huge')).toBe(2);
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('clear writes severity none with empty messages; clearing again is a no-op', async () => {
    const w = new World();
    await w.run(...SET);
    expect(await w.run('notice', 'clear', '--yes')).toBe(0);
    const puts = w.m(EDGE).s3.commandCalls(PutObjectCommand);
    const body = statusSchema.parse(JSON.parse(puts[1].args[0].input.Body as string));
    expect(body).toMatchObject({ severity: 'none', message: { ko: '', en: '' }, nextUpdateAt: null });
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(2);
    expect(await w.run('notice', 'clear', '--yes')).toBe(0);
    expect(w.out).toContain('Already in effect: no notice is shown; verified. Nothing changed.');
    expect(puts).toHaveLength(2);
  });

  test('--dry-run makes zero mutating calls', async () => {
    const w = new World();
    expect(await w.run(...SET, '--dry-run')).toBe(0);
    expect(w.out).toContain('"en": "Payments are delayed"');
    expect(w.out).toContain(
      'Dry run: nothing changed. Would run: Write s3://resilient-shop-outage-111111111111/status.json (us-east-1); Invalidate /status.json',
    );
    expect(w.mutatingCalls()).toEqual([]);
  });

  test('asks before changing what customers see: declining or Ctrl-C at the prompt changes nothing', async () => {
    const w = new World();
    w.interactive = true;
    w.confirmAnswer = false;
    const SET_ASK = SET.filter((a) => a !== '--yes');
    expect(await w.run(...SET_ASK)).toBe(2);
    expect(w.out).toContain('Plan: show this notice on the outage page');
    expect(w.out).toContain('Aborted. Nothing changed.');
    expect(w.mutatingCalls()).toEqual([]);
    expect(await w.run('notice', 'clear')).toBe(0); // nothing to clear: no question needed
    w.confirmAnswer = true;
    expect(await w.run(...SET_ASK)).toBe(0);
    expect(w.mutatingCalls()).toEqual([`${EDGE} PutObject`, `${EDGE} CreateInvalidation`]);

    const n = new World();
    expect(await n.run(...SET_ASK)).toBe(2); // no terminal and no --yes
    expect(n.err).toContain('Re-run with --yes to confirm');
    expect(n.mutatingCalls()).toEqual([]);
  });

  test('the rollback command shows the previous notice again, quoted to run as printed', async () => {
    const w = new World();
    await w.run(
      'notice',
      'set',
      '--ko',
      "고객님's 주문",
      '--en',
      "We're on it",
      '--severity',
      'minor',
      '--yes',
    );
    w.m(EDGE).cloudfront.on(CreateInvalidationCommand).rejects(throttle());
    expect(await w.run(...SET)).toBe(4);
    expect(w.err).toContain(
      `To roll back instead: npx shopctl notice set --severity minor --ko '고객님'\\''s 주문' --en 'We'\\''re on it' --yes`,
    );
    expect(w.err).toContain(
      `To resume (the command is idempotent): npx shopctl notice set --severity major --ko '결제 지연 중' --en 'Payments are delayed' --eta 2026-05-01T03:30:00.000Z --yes`,
    );
  });

  test('invalidation failing after the write → exit 4 with the exact command to finish', async () => {
    const w = new World();
    w.m(EDGE).cloudfront.on(CreateInvalidationCommand).rejects(throttle());
    expect(await w.run(...SET)).toBe(4);
    expect(w.err).toContain(
      'aws cloudfront create-invalidation --distribution-id EDFDVBD6EXAMPLE --paths /status.json',
    );
  });

  test('write failing → nothing changed, exit 5; audited', async () => {
    const w = new World();
    w.m(EDGE).s3.on(PutObjectCommand).rejects(denied());
    expect(await w.run(...SET)).toBe(5);
    expect(w.err).toContain('FAILED: nothing was changed.');
    expect(w.err).toMatch(/NOT DONE 1\. Write s3:\/\/.*: Access denied: s3:PutObject in us-east-1/);
    expect(w.err).toMatch(/NOT DONE 2\. Invalidate/);
    expect(w.m(EDGE).cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(0);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'notice set', result: 'failed' });
  });
});
