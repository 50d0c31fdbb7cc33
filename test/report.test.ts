import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { configFingerprint, readAssembly, synthesizeForReport } from '../lib/report/assembly';
import { priceRegionNote } from '../lib/report/rendering';
import { buildReport, CfnTemplate, renderMarkdown, ReportData } from '../lib/report/resilience';
import { sharedTemplates, synth, SynthResult, testConfig } from './support/synth';
import { warmPoolSize } from '../lib/report/cost';

const config = loadConfig('default');
const names = new Names(config);

/** Template JSON and stack regions of a synthesized app, as the CLI reads them from cdk.out. */
function inputs(result: SynthResult): {
  templates: Record<string, CfnTemplate>;
  stackRegions: Record<string, string>;
} {
  const templates: Record<string, CfnTemplate> = {};
  const stackRegions: Record<string, string> = {};
  for (const stack of result.shop.stacks) {
    templates[stack.stackName] = result.templates[stack.stackName].toJSON();
    stackRegions[stack.stackName] = stack.region;
  }
  return { templates, stackRegions };
}

// The default config synthesized the way `npm run report` does it: into its own directory, stamped.
const assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-assembly-'));
synthesizeForReport(config, assemblyDir);
const { templates, stackRegions } = readAssembly(assemblyDir, config);
const report: ReportData = buildReport(templates, {
  budgetSeconds: config.failoverBudgetSeconds,
  stackRegions,
});
const regions = config.regions.map((r) => r.name);

describe('failover', () => {
  test('the chain of every public name goes through the regions in order and ends at the outage page', () => {
    const publicNames = names.publicNames(config.includeWww);
    expect(report.switching.chains.map((c) => c.publicName).sort()).toEqual([...publicNames].sort());
    for (const chain of report.switching.chains) {
      expect(chain.steps.map((s) => (s.kind === 'region' ? s.target : 'outage'))).toEqual([
        ...regions,
        'outage',
      ]);
      expect(chain.steps.map((s) => s.link)).toEqual([
        ...regions.map((_, i) => names.chainRecord(i)),
        names.chainRecord(regions.length - 1),
      ]);
      for (const step of chain.steps.filter((s) => s.kind === 'region')) {
        // The endpoint weighs two (a second, identical check) against the switch copies: read from
        // the children's own configs, not from their tags.
        const holders = names.switchHolders(step.target).slice().sort().join(', ');
        expect(step.healthCheck).toBe(
          `CALCULATED, healthy while 3 of 4 children are: 2 endpoint checks (${step.target}.${config.domainName}/healthz) + 2 drain switch copies (in ${holders}); out when the endpoint fails or when 2 switch copies say drained or have no data`,
        );
        expect(step.ttlSeconds).toBe(60);
      }
    }
    expect(report.switching.chains.find((c) => c.publicName === `www.${config.domainName}`)?.via).toBe(
      config.domainName,
    );
  });

  test('detection is 30 s (10 s × 3) and the worst case 90 s for every region, within the budget', () => {
    expect(report.detection.endpointChecks.map((c) => c.region)).toEqual(regions);
    for (const c of report.detection.endpointChecks) {
      expect(c).toMatchObject({ intervalSeconds: 10, failureThreshold: 3, detectionSeconds: 30 });
      expect(c.checkerRegions).toEqual(config.healthCheck.checkerRegions);
      expect(c.searchString).toBeTruthy();
    }
    expect(report.failover.map((f) => [f.region, f.worstCaseSeconds])).toEqual(regions.map((r) => [r, 90]));
    expect(report.verdict).toMatchObject({ pass: true, worstCaseSeconds: 90, budgetSeconds: 100 });
    expect(report.verdict.text).toMatch(/^PASS/);
  });

  test("the drain switch: one alarm copy per holder; with shopctl, the alarm's whole window (Route 53 may read it N of N) + Route 53 + TTL", () => {
    expect(report.switching.drainSwitches.map((d) => d.target)).toEqual(regions);
    for (const d of report.switching.drainSwitches) {
      // Every holder's copy and the edge copy (#12 defect 6); a silent copy votes "drained".
      expect(d.holders).toEqual(names.switchHolders(d.target));
      expect(d).toMatchObject({
        alarmName: names.switchAlarm(d.target),
        periodSeconds: 60,
        datapointsToAlarm: 1,
        evaluationPeriods: 3,
        treatMissingData: 'missing',
        publisherSeconds: 60,
        insufficientData: 'Unhealthy',
      });
      // 3 one-minute periods + 30 s for Route 53 to read the metric + the 60 s alias TTL
      expect(d.withShopctlSeconds).toBe(3 * 60 + 30 + 60);
      expect(d.worstCaseSeconds).toBe(d.withShopctlSeconds + 60);
    }
  });
});

