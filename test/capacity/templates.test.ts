import { Match, Template } from 'aws-cdk-lib/assertions';
import { Names } from '../../lib/config/names';
import { resourcesOf, synth, testConfig } from '../support/synth';

// Three regions, one per posture: the primary (warm), a pilot-light and a hot standby.
const config = testConfig((raw) => {
  raw.regions = [
    { name: 'ap-northeast-2', network: { cidr: '10.20.0.0/16' } },
    { name: 'ap-northeast-1', network: { cidr: '10.10.0.0/16' }, posture: 'pilot-light' },
    { name: 'ap-southeast-1', network: { cidr: '10.30.0.0/16' }, posture: 'hot', web: { minCapacity: 1 } },
  ];
});
const names = new Names(config);
const { templates } = synth(config);
const cases = config.regions.map((r) => [r.name, r.posture, r] as const);

/** The JSON env variable of the function whose handler folder is `dir`, tokens rendered as `{"Ref":..}`. */
function envOf(t: Template, variable: string): Record<string, unknown> {
  const fn = resourcesOf(t, 'AWS::Lambda::Function').find(
    ([, f]) => f.Properties.Environment?.Variables?.[variable],
  );
  if (!fn) throw new Error(`no function with ${variable}`);
  const v = fn[1].Properties.Environment.Variables[variable];
  const text =
    typeof v === 'string'
      ? v
      : (v['Fn::Join'][1] as unknown[])
          .map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replace(/"/g, "'")))
          .join('');
  return JSON.parse(text);
}

describe.each(cases)('region %s (%s)', (region, posture, rc) => {
  const t = templates[names.regionalStack(region)];
  const others = config.regions.map((r) => r.name).filter((r) => r !== region);

  test('the group minimum follows the posture (pilot-light runs no instance, only its warm pool)', () => {
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: posture === 'pilot-light' ? '0' : String(rc.web.minCapacity),
    });
    t.hasResourceProperties('AWS::AutoScaling::WarmPool', { MinSize: rc.web.warmPoolMinSize });
  });

  test('the capacity mirror runs every minute and publishes into every region', () => {
    const env = envOf(t, 'MIRROR_CONFIG');
    expect(env).toMatchObject({
      region,
      namespace: 'resilient-shop/capacity',
      regions: config.regions.map((r) => r.name),
      dbClusterId: names.dbClusterId(region),
      peakWindowHours: 3,
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Description: 'Mirrors the capacity of this region into every region',
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'cloudwatch:PutMetricData',
            Effect: 'Allow',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'resilient-shop/capacity' } },
          },
        ]),
      },
    });
  });

  test('the scaler knows the posture, the bounds and every region it may have to absorb', () => {
    expect(envOf(t, 'SCALER_CONFIG')).toMatchObject({
      region,
      sources: others,
      posture,
      postureMinInstances: posture === 'pilot-light' ? 0 : rc.web.minCapacity,
      maxInstances: rc.web.maxCapacity,
      postureMinAcu: config.database.minCapacityAcu,
      maxAcu: config.database.maxCapacityAcu,
      headroomPercent: 120,
      hotPercent: 50,
      quietMinutes: 30,
      absorbAlarm: names.absorbAlarm(region),
    });
  });

  test('surge alarm at what the posture is sized for; absorb = surge OR any other region down; it starts the scaler and pages in a standby', () => {
    const threshold =
      Math.max(1, posture === 'pilot-light' ? 0 : rc.web.minCapacity) * rc.web.targetRequestsPerInstance;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.surgeAlarm(region),
      MetricName: 'RequestCount',
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Period: 60,
      Threshold: threshold,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const composite = resourcesOf(t, 'AWS::CloudWatch::CompositeAlarm').find(
      ([, a]) => a.Properties.AlarmName === names.absorbAlarm(region),
    );
    expect(composite).toBeDefined();
    const rule = JSON.stringify(composite![1].Properties.AlarmRule);
    for (const o of others) expect(rule).toContain(`:alarm:${names.canaryConsensusAlarm(o)}`);
    expect(rule).toContain('ALARM(');
    // It pages in a standby; in the primary a surge is an ordinary busy day.
    expect(composite![1].Properties.AlarmActions ?? []).toHaveLength(rc.role === 'standby' ? 1 : 0);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
    });
  });

  test('the readiness check runs every 5 minutes on this region and pages after two failed runs or when it stops', () => {
    expect(envOf(t, 'READINESS_CONFIG')).toMatchObject({
      region,
      primaryRegion: config.primaryRegion,
      namespace: 'resilient-shop/readiness',
      warmPoolMinSize: rc.web.warmPoolMinSize,
      lagLimitMs: config.database.replicationLagAlarmMs,
      certificateMinDays: 30,
      heldSwitches: names.switchesHeldBy(region),
      regions: config.regions.map((r) => r.name),
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.readinessAlarm(region),
      Namespace: 'resilient-shop/readiness',
      MetricName: 'Ready',
      Dimensions: [{ Name: 'Region', Value: region }],
      Statistic: 'Minimum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
  });

  test('the scaler may change only this group and this cluster', () => {
    const statements = resourcesOf(t, 'AWS::IAM::ManagedPolicy').flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement,
    );
    const update = statements.find((s) => s.Action === 'autoscaling:UpdateAutoScalingGroup');
    expect(JSON.stringify(update.Resource)).toMatch(/autoScalingGroupName\/",\{"Ref":"WebAsg/);
    const modify = statements.find((s) => JSON.stringify(s.Action).includes('rds:ModifyDBCluster'));
    expect(JSON.stringify(modify.Resource)).toContain(`:cluster:${names.dbClusterId(region)}`);
    // A request that touches the master password's management is refused whatever else allows it.
    expect(statements).toContainEqual({
      Effect: 'Deny',
      Action: 'rds:ModifyDBCluster',
      Resource: '*',
      Condition: { Null: { 'rds:ManageMasterUserPassword': 'false' } },
    });
  });

  test('the scaler can read its composite absorb alarm: DescribeAlarms is granted on * (a narrower grant returns no composite alarm)', () => {
    const statements = resourcesOf(t, 'AWS::IAM::ManagedPolicy').flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement,
    );
    const describe = statements.filter((s) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'));
    expect(describe.length).toBeGreaterThan(0);
    for (const s of describe) expect(s.Resource).toBe('*');
  });
});

test('a pilot-light standby without a warm pool is a config error naming the key and the fix', () => {
  expect(() =>
    testConfig((raw) => {
      raw.regions[1].posture = 'pilot-light';
      raw.regions[1].web = { warmPoolMinSize: 0 };
    }),
  ).toThrow(
    /regions\[1\]\.posture = "pilot-light": needs a warm pool .* Fix: set warmPoolMinSize to 1 or more, or use "warm"/,
  );
});
