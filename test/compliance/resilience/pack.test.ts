import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { acknowledgeNag } from '../../../lib/compliance/acknowledge';
import {
  RESILIENCE_RULES,
  ResilienceChecks,
  ResilienceChecksProps,
} from '../../../lib/compliance/resilience';
import { stackIn } from './helpers';

interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Array<{
    ruleName: string;
    severity?: string;
    violatingConstructs: Array<{ constructPath: string }>;
  }>;
  suppressedViolations: Array<{ ruleName: string; reason?: string }>;
}

function report(outdir: string, plugin = 'Resilience'): PluginReport {
  const json = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  return json.pluginReports.find((p: PluginReport) => p.pluginName === plugin);
}

/** An app with one warm pool without a launch hook, validated by the pack as in `cdk synth`. */
function appWithDefect(props: ResilienceChecksProps = {}, acknowledge?: string) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'resilience-'));
  const app = new App({ outdir });
  const stack = stackIn(app, 'Web', 'eu-west-1');
  const group = new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
    minSize: '1',
    maxSize: '2',
    availabilityZones: ['eu-west-1a'],
  });
  const pool = new autoscaling.CfnWarmPool(stack, 'WarmPool', { autoScalingGroupName: group.ref });
  if (acknowledge)
    acknowledgeNag(
      pool,
      acknowledge,
      'Instances bake everything into the AMI; nothing runs at boot to wait for.',
    );
  Validations.of(app).addPlugins(new ResilienceChecks(app, props));
  return { app, outdir };
}

describe('ResilienceChecks as a policy validation plugin', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() =>
    previous === undefined ? delete process.env.CDK_VALIDATION : (process.env.CDK_VALIDATION = previous),
  );

  test('a finding fails synth with the rule, the reason and the construct', () => {
    const { app, outdir } = appWithDefect();
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = String(e);
    }
    expect(message).toContain(
      'The Auto Scaling group has a warm pool but no EC2_INSTANCE_LAUNCHING lifecycle hook that abandons an instance whose bootstrap does not complete.',
    );
    expect(message).toContain("Acknowledge with 'Resilience::Resilience-WarmPoolLaunchHook[no-launch-hook]'");
    expect(message).toContain('Web/WarmPool');
    const r = report(outdir);
    expect(r.conclusion).toBe('failure');
    expect(r.violations.map((v) => [v.ruleName, v.severity, v.violatingConstructs[0].constructPath])).toEqual(
      [['Resilience-WarmPoolLaunchHook[no-launch-hook]', 'error', 'Web/WarmPool']],
    );
  });

  test('a finding acknowledged on its resource (lib/compliance/acknowledge.ts) passes, with its reason in the report', () => {
    const { app, outdir } = appWithDefect({}, 'Resilience-WarmPoolLaunchHook[no-launch-hook]');
    app.synth();
    const r = report(outdir);
    expect(r.violations).toEqual([]);
    expect(r.suppressedViolations.map((s) => [s.ruleName, s.reason])).toEqual([
      [
        'Resilience-WarmPoolLaunchHook[no-launch-hook]',
        'Instances bake everything into the AMI; nothing runs at boot to wait for.',
      ],
    ]);
  });

  test('reportOnly reports the same finding as a warning and does not fail synth', () => {
    const { app, outdir } = appWithDefect({ reportOnly: true });
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    app.synth();
    quiet.mockRestore();
    const r = report(outdir);
    expect(r.conclusion).toBe('success');
    expect(r.violations.map((v) => [v.ruleName, v.severity])).toEqual([
      ['Resilience-WarmPoolLaunchHook[no-launch-hook]', 'warning'],
    ]);
  });

  test('a negative scheduled action margin is refused with the value and the fix', () => {
    expect(() => new ResilienceChecks(undefined, { scheduledActionMarginMinutes: -5 })).toThrow(
      'ResilienceChecks: scheduledActionMarginMinutes = -5 is not a number of minutes. Fix: use 0 or more (default 180)',
    );
  });

  test('disabledRules leaves a rule out, and an unknown id is refused with the known ones', () => {
    const { app } = appWithDefect({ disabledRules: ['WarmPoolLaunchHook'] });
    expect(() => app.synth()).not.toThrow();
    expect(() => new ResilienceChecks(undefined, { disabledRules: ['WarmPool'] })).toThrow(
      `ResilienceChecks: disabledRules has unknown rule ids WarmPool. Fix: use some of ${RESILIENCE_RULES.map((r) => r.id).join(', ')}`,
    );
  });
});

test('every rule names its AWS sources and a distinct id', () => {
  expect(new Set(RESILIENCE_RULES.map((r) => r.id)).size).toBe(RESILIENCE_RULES.length);
  for (const rule of RESILIENCE_RULES) {
    expect(rule.sources.length).toBeGreaterThan(0);
    for (const s of rule.sources) expect(s).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|github\.com)\//);
  }
});

test('cdk synth refuses an unknown -c resilienceChecks mode with the value and the fix, exit code 1', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', '..', '..', 'bin', 'resilient-shop.ts')],
    {
      env: {
        ...process.env,
        CDK_OUTDIR: fs.mkdtempSync(path.join(os.tmpdir(), 'out-')),
        CDK_CONTEXT_JSON: JSON.stringify({ resilienceChecks: 'strict' }),
      },
      encoding: 'utf8',
    },
  );
  expect(r.status).toBe(1);
  // The message is one line of its own; other lines (config notices, Node warnings) may come before
  // it, but no stack trace does.
  expect(r.stderr.split('\n').map((l) => l.trim())).toContain(
    'Invalid context resilienceChecks = "strict". Fix: use one of error, warn, off',
  );
  expect(r.stderr).not.toMatch(/^\s+at /m);
});