describe('detection', () => {
  test('canaries in every region alarm on 3 of 5 one-minute runs', () => {
    expect(report.detection.canaries.map((c) => c.region)).toEqual(names.canaryVantages());
    for (const c of report.detection.canaries) {
      expect(c).toMatchObject({
        scheduleSeconds: 60,
        failuresToAlarm: 3,
        evaluationPeriods: 5,
        detectionSeconds: 180,
        windowSeconds: 300,
      });
    }
  });

  test('"down" composites need two vantage points, and a region is not watched from itself', () => {
    for (const c of report.detection.consensus) {
      expect(c.minVantages).toBe(2);
      // The edge region is a third vantage point (#12 defect 8).
      expect(c.vantages).toEqual([...names.canaryVantages()].sort());
      expect(c.pagesTopics).toEqual([names.alarmTopic()]);
      if (regions.includes(c.target)) expect(c.region).not.toBe(c.target);
    }
    for (const target of names.canaryTargets()) {
      const watchers = report.detection.consensus.filter((c) => c.target === target).map((c) => c.region);
      expect(watchers.sort()).toEqual(names.canaryWatchers(target).sort());
    }
  });
});

describe('database', () => {
  test('one global cluster, the writer in the primary, the same engine version everywhere', () => {
    const db = report.database;
    expect(db.globalClusterId).toBe(names.globalClusterId());
    expect(db.writerRegion).toBe(config.primaryRegion);
    expect(db.engineVersionsMatch).toBe(true);
    expect(db.engineVersions).toEqual([config.database.engineVersion]);
    expect(db.clusters.map((c) => [c.region, c.role])).toEqual(
      regions.map((r, i) => [r, i === 0 ? 'writer' : 'secondary']),
    );
    for (const c of db.clusters) {
      expect(c).toMatchObject({
        minAcu: config.database.minCapacityAcu,
        maxAcu: config.database.maxCapacityAcu,
        backupRetentionDays: config.database.backupRetentionDays,
        deletionPolicy: 'Snapshot',
      });
    }
    expect(db.clusters[1].replicationLagAlarmMs).toBe(config.database.replicationLagAlarmMs);
    expect(db.recovery.map((r) => r.rpo)[0]).toMatch(/^0/);
  });

  test('the backup plan copies every point to the other region', () => {
    expect(report.database.backupPlans).toHaveLength(1);
    const [plan] = report.database.backupPlans;
    expect(plan.region).toBe(regions[0]);
    expect(plan.copies).toEqual([
      expect.objectContaining({ region: regions[1], vault: names.backupVault(regions[1]) }),
    ]);
  });

  test('a mismatched engine version is flagged loudly', () => {
    const stack = names.regionalStack(regions[1]);
    const changed = JSON.parse(JSON.stringify(templates));
    for (const r of Object.values<any>(changed[stack].Resources)) {
      if (r.Type === 'AWS::RDS::DBCluster') r.Properties.EngineVersion = '16.4';
    }
    const r = buildReport(changed, { budgetSeconds: config.failoverBudgetSeconds, stackRegions });
    expect(r.database.engineVersionsMatch).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/ENGINE VERSION MISMATCH/);
    expect(renderMarkdown(r)).toMatch(/MISMATCH: 16\.4 vs 16\.6/);
  });
});

test('retained resources include every RDS cluster and KMS key', () => {
  for (const stack of config.regions.map((r) => names.regionalStack(r.name))) {
    const rows = report.retained.filter((r) => r.stack === stack);
    expect(rows).toContainEqual(
      expect.objectContaining({
        type: 'AWS::RDS::DBCluster',
        policy: 'Snapshot',
        physicalNames: [names.dbClusterId(stack.replace(`${config.appName}-`, ''))],
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ type: 'AWS::KMS::Key', policy: 'Retain', count: 1 }),
    );
  }
  expect(report.retained).toContainEqual(
    expect.objectContaining({ stack: names.edgeStack(), type: 'AWS::KMS::Key', policy: 'Retain' }),
  );
  expect(report.retained).toContainEqual(
    expect.objectContaining({ type: 'AWS::RDS::GlobalCluster', policy: 'Retain' }),
  );
});

test('every paging alarm reaches the on-call through the alarm topic; silent alarms feed a composite or Route 53', () => {
  expect(report.paging.paging.length).toBeGreaterThan(10);
  for (const p of report.paging.paging) {
    expect(p.topics).toEqual([names.alarmTopic()]);
    expect(p.subscribers).toEqual(config.alarmEmails.map((e) => `email:${e}`));
  }
  // Foundation stacks hold only a key and a vault: no alarms, no topic.
  expect(report.paging.topics.map((t) => t.stack).sort()).toEqual(
    Object.keys(templates)
      .filter((stack) => !stack.endsWith('-foundation'))
      .sort(),
  );
  for (const s of report.paging.silent) expect(s.usedBy.length).toBeGreaterThan(0);
  // The unreadable-outbox alarm pages nobody by design: shopctl lists it.
  for (const r of regions)
    expect(
      report.paging.silent.find((s) => s.alarmName === names.notifyOutboxUnreadableAlarm(r))?.usedBy,
    ).toEqual(['npx shopctl channels status']);
  const names2 = report.paging.paging.map((p) => p.alarmName);
  for (const r of regions) expect(names2).toContain(`${config.appName}-route53-${r}-unhealthy`);
});

