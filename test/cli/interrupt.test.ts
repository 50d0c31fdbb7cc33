import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FaultServer } from './support/fault-server';

/**
 * Ctrl-C at every step: `shopctl` runs as a child process (its real SIGINT handling), the step under
 * test waits on a local server that never answers, and the test sends a real SIGINT once the step
 * shows as running. Every interruption must leave the list of steps done and not done, the resume and
 * rollback commands, and an audit record, local and remote, and exit 130.
 */
const ROOT = path.join(__dirname, '..', '..');
const CHILD = path.join(__dirname, 'support', 'child.ts');
/**
 * child.ts bundled once for the suite (esbuild, about 1 s) and started with plain node: started through
 * tsx, each of the ten children resolved and compiled the CLI, the SDK clients and the mocks again
 * (1.3 s of CPU each, half that from the bundle). Same code. The bundle sits two directories below the
 * project root, like lib/config/*.ts, so their `__dirname`-relative paths (config/, cdk.json) resolve
 * as they do from the sources. Packages stay outside the bundle and load from node_modules as they do
 * for bin/shopctl.js: bundled, aws-cdk-lib (which the CLI reaches through lib/) made a 71 MB file that
 * every child parsed whole (1.2 s of CPU each), where Node loads only the modules it uses.
 */
const BUNDLE = path.join(ROOT, 'node_modules', '.cache', `shopctl-interrupt-child-${process.pid}.js`);

let hang: FaultServer;
beforeAll(async () => {
  hang = await FaultServer.start('hang');
  await build({
    entryPoints: [CHILD],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: BUNDLE,
    packages: 'external',
    logLevel: 'error',
  });
});
afterAll(async () => {
  await hang.close();
  fs.rmSync(BUNDLE, { force: true });
});

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  audit: Record<string, any>[];
  remote: { region: string; message: string }[];
}

/**
 * Runs the child until `marker` appears on stdout (or, for `null`, until the child's first call reaches
 * the server), interrupts it with SIGINT, and collects what it left.
 */
