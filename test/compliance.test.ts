import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RESILIENCE_CHECKS_DEFAULT } from '../lib/app';
import { ResilienceChecks } from '../lib/compliance/resilience';
import { LONG, shortOrLong } from './support/long';
import { synth, testConfig } from './support/synth';

interface Violation {
  ruleName: string;
  severity?: string;
  violatingConstructs: Array<{ constructPath: string }>;
  reason?: string;
  acknowledgedAt?: string;
}
interface Report {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations: Violation[];
    /** Absent when a plugin has no acknowledged finding. */
    suppressedViolations?: Violation[];
  }>;
}

/**
 * The default config with every optional resource on: the FIS Lambda extension (off by default)
 * adds a bucket, layers and permissions that must pass the same gates, and turning it off only
 * removes resources.
 */
const everythingOn = testConfig((raw) => {
  raw.gameDays = { lambdaFaultInjection: true };
});

/**
 * Synthesizes the app with cdk-nag's packs as policy validation plugins and reads the report. The
 * Control Tower rules of cfn-guard (237 rules over five templates, about 11 s of CPU, half the suite)
 * join in `npm run test:long`, which CI runs too; `cdk synth` and `npm test` gate on the nag packs,
 * the resilience pack and CloudFormation's validator.
 */
function nagReport(): Report {
  const { outdir } = synth(everythingOn, { nag: true, plugins: LONG ? [new CfnGuardValidator({})] : [] });
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

// aws-cdk-lib leaves a plugin with nothing to say (success, no finding, no acknowledgement) out of
// validation-report.json, so the resilience pack's own answer is read where it is made.
const resilienceRuns: Array<ReturnType<ResilienceChecks['validateScope']>> = [];
const validateScope = ResilienceChecks.prototype.validateScope;
const spy = jest.spyOn(ResilienceChecks.prototype, 'validateScope').mockImplementation(function (
  this: ResilienceChecks,
  scope,
) {
  const result = validateScope.call(this, scope);
  resilienceRuns.push(result);
  return result;
});
const report = nagReport();
spy.mockRestore();
const plugin = (name: string) => report.pluginReports.find((p) => p.pluginName === name)!;

describe('compliance', () => {
  // The resilience pack joins the zero-findings gate when RESILIENCE_CHECKS_DEFAULT becomes 'error'.
  test.each(
    shortOrLong(
      ['AwsSolutions', 'PCI.DSS.321', 'CloudFormation Validate'],
      ['AwsSolutions', 'PCI.DSS.321', 'cdk-validator-cfnguard', 'CloudFormation Validate'],
    ),
  )('%s: zero unacknowledged findings', (name) => {
    const p = plugin(name);
    expect(p).toBeDefined();
    const open = p.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`),
    );
    expect(open).toEqual([]);
    expect(p.conclusion).toBe('success');
  });

  test('the resilience pack runs once in the same synth, in error mode, with zero findings', () => {
    expect(RESILIENCE_CHECKS_DEFAULT).toBe('error');
    expect(resilienceRuns).toHaveLength(1);
    expect(resilienceRuns[0].violations).toEqual([]);
    expect(resilienceRuns[0].success).toBe(true);
    // nothing acknowledged either: a finding is fixed in the templates, not explained away
    expect(plugin('Resilience')).toBeUndefined();
  });

  test('every acknowledgement is scoped below a stack (never the app or a whole stack) and gives a reason', () => {
    const stackNames = new Set([
      'resilient-shop-ap-northeast-2-foundation',
      'resilient-shop-ap-northeast-1-foundation',
      'resilient-shop-ap-northeast-2',
      'resilient-shop-ap-northeast-1',
      'resilient-shop-edge',
    ]);
    for (const p of report.pluginReports) {
      for (const s of p.suppressedViolations ?? []) {
        expect([s.ruleName, s.acknowledgedAt]).toEqual([s.ruleName, expect.stringContaining('/')]);
        expect(stackNames.has(s.acknowledgedAt!)).toBe(false);
        expect((s.reason ?? '').length).toBeGreaterThan(40);
      }
    }
  });

  const GUARD = 'cdk-validator-cfnguard';
  const exceptions = (keep: (plugin: string) => boolean) =>
    report.pluginReports
      .filter((p) => keep(p.pluginName))
      .flatMap((p) =>
        (p.suppressedViolations ?? []).map((s) => ({
          rule: s.ruleName,
          at: s.acknowledgedAt,
          reason: s.reason,
        })),
      )
      .sort((a, b) => `${a.at} ${a.rule}`.localeCompare(`${b.at} ${b.rule}`));

  test('the list of exceptions, for reviewers: any new acknowledgement shows up in this snapshot', () => {
    expect(exceptions((p) => p !== GUARD)).toMatchSnapshot();
  });

  // cfn-guard runs in the long run only (see nagReport); skipped, not absent, in `npm test`, so that
  // its snapshot is kept.
  (LONG ? test : test.skip)('the list of cfn-guard exceptions (test:long)', () => {
    expect(exceptions((p) => p === GUARD)).toMatchSnapshot();
  });
});

test('the gate can fail: a bucket without access logs is reported', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  const app = new App({ outdir });
  new Bucket(new Stack(app, 'Probe'), 'Unlogged');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch {
    // Synthesis reports the violation; the report file is what the gate reads.
  }
  const r: Report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  const rules = r.pluginReports
    .find((p) => p.pluginName === 'AwsSolutions')!
    .violations.map((v) => v.ruleName);
  expect(rules).toContain('AwsSolutions-S1');
});