test('the cost estimate is positive, itemised and states its unit prices', () => {
  const cost = report.cost;
  expect(cost.totalUsd).toBeGreaterThan(0);
  expect(cost.standbyRegionsUsd).toBeGreaterThan(0);
  expect(cost.standbyRegionsUsd).toBeLessThan(cost.totalUsd);
  expect(cost.lines.reduce((n, l) => n + l.monthlyUsd, 0)).toBeCloseTo(cost.totalUsd, 1);
  const items = cost.lines.map((l) => l.item).join('\n');
  for (const item of [
    /NAT gateways/,
    /Application Load Balancers/,
    /Aurora Serverless v2/,
    /Route 53 health checks/,
    /Composite alarms/,
    /WAF web ACLs/,
    /KMS keys/,
    /CanaryHandler/,
  ]) {
    expect(items).toMatch(item);
  }
  // Two interface endpoints (Secrets Manager, Auto Scaling) in each of the two app subnets of every
  // region: 4 endpoint-zone attachments, 2,920 hours, $29.20 a month per region.
  for (const r of regions) {
    const vpce = cost.lines.find(
      (l) => l.stack === `${config.appName}-${r}` && /Interface VPC endpoints/.test(l.item),
    );
    expect(vpce).toMatchObject({
      item: 'Interface VPC endpoints (2, 4 zone attachments)',
      quantity: 4 * 730,
      unit: 'endpoint-AZ-hour',
      unitUsd: 0.01,
      monthlyUsd: 29.2,
    });
  }
  // Route 53 health-check traffic through each region's WAF and ALB, from the edge template's
  // endpoint checks of that region: two checks (endpoint, endpoint2) × 5 checker regions × 3 assumed
  // checkers, every 10 s = 3 requests/s = 7.776 M requests a month.
  for (const r of regions) {
    const stack = `${config.appName}-${r}`;
    expect(
      cost.lines.find((l) => l.stack === stack && /WAF requests from Route 53/.test(l.item)),
    ).toMatchObject({
      quantity: 7.776,
      unit: 'million requests',
      unitUsd: 0.6,
      monthlyUsd: 4.67,
    });
    expect(
      cost.lines.find((l) => l.stack === stack && /ALB capacity for Route 53/.test(l.item)),
    ).toMatchObject({
      quantity: (3 / 25) * 730,
      unit: 'LCU-hour',
    });
  }
  for (const key of ['waf-req', 'alb-lcu'])
    expect(cost.prices.find((p) => p.key === key && p.region === regions[0])).toMatchObject({
      source: expect.stringMatching(/^https:\/\/aws\.amazon\.com\//),
      asOf: '2026-12-08',
    });
  const canaryRuns = cost.lines.find((l) => /CanaryHandler.*runs/.test(l.item));
  expect(canaryRuns?.item).toContain('43,200 runs');
  for (const line of cost.lines)
    expect(cost.prices.some((p) => p.usd === line.unitUsd) || line.unitUsd === 0).toBe(true);
});

test('custom metrics are counted from the publishers, per region, with their PutMetricData requests', () => {
  const cost = report.cost;
  const m = cost.customMetrics;
  // Per regional stack: payments 3 lanes × 6 + 2 = 20, notices 3 channels × 6 + 3 = 21, 1 switch copy,
  // canary verdicts from 3 vantages × (4 targets + 3 PaymentsDown + 2 test-payment verdicts) = 27,
  // its own canary's EMF 53, the mirror 2 sources × 6 = 12, readiness 2 sources × 9 = 18.
  expect(m.perRegion).toEqual({ [regions[0]]: 152, [regions[1]]: 152, 'us-east-1': 82 });
  expect(m.total).toBe(386);
  // Primary: 2 instances × 2 shop publishers × 43,200 + switch 43,200 + 3 canaries × 43,200
  // + 2 mirrors × 43,200 + 2 readiness × 8,640. The standby runs 1 instance.
  expect(m.requestsPerMonth).toEqual({ [regions[0]]: 449_280, [regions[1]]: 362_880, 'us-east-1': 172_800 });
  const line = (stack: string, re: RegExp) => cost.lines.find((l) => l.stack === stack && re.test(l.item));
  expect(line(names.regionalStack(regions[0]), /^Custom metrics stored/)).toMatchObject({
    quantity: 152,
    unitUsd: 0.3,
    monthlyUsd: 45.6,
  });
  expect(line(names.regionalStack(regions[0]), /^PutMetricData requests/)).toMatchObject({
    quantity: 449.28,
    unit: '1,000 requests',
    unitUsd: 0.01,
    monthlyUsd: 4.49,
  });
  expect(line(names.edgeStack(), /^Custom metrics stored/)).toMatchObject({ quantity: 82, monthlyUsd: 24.6 });
  // No foundation stack carries a metric line: each region counts once.
  expect(cost.lines.filter((l) => /Custom metrics/.test(l.item)).map((l) => l.stack)).toEqual([
    names.regionalStack(regions[0]),
    names.regionalStack(regions[1]),
    names.edgeStack(),
  ]);
  // Every custom metric an alarm reads is one a publisher sends.
  expect(cost.unpublishedAlarmMetrics).toEqual([]);
  const md = renderMarkdown(report);
  expect(md).toContain(
    `Custom metrics: **386** (152 in ${regions[0]}, 152 in ${regions[1]}, 82 in us-east-1)`,
  );
  expect(md).toContain('| canary journeys | ap-northeast-2 | EMF | 53 | 43,200 | none (log lines) |');
});

test('the count follows the settings the publishers get: one channel fewer is 6 metrics fewer per region, one method more 6 more', () => {
  const copy = JSON.parse(JSON.stringify(templates)) as Record<string, CfnTemplate>;
  for (const t of Object.values(copy))
    for (const r of Object.values(t.Resources ?? {}))
      if (r.Type === 'AWS::EC2::LaunchTemplate') {
        const parts = r.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
        r.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] = parts.map((p: unknown) =>
          typeof p !== 'string'
            ? p
            : p.replace(/\nSHOP_(NOTIFY|PAYMENTS)='([^\n]*)'/g, (_all, key: string, json: string) => {
                const v = JSON.parse(json);
                if (key === 'NOTIFY') v.channels = v.channels.filter((c: { id: string }) => c.id !== 'sms');
                else v.providers[1].methods.push('card');
                return `\nSHOP_${key}='${JSON.stringify(v)}'`;
              }),
        );
      }
  const r = buildReport(copy, { budgetSeconds: config.failoverBudgetSeconds, stackRegions });
  expect(r.cost.customMetrics.perRegion).toEqual({
    [regions[0]]: 152 - 6 + 6,
    [regions[1]]: 152 - 6 + 6,
    'us-east-1': 82,
  });
});