async function interruptAt(
  at: string,
  marker: RegExp | null,
  argv: string[],
  env: Record<string, string> = {},
): Promise<ChildResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-int-'));
  const auditFile = path.join(dir, 'audit.jsonl');
  const callsFile = path.join(dir, 'calls.json');
  const child: ChildProcess = spawn(process.execPath, [BUNDLE, ...argv], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CHILD_HANG_URL: hang.url,
      CHILD_HANG_AT: at,
      CHILD_AUDIT_FILE: auditFile,
      CHILD_CALLS_FILE: callsFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const interrupt = () => {
    sent = true;
    // let the step's call reach the server before the interrupt
    setTimeout(() => child.kill('SIGINT'), 300);
  };
  const before = hang.accepted;
  const poll = setInterval(() => {
    if (!sent && marker === null && hang.accepted > before) interrupt();
  }, 50);
  child.stdout!.on('data', (b) => {
    stdout += String(b);
    if (!sent && marker?.test(stdout)) interrupt();
  });
  child.stderr!.on('data', (b) => (stderr += String(b)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(poll);
  const audit = fs.existsSync(auditFile)
    ? fs
        .readFileSync(auditFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
  const remote = fs.existsSync(callsFile) ? JSON.parse(fs.readFileSync(callsFile, 'utf8')) : [];
  if (!sent) throw new Error(`marker ${marker} never appeared (exit ${code}):\n${stdout}\n${stderr}`);
  return { code, stdout, stderr, audit, remote };
}

const FAILOVER = ['failover', '--to', 'ap-northeast-1', '--yes'];
const RESUME = 'To resume (the command is idempotent): npx shopctl failover --to ap-northeast-1 --yes';
const ROLLBACK = 'To roll back instead: npx shopctl failback --yes';

/** Asserts the interrupted run left its trace: list, hints, local and remote audit. */
function expectTrace(r: ChildResult, result: string): void {
  expect(r.code).toBe(130);
  expect(r.audit).toHaveLength(1);
  expect(r.audit[0]).toMatchObject({ result });
  expect(r.remote.map((x) => JSON.parse(x.message))).toEqual([
    expect.objectContaining({ command: r.audit[0].command, result, steps: r.audit[0].steps }),
  ]);
}

// The child runs on the real clock and an ETA must be in the future: a delay, not a date.
const NOTICE = ['notice', 'set', '--ko', '지연', '--en', 'Delayed', '--eta', '+1h', '--yes'];

/** Every scenario: which call hangs, when to interrupt, and the command. */
const SCENARIOS: Record<string, [RegExp | null, string[]]> = {
  'undrain-target': [/\[ \.\. \] 1\. Make sure ap-northeast-1 is not drained/, FAILOVER],
  drain: [/\[ \.\. \] 2\. Drain ap-northeast-2/, FAILOVER],
  promote: [/\[ \.\. \] 3\. Promote/, FAILOVER],
  wait: [/\[ \.\. \] 4\. Wait/, FAILOVER],
  verify: [/\[ \.\. \] 5\. Verify/, FAILOVER],
  plan: [null, FAILOVER],
  'failback-undrain': [/\[ \.\. \] 4\. Undrain ap-northeast-2/, ['failback', '--yes']],
  'notice-write': [/\[ \.\. \] 1\. Write s3:/, NOTICE],
};

// The children spend their time waiting (startup I/O, the stalled call), so they run side by side.
const results = new Map<string, ChildResult>();
beforeAll(async () => {
  const order = Object.keys(SCENARIOS);
  // the "plan" scenario is triggered by the server's connection count, so it runs on its own first
  const { plan, ...rest } = SCENARIOS;
  results.set('plan', await interruptAt('plan', plan[0], plan[1]));
  const done = await Promise.all([
    ...Object.entries(rest).map(([at, [m, argv]]) => interruptAt(at, m, argv)),
    interruptAt('promote', rest.promote[0], FAILOVER, { CHILD_LOGS_HANG: '1' }),
  ]);
  Object.keys(rest).forEach((at, i) => results.set(at, done[i]));
  results.set('promote, Logs stalled', done[done.length - 1]);
  expect(results.size).toBe(order.length + 1);
}, 90_000);

const result = (at: string) => results.get(at) as ChildResult;

describe('SIGINT at every step of a failover leaves the steps done and not done, hints and an audit record', () => {
  // A write cut by Ctrl-C is read back before anything is said: here the stalled call never reached
  // the fake AWS state, so the read-back says NOT DONE (never "may or may not").
  test.each([
    [
      'undrain-target',
      [
        'NOT DONE 1. Make sure ap-northeast-1 is not drained: not undrained in ap-northeast-2',
        'read back: not in effect',
        'NOT DONE 2. Drain ap-northeast-2 (not run)',
        'NOT DONE 5. Verify',
      ],
      // us-east-1, the other holder, took the undrain before the cut
      'the change is NOT complete (partial state).',
    ],
    [
      'drain',
      [
        'DONE     1.',
        'NOT DONE 2. Drain ap-northeast-2: only us-east-1 took the drain',
        'read back: not in effect',
        'NOT DONE 3. Promote',
      ],
      'the change is NOT complete (partial state).',
    ],
    [
      'promote',
      [
        'DONE     2. Drain ap-northeast-2',
        'NOT DONE 3. Promote the database to ap-northeast-1',
        'read back: not in effect when last read at',
        'NOT DONE 4. Wait',
        'NOT DONE 5. Verify',
      ],
      'the change is NOT complete (partial state).',
    ],
    [
      'wait',
      [
        'DONE     2. Drain',
        'DONE     3. Promote',
        'NOT DONE 4. Wait until ap-northeast-1 is the writer',
        'NOT DONE 5. Verify',
      ],
      'the change is NOT complete (partial state).',
    ],
    [
      'verify',
      [
        'DONE     3. Promote',
        'DONE     4. Wait',
        'NOT DONE 5. Verify ap-northeast-1 serves read-write (/healthz): interrupted (Ctrl-C) while running; nothing is changed by this step',
      ],
      'the change is NOT complete (partial state).',
    ],
  ])('Ctrl-C during %s', (at, lines, header) => {
    const r = result(at);
    for (const l of lines) expect(r.stderr).toContain(l);
    expect(r.stderr).toMatch(/INTERRUPTED \(Ctrl-C\) at step \d: /);
    expect(r.stderr).toContain(header);
    expect(r.stderr).toContain(RESUME);
    if (header.startsWith('nothing')) expect(r.stderr).not.toContain(ROLLBACK);
    else expect(r.stderr).toContain(ROLLBACK);
    expect(r.stdout).not.toMatch(/Done in/);
    expectTrace(r, 'interrupted');
    expect(r.audit[0].steps.map((s: { status: string }) => s.status)).toContain(
      at === 'wait' || at === 'verify' ? 'interrupted' : 'failed',
    );
  });
});

describe('SIGINT elsewhere', () => {
  test('with CloudWatch Logs stalled too: the local record is written, the remote gives up within its budget', () => {
    const r = result('promote, Logs stalled');
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('NOT DONE 3. Promote the database to ap-northeast-1');
    expect(r.stderr).toContain(RESUME);
    expect(r.stderr).toMatch(
      /warning: audit record not sent to CloudWatch Logs \(.*no answer within \d+ ms.*\); it is in .*audit\.jsonl/,
    );
    expect(r.audit).toEqual([expect.objectContaining({ command: 'failover', result: 'interrupted' })]);
    expect(r.remote).toEqual([]);
  });

  test('while planning (before any change): nothing changed, exit 130, audited', () => {
    const r = result('plan');
    expect(r.stderr).toContain('Interrupted (Ctrl-C) before any change was made: nothing changed.');
    expect(r.stdout).not.toContain('Plan:');
    expectTrace(r, 'interrupted');
  });

  test('failback during the undrain: partial, resume and rollback runnable as printed', () => {
    const r = result('failback-undrain');
    expect(r.stderr).toContain('DONE     3. Verify ap-northeast-2 serves read-write');
    expect(r.stderr).toContain('NOT DONE 4. Undrain ap-northeast-2: not undrained in ap-northeast-1');
    expect(r.stderr).toContain('To resume (the command is idempotent): npx shopctl failback --yes');
    expect(r.stderr).toContain('To roll back instead: npx shopctl failover --to ap-northeast-1 --yes');
    expectTrace(r, 'interrupted');
  });

  test('notice set during the write: the rollback restores the previous page', () => {
    const r = result('notice-write');
    // us-east-1's write is cut and reads back not in effect; the replica's went through: partial, with
    // the rollback to the previous page.
    expect(r.stderr).toMatch(
      /NOT DONE 1\. Write s3:\/\/resilient-shop-outage-111111111111\/status\.json \(us-east-1\) and s3:\/\/resilient-shop-outage-replica-111111111111\/status\.json \(ap-northeast-2\): .*status\.json not consistent in both page buckets: s3:\/\/resilient-shop-outage-111111111111 \(us-east-1\): s3:PutObject in us-east-1 interrupted \(Ctrl-C\) before it answered; read back: not in effect/,
    );
    expect(r.stderr).toContain('NOT DONE 2. Invalidate /status.json');
    expect(r.stderr).toMatch(
      /To resume \(the command is idempotent\): npx shopctl notice set --severity major --ko '지연' --en Delayed --eta \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z --yes/,
    );
    expect(r.stderr).toContain('INTERRUPTED (Ctrl-C) at step 1: the change is NOT complete (partial state).');
    expect(r.stderr).toContain('To roll back instead: npx shopctl notice clear --yes');
    expectTrace(r, 'interrupted');
  });
});

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => fs.existsSync(p));

describe('Ctrl-C at the real confirmation prompt', () => {
  // script(1) gives the child a real terminal, so @inquirer/prompts reads the keystroke itself
  (SCRIPT ? test : test.skip)(
    'reads "Aborted. Nothing changed.", exit 2 like answering no, audited as aborted',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-pty-'));
      const auditFile = path.join(dir, 'audit.jsonl');
      const cmd = `${process.execPath} ${BUNDLE} failover --to ap-northeast-1`;
      const child = spawn(SCRIPT as string, ['-qec', cmd, '/dev/null'], {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          CHILD_REAL_PROMPT: '1',
          CHILD_HANG_URL: hang.url,
          CHILD_HANG_AT: 'none',
          CHILD_AUDIT_FILE: auditFile,
          CHILD_CALLS_FILE: path.join(dir, 'calls.json'),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let sent = false;
      child.stdout.on('data', (b) => {
        out += String(b);
        if (!sent && out.includes('Run these steps now?')) {
          sent = true;
          child.stdin.write('\x03'); // Ctrl-C typed on the terminal
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(sent).toBe(true);
      expect(code).toBe(2);
      expect(out).toContain('Aborted. Nothing changed.');
      expect(out).not.toMatch(/AWS call failed|ExitPromptError/);
      const audit = fs
        .readFileSync(auditFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(audit).toEqual([expect.objectContaining({ command: 'failover', result: 'aborted', steps: [] })]);
    },
    60_000,
  );
});
