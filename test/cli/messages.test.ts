import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { FaultServer } from './support/fault-server';
import { denied, EDGE, PRIMARY, STANDBY, timeout, World } from './world';

// A config with several problems, validated by the real config module, under the name "broken".
jest.mock('../../lib/config/load', () => {
  const actual = jest.requireActual('../../lib/config/load');
  return {
    ...actual,
    loadConfig: (name: string) => {
      if (name !== 'broken') return actual.loadConfig(name);
      const raw = JSON.parse(fs.readFileSync(path.join(actual.CONFIG_DIR, 'default.json'), 'utf8'));
      raw.database.replicationLagAlarmMs = -5;
      raw.web.rootVolumeGiB = 'big';
      return actual.parseConfig(raw, 'broken', '"broken" (config/broken.json)');
    },
  };
});

const noCreds = () =>
  Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });

describe('shopctl says what happened, in full, and nothing more', () => {
  test('a bad config is shown in full (every problem), with the config exit code 6, no AWS call', async () => {
    const w = new World();
    expect(await w.run('-c', 'broken', 'status')).toBe(6);
    expect(w.err).toMatch(/^Invalid config "broken" \(config\/broken\.json\):\n {2}- /);
    expect(w.err.split('\n').filter((l) => l.startsWith('  - ')).length).toBeGreaterThanOrEqual(2);
    expect(w.err).toContain('database.replicationLagAlarmMs = -5');
    expect(w.err).toContain('web.rootVolumeGiB = "big"');
    expect(w.err).not.toContain('AWS call failed');
    expect(w.err).not.toContain('    at ');
    expect(w.calls()).toEqual([]);
  });

  test('a usage error prints no warning about the audit record', async () => {
    const w = new World();
    for (const r of [PRIMARY, STANDBY]) w.m(r).logs.rejects(denied());
    expect(await w.run('failover', '--to', 'eu-west-1', '--yes')).toBe(2);
    expect(w.stderr).toEqual([
      'Unknown region "eu-west-1". Valid regions (failover order): ap-northeast-2, ap-northeast-1. Nothing changed.',
    ]);
    expect(w.auditRecords()).toEqual([expect.objectContaining({ result: 'refused' })]);
  });

  test('a run without credentials says only that, once (a dry run previews offline: test/cli/outcomes.test.ts)', async () => {
    const w = new World();
    for (const r of [PRIMARY, STANDBY, EDGE])
      for (const s of ['rds', 'ssm', 'logs', 'sts', 'secrets', 'cloudwatch'] as const)
        w.m(r)[s].rejects(noCreds());
    expect(await w.run('failover', '--to', STANDBY, '--yes')).toBe(5);
    expect(w.stderr).toEqual([
      'No AWS credentials found. Fix: run "aws sso login" or export AWS_PROFILE / AWS_ACCESS_KEY_ID, then re-run.',
    ]);
  });

  test('a missing profile is named, with the profiles that exist', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-aws-'));
    fs.writeFileSync(
      path.join(dir, 'config'),
      '[profile oncall-prod]\nregion = ap-northeast-2\n[sso-session corp]\n',
    );
    fs.writeFileSync(path.join(dir, 'credentials'), '[default]\naws_access_key_id = x\n');
    const saved = { c: process.env.AWS_CONFIG_FILE, k: process.env.AWS_SHARED_CREDENTIALS_FILE };
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    try {
      const w = new World();
      for (const r of [PRIMARY, STANDBY, EDGE])
        for (const s of ['rds', 'ssm', 'logs', 'sts', 'secrets', 'cloudwatch'] as const)
          w.m(r)[s].rejects(noCreds());
      expect(await w.run('--profile', 'oncall-prdo', 'failover', '--to', STANDBY, '--yes')).toBe(5);
      expect(w.stderr).toEqual([
        `No AWS credentials: profile "oncall-prdo" (--profile) is not defined in ${dir}/config or ${dir}/credentials. ` +
          'Fix: use one of default, oncall-prod, or run "aws configure sso --profile oncall-prdo", then re-run.',
      ]);
    } finally {
      process.env.AWS_CONFIG_FILE = saved.c;
      process.env.AWS_SHARED_CREDENTIALS_FILE = saved.k;
      if (saved.c === undefined) delete process.env.AWS_CONFIG_FILE;
      if (saved.k === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
    }
  });

  test.each([
    ['ExitPromptError', 'User force closed the prompt with SIGINT'],
    ['AbortPromptError', 'Prompt was aborted'],
  ])('Ctrl-C at the confirmation prompt (%s) reads like answering no', async (name, message) => {
    const w = new World();
    w.interactive = true;
    w.extra = { confirm: async () => Promise.reject(Object.assign(new Error(message), { name })) };
    expect(await w.run('failover', '--to', STANDBY)).toBe(2);
    expect(w.out).toContain('Aborted. Nothing changed.');
    expect(w.err).not.toMatch(/AWS call failed|ExitPromptError|AbortPromptError/);
    expect(w.mutatingCalls()).toEqual([]);
    expect(w.auditRecords()).toEqual([expect.objectContaining({ command: 'failover', result: 'aborted' })]);

    // answering no gives the same exit code
    const n = new World();
    n.interactive = true;
    n.confirmAnswer = false;
    expect(await n.run('failover', '--to', STANDBY)).toBe(2);
  });

  test('a failed /healthz shows its cause: getaddrinfo ENOTFOUND, not "fetch failed"', async () => {
    const w = new World();
    w.extra = {
      fetch: async (url: string) => {
        // the shape undici gives a name that does not resolve
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error(`getaddrinfo ENOTFOUND ${new URL(url).hostname}`), {
            code: 'ENOTFOUND',
          }),
        });
      },
    };
    expect(await w.run('failover', '--to', STANDBY, '--yes')).toBe(2);
    expect(w.err).toContain(
      'Refusing: ap-northeast-1 /healthz is not 200 (no answer (TypeError: fetch failed: getaddrinfo ENOTFOUND ap-northeast-1.shop.example.com))',
    );
  });

  test('a refused connection to a real port shows ECONNREFUSED', async () => {
    const closed = await FaultServer.start('hang');
    const port = closed.port;
    await closed.close();
    const w = new World();
    w.healthzServer.set(STANDBY, `http://127.0.0.1:${port}`);
    // the only standby refuses: no failover target, AT-RISK
    expect(await w.run('status')).toBe(1);
    expect(w.out).toContain(`no answer (TypeError: fetch failed: connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  test('notice set and failback check the account before any change', async () => {
    const w = new World();
    w.state.account = '222222222222';
    expect(await w.run('notice', 'set', '--ko', '가', '--en', 'a', '--yes')).toBe(2);
    expect(w.err).toContain('Refusing: the credentials are for account 222222222222');
    expect(w.m(EDGE).s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(await w.run('notice', 'set', '--ko', '가', '--en', 'a', '--yes', '--force')).toBe(0);

    const f = new World();
    f.state.writer = STANDBY;
    f.state.account = '222222222222';
    expect(await f.run('failback', '--yes')).toBe(2);
    expect(f.m(PRIMARY).rds.commandCalls(SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('an account that cannot be checked (STS down everywhere) is a refusal too', async () => {
    const w = new World();
    for (const r of [PRIMARY, STANDBY]) w.m(r).sts.on(GetCallerIdentityCommand).rejects(timeout());
    expect(await w.run('failover', '--to', STANDBY, '--yes')).toBe(2);
    expect(w.err).toContain(
      'Refusing: could not check which account the credentials are for (sts:GetCallerIdentity in ap-northeast-2 did not answer',
    );
    expect(w.mutatingCalls()).toEqual([]);
  });
});