test("prices per region: the region's own where found, else us-east-1 flagged on the line", () => {
  const cost = report.cost;
  const nat = (region: string) =>
    cost.lines.find((l) => l.stack === names.regionalStack(region) && /NAT gateways/.test(l.item));
  // ap-northeast-1's NAT gateway hour was found ($0.062); ap-northeast-2's was not.
  expect(nat('ap-northeast-1')).toMatchObject({ unitUsd: 0.062, monthlyUsd: 45.26 });
  expect(nat('ap-northeast-1')?.note).not.toMatch(/us-east-1 price/);
  expect(nat('ap-northeast-2')).toMatchObject({
    unitUsd: 0.045,
    note: 'plus $0.045/GB processed; us-east-1 price; no source for ap-northeast-2 found',
  });
  // ap-northeast-1's ALB hour and LCU were found too; a public IPv4 address costs the same everywhere.
  expect(
    cost.lines.find(
      (l) => l.stack === names.regionalStack('ap-northeast-1') && /^Application Load/.test(l.item),
    ),
  ).toMatchObject({ unitUsd: 0.0243, monthlyUsd: 17.74, note: 'LCUs extra (≈0 idle)' });
  for (const l of cost.lines.filter((x) => /^Public IPv4/.test(x.item))) expect(l.note).toBeUndefined();
  // WAF costs the same everywhere: never flagged.
  for (const l of cost.lines.filter((x) => /^WAF/.test(x.item)))
    expect(l.note ?? '').not.toMatch(/us-east-1 price/);
  // The edge stack is in us-east-1: its own prices.
  for (const l of cost.lines.filter((x) => x.stack === names.edgeStack()))
    expect(l.note ?? '').not.toMatch(/us-east-1 price/);
  expect(cost.prices).toContainEqual(
    expect.objectContaining({ key: 'nat', region: 'ap-northeast-1', usd: 0.062, asOf: '2026-12-08' }),
  );
  expect(cost.prices).toContainEqual(
    expect.objectContaining({
      key: 'acu',
      region: 'ap-northeast-1',
      usd: 0.14,
      flag: 'us-east-1 price; no source for ap-northeast-1 found',
    }),
  );
  expect(cost.unpricedRegions).toEqual([]);
  expect(report.warnings.join('\n')).not.toMatch(/No prices for/);
});

test('a region the price table does not cover is warned about, never priced silently', () => {
  const moved = Object.fromEntries(
    Object.entries(stackRegions).map(([stack, region]) => [
      stack,
      region === regions[1] ? 'eu-west-3' : region,
    ]),
  );
  const r = buildReport(templates, { budgetSeconds: config.failoverBudgetSeconds, stackRegions: moved });
  expect(r.cost.unpricedRegions).toEqual(['eu-west-3']);
  expect(r.warnings).toContain(
    "No prices for eu-west-3 in lib/report/prices.ts: its stacks are priced at us-east-1 list prices, usually the lowest. Read that region's prices and add them with their sources.",
  );
  const ec2 = r.cost.lines.find((l) => l.stack === names.regionalStack(regions[1]) && /^EC2/.test(l.item));
  expect(ec2?.note).toBe('us-east-1 price; eu-west-3 is not in the price table');
  expect(renderMarkdown(r)).toContain('> **⚠ No prices for eu-west-3');
});

