import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FaultServer } from './support/fault-server';

/**
 * The real launcher (bin/shopctl.js) with the SDK pointed at a local server by the standard endpoint
 * setting (AWS_ENDPOINT_URL) and fake credentials in the environment: whatever the command, the process
 * exits by itself within its deadlines, with the right code and message.
 */
let hang: FaultServer;
beforeAll(async () => {
  hang = await FaultServer.start('hang');
});
afterAll(async () => {
  await hang.close();
});

const ROOT = path.join(__dirname, '..', '..');

function shopctl(...argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-proc-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'shopctl.js'), ...argv], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ENDPOINT_URL: hang.url,
      AWS_ACCESS_KEY_ID: 'AKIDSHOPCTLTEST',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      SHOPCTL_TIMEOUT_MS: '800',
      SHOPCTL_AUDIT_TIMEOUT_MS: '1500',
      SHOPCTL_AUDIT_FILE: path.join(dir, 'audit.jsonl'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += String(b)));
  child.stderr.on('data', (b) => (stderr += String(b)));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

type Run = Awaited<ReturnType<typeof shopctl>>;
let status: Run;
let failover: Run;
let notice: Run;
beforeAll(async () => {
  // side by side: each child mostly waits (startup I/O, deadlines)
  [status, failover, notice] = await Promise.all([
    shopctl('status'),
    shopctl('failover', '--to', 'ap-northeast-1', '--unplanned', '--yes'),
    shopctl('notice', 'set', '--ko', '가', '--en', 'a', '--yes'),
  ]);
}, 60_000);

describe('bin/shopctl.js against AWS endpoints that never answer', () => {
  test('status ends by itself, every section unknown, exit 3 or 1', () => {
    const r = status;
    expect([1, 3]).toContain(r.code);
    expect(r.stdout).toMatch(
      /Database\s+resilient-shop-global: writer unknown, status unknown \(rds:DescribeGlobalClusters in ap-northeast-2 did not answer/,
    );
    expect(r.stdout).toMatch(/Route 53 API\s+unknown/);
    expect(hang.accepted).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/Warning|at .*\.ts:\d+/); // no runtime warning, no stack trace
  });

  test('an unplanned failover that cannot read the database ends with exit 3 and says why', () => {
    const r = failover;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'Could not read the global database from any region: rds:DescribeGlobalClusters in ap-northeast-1 did not answer',
    );
  });

  test('notice set refuses when the account cannot be checked, and exits', () => {
    const r = notice;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'Refusing: could not check which account the credentials are for (sts:GetCallerIdentity in ap-northeast-2 did not answer',
    );
    expect(r.stderr).toMatch(/warning: audit record not sent to CloudWatch Logs/);
  });
});