test('the game-day brake is silent and read by every FIS template of its region; the FIS extension is priced when on', () => {
  for (const region of regions) {
    const brake = report.paging.silent.find(
      (x) => x.stack === names.regionalStack(region) && x.alarmName === names.gameDayBrakeAlarm(),
    );
    const n = Object.values(templates[names.regionalStack(region)].Resources ?? {}).filter(
      (r: any) => r.Type === 'AWS::FIS::ExperimentTemplate',
    ).length;
    expect(brake?.usedBy).toEqual([`stop condition of ${n} FIS experiment templates`]);
  }
  // Off by default: no extension, so no S3 polling line.
  expect(report.cost.lines.filter((l) => l.item.startsWith('FIS extension'))).toEqual([]);

  // The templates test/fis.test.ts reads too (one synth per run); the extension adds no stack, so the
  // stacks sit in the regions of the default app's.
  const on = sharedTemplates(testConfig((raw) => (raw.gameDays = { lambdaFaultInjection: true })));
  expect(Object.keys(on).sort()).toEqual(Object.keys(stackRegions).sort());
  const withExtension = buildReport(
    Object.fromEntries(Object.entries(on).map(([name, t]) => [name, t.toJSON() as CfnTemplate])),
    { budgetSeconds: config.failoverBudgetSeconds, stackRegions },
  );
  const polls = withExtension.cost.lines.filter((l) => l.item.startsWith('FIS extension'));
  // The canary and the switch publisher of each regional stack, each run every minute.
  expect(polls.map((l) => [l.stack, l.quantity, l.unitUsd])).toEqual(
    regions.flatMap((r) => [
      [names.regionalStack(r), 43.2, 0.005],
      [names.regionalStack(r), 43.2, 0.005],
    ]),
  );
  expect(polls.map((l) => l.item).join('\n')).toMatch(
    /"CanaryHandlerFunction".*\n.*"DrainSwitchesPublisherFunction"|"DrainSwitchesPublisherFunction".*\n.*"CanaryHandlerFunction"/,
  );
});

test('the markdown opens with the verdict and holds the tables', () => {
  const md = renderMarkdown(report);
  expect(md.split('\n').slice(0, 8).join('\n')).toMatch(
    /\*\*Verdict on automatic failover: PASS: worst-case automatic failover is 90 s/,
  );
  for (const heading of [
    '## Worst-case automatic failover',
    '### DNS failover chain',
    '### Manual drain switch',
    '## Database',
    '## What survives deleting a stack',
    '## Who is paged',
    '## Estimated monthly cost of the standby posture',
  ]) {
    expect(md).toContain(heading);
  }
  expect(md).toContain(`| ${regions[0]} | 10 s × 3 = 30 s | 60 s | **90 s** | yes |`);
  expect(md).toContain(`**${config.domainName}**: ${regions.join(' → ')} → outage page (CloudFront)`);
  expect(md).toMatch(/Estimate, not a quote/);
  expect(md).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps: the same templates give the same report
  expect(renderMarkdown(buildReport(templates, { budgetSeconds: 100, stackRegions }))).toBe(md);
});

test('budget pin: a 30 s × 3 health check makes the worst case 150 s and the verdict fail', () => {
  // The config validator refuses 30 s × 3 against a 100 s budget, so these templates come from a
  // config that allows 150 s and are graded against 100 s.
  const slow = testConfig((raw) => {
    raw.healthCheck = { intervalSeconds: 30, failureThreshold: 3 };
    raw.failoverBudgetSeconds = 150;
  });
  const r = buildReport(inputs(synth(slow)).templates, { budgetSeconds: 100 });
  expect(r.failover.every((f) => f.worstCaseSeconds === 150 && !f.withinBudget)).toBe(true);
  expect(r.verdict).toMatchObject({ pass: false, worstCaseSeconds: 150, budgetSeconds: 100 });
  expect(renderMarkdown(r)).toMatch(
    /\*\*Verdict on automatic failover: FAIL: worst-case automatic failover is 150 s .* > the 100 s budget/,
  );
});

describe('the report grades the named config, and only it', () => {
  const dir = assemblyDir;
  const other = testConfig((raw) => (raw.failoverBudgetSeconds = 95));

  test('an assembly stamped for the config is graded, with the config named in the report', () => {
    const a = readAssembly(dir, config);
    expect(a.stamp).toEqual({ configName: 'default', fingerprint: configFingerprint(config) });
    expect(Object.keys(a.templates).sort()).toEqual(Object.keys(templates).sort());
    const md = renderMarkdown(
      buildReport(a.templates, { budgetSeconds: 100, stackRegions: a.stackRegions, source: a.stamp }),
    );
    expect(md).toContain(`synthesized from config "default" (fingerprint ${configFingerprint(config)})`);
  });

  test('an assembly of another config is refused, naming both configs and what to run', () => {
    expect(() => readAssembly(dir, other)).toThrow(
      new RegExp(
        `holds templates of config "default" \\(fingerprint ${configFingerprint(config)}\\), not of config "test" as it is now \\(fingerprint ${configFingerprint(other)}\\)\\. Fix: run \`npx cdk synth -c config=test -o `,
      ),
    );
  });

  test('an assembly that does not say which config it came from (an old cdk.out) is refused', () => {
    const old = fs.mkdtempSync(path.join(os.tmpdir(), 'report-old-'));
    fs.copyFileSync(path.join(dir, 'manifest.json'), path.join(old, 'manifest.json'));
    expect(() => readAssembly(old, config)).toThrow(/does not say which config it was synthesized from/);
    expect(() => readAssembly(fs.mkdtempSync(path.join(os.tmpdir(), 'empty-')), config)).toThrow(
      /is not a cloud assembly/,
    );
  });

  test("the verdict uses the config's failoverBudgetSeconds, not a fixed 100 s", () => {
    const a = readAssembly(dir, config);
    const r = buildReport(a.templates, {
      budgetSeconds: other.failoverBudgetSeconds,
      stackRegions: a.stackRegions,
    });
    expect(r.verdict).toMatchObject({ pass: true, worstCaseSeconds: 90, budgetSeconds: 95 });
    expect(renderMarkdown(r)).toContain("The failover budget (95 s) is the config's `failoverBudgetSeconds`");
  });
});

describe('the report says only true things', () => {
  const md = renderMarkdown(report);

  test('every shopctl command it names exists in the CLI', () => {
    // Commands are registered in cli/main.ts and by the register* functions of the cli/ folders.
    const dir = path.join(__dirname, '..', 'cli');
    const main = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    const commands = new Set([...main.matchAll(/\.command\('([a-z-]+)'\)/g)].map((m) => m[1]));
    const named = [...md.matchAll(/`shopctl ([a-z-]+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((c) => !commands.has(c))).toEqual([]);
    expect(md).toContain(`\`shopctl failover --to ${regions[1]} --unplanned\``);
    expect(md).toContain(`\`shopctl failover --to ${regions[1]} --planned\``);
  });

  test('no raw CloudFormation token reaches the reader', () => {
    expect(md).not.toMatch(/\$\{[A-Za-z0-9.:]+\}/);
    const outage = report.switching.chains[0].steps.at(-1)!;
    expect(outage.aliasTo).toMatch(
      /^the \*\.cloudfront\.net name of OutagePage[A-Za-z0-9]+ \(assigned at deploy\)$/,
    );
  });

  test('what survives deletion: logical ids for every resource, physical names only where the template fixes them', () => {
    const allIds = new Set(Object.values(templates).flatMap((t) => Object.keys(t.Resources ?? {})));
    for (const row of report.retained) {
      expect(row.logicalIds).toHaveLength(row.count);
      for (const id of row.logicalIds) expect(allIds.has(id)).toBe(true);
      expect(row.physicalNames.length + row.namedAtDeploy).toBe(row.count);
      for (const name of row.physicalNames) expect(allIds.has(name)).toBe(false);
    }
    const keys = report.retained.find(
      (r) => r.stack === names.regionalStack(regions[0]) && r.type === 'AWS::KMS::Key',
    )!;
    expect(keys.physicalNames).toEqual([`alias/${config.appName}-data`]);
  });

  test('the headline says when customers reach a page, browse, and buy again, and what that depends on', () => {
    expect(report.headline).toMatchObject({
      primaryRegion: regions[0],
      nextRegion: regions[1],
      reachPageSeconds: 90,
      browseSeconds: 90,
      pagedSeconds: 90,
      pagedBy: `the alarm ${config.appName}-route53-${regions[0]}-unhealthy`,
      buyAgainCommand: `shopctl failover --to ${regions[1]} --unplanned`,
    });
    const top = md.split('\n').slice(0, 6).join('\n');
    expect(top).toContain(`customers **reach a page within 90 s**`);
    expect(top).toContain(
      `They can **browse from then on** in ${regions[1]}: catalogue and order lookup, read-only`,
    );
    expect(top).toContain(
      'They can **buy again only after the database is promoted**; nothing promotes it automatically.',
    );
    expect(top).toContain('it depends on how fast a person acts');
    expect(top).not.toMatch(/traffic moves in/);
  });
});

describe('payments', () => {
  test('providers in fallback order, their replicated secrets, manual ways, detection times, the switch', () => {
    const x = report.payments;
    expect(x.inconsistent).toEqual([]);
    expect(x.providers.map((p) => [p.id, p.kind, p.methods, p.secretStack, p.replicas])).toEqual([
      [
        'toss',
        'toss-payments',
        ['card', 'easy-pay'],
        names.regionalStack(regions[0]),
        [`${regions[1]} (replica key)`],
      ],
      [
        'kakaopay',
        'kakaopay',
        ['easy-pay'],
        names.regionalStack(regions[0]),
        [`${regions[1]} (replica key)`],
      ],
    ]);
    expect(x.fallback).toEqual({ card: ['toss'], 'easy-pay': ['toss', 'kakaopay'] });
    expect(x.manual).toEqual(['bank transfer (held 24 h)', 'phone orders']);
    expect(x.switches.map((s) => [s.region, s.parameter, s.initial])).toEqual(
      regions.map((r) => [r, '/resilient-shop/payments/disabled', '[]']),
    );
    const of = (r: string, kind: string) =>
      x.alarms.find((a) => a.region === r && a.alarmName.includes(kind))!;
    for (const r of regions) {
      // 2 of 3 one-minute periods; unknowns every minute for 3 minutes; all online down 2 minutes, paging.
      expect(of(r, 'approval')).toMatchObject({ periodSeconds: 60, detectionSeconds: 120, pages: true });
      expect(of(r, 'unknowns')).toMatchObject({ detectionSeconds: 180, pages: true });
      expect(of(r, 'online-down')).toMatchObject({
        watches: 'OnlineMethodsAvailable LessThanOrEqualToThreshold 0',
        detectionSeconds: 120,
        pages: true,
      });
    }
    expect(x.alarms.filter((a) => a.alarmName.includes('approval'))).toHaveLength(3 * regions.length);
    const md = renderMarkdown(report);
    expect(md).toContain('## Payments');
    expect(md).toContain(
      "Fallback order (the shop routes a method to the next provider when one's breaker opens): card: toss; easy-pay: toss → kakaopay. When every online method is down: bank transfer (held 24 h), phone orders.",
    );
  });
});

describe('customer notices', () => {
  test('channels in fallback order, the NHN secrets replicated, the alarm with its threshold and detection, the switch', () => {
    const x = report.notifications;
    expect(x.inconsistent).toEqual([]);
    expect(x.channels.map((c) => [c.id, c.kind, c.secretName, c.secretStack, c.replicas])).toEqual([
      [
        'alimtalk',
        'nhn-alimtalk',
        'resilient-shop/notify/alimtalk',
        names.regionalStack(regions[0]),
        [`${regions[1]} (replica key)`],
      ],
      [
        'sms',
        'nhn-sms',
        'resilient-shop/notify/sms',
        names.regionalStack(regions[0]),
        [`${regions[1]} (replica key)`],
      ],
      ['email', 'ses', undefined, undefined, []],
    ]);
    expect(x.switches.map((s) => [s.region, s.parameter, s.initial])).toEqual(
      regions.map((r) => [r, '/resilient-shop/notify/disabled', '[]']),
    );
    for (const r of regions) {
      const mine = x.alarms.filter((a) => a.region === r);
      expect(mine.map((a) => [a.alarmName, a.kind, a.threshold, a.detectionSeconds, a.pages])).toEqual([
        [names.notifyOldestUnsentAlarm(r), 'metric', 300, 180, true],
        [names.notifyUnmeasuredParts(r).silent, 'metric', 1, 180, false],
        [names.notifyOutboxUnreadableAlarm(r), 'metric', 1, 180, false],
        [names.notifyUnmeasuredAlarm(r), 'composite', undefined, undefined, true],
      ]);
      expect(mine[1].watches).toBe(
        'PublisherHeartbeat SampleCount LessThanThreshold 1 (missing data: breaching)',
      );
      expect(mine[2].watches).toBe(
        'OutboxUnreadable Maximum GreaterThanOrEqualToThreshold 1 (missing data: notBreaching)',
      );
      expect(mine[0].watches).toBe(
        'OldestUnsentAgeSeconds Maximum GreaterThanThreshold 300 (missing data: notBreaching)',
      );
      expect(mine[3].watches).toBe(
        `${names.notifyUnmeasuredParts(r).silent} AND ${names.notifyUnmeasuredParts(r).shopUp} in ALARM`,
      );
    }
    const md = renderMarkdown(report);
    expect(md).toContain('## Customer notices');
    expect(md).toContain(
      'Channels in fallback order (a notice goes down the chain when a channel fails, stays silent past 5000 ms or is switched off; at most once per channel): alimtalk (nhn-alimtalk) → sms (nhn-sms) → email (ses).',
    );
  });

  test('a template whose threshold changes says the new one (read from the template, not the config)', () => {
    const copy = JSON.parse(JSON.stringify(templates)) as Record<string, CfnTemplate>;
    for (const t of Object.values(copy))
      for (const r of Object.values(t.Resources ?? {}))
        if (r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === 'OldestUnsentAgeSeconds')
          r.Properties.Threshold = 900;
    const x = buildReport(copy, { budgetSeconds: config.failoverBudgetSeconds, stackRegions }).notifications;
    expect(x.alarms.find((a) => a.alarmName === names.notifyOldestUnsentAlarm(regions[0]))?.threshold).toBe(
      900,
    );
  });

  test('without notice settings the section says nothing sends the notices', () => {
    const copy = JSON.parse(JSON.stringify(templates)) as Record<string, CfnTemplate>;
    for (const t of Object.values(copy))
      for (const r of Object.values(t.Resources ?? {}))
        if (r.Type === 'AWS::EC2::LaunchTemplate') {
          const parts = r.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
          r.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] = parts.map((p: unknown) =>
            typeof p === 'string' ? p.replace(/\nSHOP_NOTIFY='[^\n]*/, '') : p,
          );
        }
    const r = buildReport(copy, { budgetSeconds: config.failoverBudgetSeconds, stackRegions });
    expect(r.notifications.channels).toEqual([]);
    expect(renderMarkdown(r)).toContain(
      'No notice settings in the templates: notices are written to the outbox and nothing sends them.',
    );
  });
});

describe('every sentence about a template comes from the template', () => {
  const md = renderMarkdown(report);
  /** The default templates with `edit` applied to a deep copy of every resource of `type`. */
  const edited = (type: string, edit: (p: Record<string, any>) => void): Record<string, CfnTemplate> => {
    const copy = JSON.parse(JSON.stringify(templates)) as Record<string, CfnTemplate>;
    for (const t of Object.values(copy))
      for (const r of Object.values(t.Resources ?? {})) if (r.Type === type) edit(r.Properties ?? {});
    return copy;
  };
  const reportOf = (t: Record<string, CfnTemplate>) =>
    renderMarkdown(buildReport(t, { budgetSeconds: config.failoverBudgetSeconds, stackRegions }));

  test('the drain alarm reads "1 of 3 × 60 s", missing data `missing`, and a silent holder votes drained', () => {
    const row = (region: string) =>
      md.split('\n').find((l) => l.startsWith(`| ${region} | `) && l.includes(names.switchAlarm(region)))!;
    expect(row(regions[0])).toContain(
      `| ${names.switchAlarm(regions[0])} | 1 of 3 × 60 s | missing | every 60 s | Unhealthy |`,
    );
    expect(md).toContain(
      'A holder that reports nothing (its publisher or its region is down) counts as a vote for "drained": the checks\' InsufficientDataHealthStatus is Unhealthy.',
    );
    expect(md).toContain('an alarm has no data only after 3 silent periods');
    expect(md).not.toMatch(/counts as healthy|1 × 60 s/);
  });

  test('change the template and the sentences change with it', () => {
    const healthy = reportOf(
      edited('AWS::Route53::HealthCheck', (p) => {
        if (p.HealthCheckConfig?.Type === 'CLOUDWATCH_METRIC')
          p.HealthCheckConfig.InsufficientDataHealthStatus = 'Healthy';
        if (p.HealthCheckConfig?.Type === 'CALCULATED') p.HealthCheckConfig.HealthThreshold = 4;
      }),
    );
    expect(healthy).toContain('counts as "serving": the checks\' InsufficientDataHealthStatus is Healthy.');
    expect(healthy).toContain('CALCULATED, healthy while all 4 children are: 2 endpoint checks');
    expect(healthy).toContain('out when the endpoint fails or when 1 switch copy says drained |');
    const breaching = reportOf(
      edited('AWS::CloudWatch::Alarm', (p) => {
        if (String(p.AlarmName ?? '').includes('-switch-')) {
          p.TreatMissingData = 'breaching';
          p.DatapointsToAlarm = 2;
        }
      }),
    );
    expect(breaching).toContain('| 2 of 3 × 60 s | breaching |');
    expect(breaching).toContain('The alarms treat missing data as `breaching`.');
  });

  test('the price remark names Asia Pacific only for Asia Pacific regions', () => {
    expect(md).toContain(
      `${[...regions].sort().join(', ')} are Asia Pacific regions, where list prices are usually higher than in us-east-1`,
    );
    expect(priceRegionNote(['eu-central-1', 'eu-west-1', 'us-east-1'])).toBe('');
    expect(priceRegionNote(['eu-central-1', 'ap-northeast-2', 'us-east-1'])).toBe(
      ' ap-northeast-2 is an Asia Pacific region, where list prices are usually higher than in us-east-1: check the service pricing pages for it.',
    );
    const europe = Object.fromEntries(
      Object.entries(stackRegions).map(([stack, region]) => [
        stack,
        region === regions[0] ? 'eu-central-1' : region === regions[1] ? 'eu-west-1' : region,
      ]),
    );
    const md2 = renderMarkdown(
      buildReport(templates, { budgetSeconds: config.failoverBudgetSeconds, stackRegions: europe }),
    );
    expect(md2).not.toContain('Asia Pacific');
  });
});

test.each([
  ['no MaxGroupPreparedCapacity: MaxSize − desired, the AWS default', { MinSize: 2 }, 11],
  ['MaxGroupPreparedCapacity = MinSize: an absolute size', { MinSize: 2, MaxGroupPreparedCapacity: 2 }, 2],
  ['MaxGroupPreparedCapacity above: that − desired', { MinSize: 2, MaxGroupPreparedCapacity: 6 }, 5],
  ['-1 removes the value: the default again', { MinSize: 0, MaxGroupPreparedCapacity: -1 }, 11],
])('the warm pool the report prices (group min 1, max 12): %s', (_, props, expected) => {
  expect(warmPoolSize(props, 1, 12)).toBe(expected);
});
