import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { alarmFingerprint } from '../../../lib/compliance/resilience';
import { findingsOf, newApp, stackIn } from './helpers';

interface Case {
  treatMissingData?: string;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  insufficientDataHealthStatus?: string;
  metricMath?: boolean;
  period?: number;
}

/** An alarm in one region and, in an edge stack deployed after it, a health check reading it. */
function checkOnAlarm(c: Case) {
  const app = newApp();
  const regional = stackIn(app, 'Regional', 'eu-west-1');
  const props = {
    alarmName: 'switch-drained',
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    evaluationPeriods: c.evaluationPeriods ?? 1,
    datapointsToAlarm: c.datapointsToAlarm,
    treatMissingData: c.treatMissingData,
  };
  if (c.metricMath) {
    new cloudwatch.CfnAlarm(regional, 'Alarm', {
      ...props,
      metrics: [
        { id: 'e', expression: 'm * 2', returnData: true },
        {
          id: 'm',
          returnData: false,
          metricStat: { metric: { namespace: 'Shop', metricName: 'Drained' }, period: 60, stat: 'Maximum' },
        },
      ],
    });
  } else {
    new cloudwatch.CfnAlarm(regional, 'Alarm', {
      ...props,
      namespace: 'Shop',
      metricName: 'Drained',
      statistic: 'Maximum',
      period: c.period ?? 60,
    });
  }
  const edge = stackIn(app, 'Edge', 'us-east-1');
  edge.addStackDependency(regional);
  new route53.CfnHealthCheck(edge, 'Switch', {
    healthCheckConfig: {
      type: 'CLOUDWATCH_METRIC',
      alarmIdentifier: { name: 'switch-drained', region: 'eu-west-1' },
      insufficientDataHealthStatus: c.insufficientDataHealthStatus,
    },
  });
  return app;
}

describe('Resilience-HealthCheckAlarmMissingData', () => {
  test.each<[Case, string]>([
    [{ insufficientDataHealthStatus: 'Healthy' }, 'missing-data-reads-Healthy'],
    [{ treatMissingData: 'missing' }, 'missing-data-reads-unset'],
    [
      { treatMissingData: 'missing', insufficientDataHealthStatus: 'Unhealthy' },
      'missing-data-reads-Unhealthy',
    ],
    [{ treatMissingData: 'notBreaching', evaluationPeriods: 1 }, 'one-missing-datapoint-clears-alarm'],
    [
      { treatMissingData: 'notBreaching', evaluationPeriods: 3, datapointsToAlarm: 3 },
      'one-missing-datapoint-clears-alarm',
    ],
    [
      { treatMissingData: 'breaching', evaluationPeriods: 3, datapointsToAlarm: 1 },
      'one-missing-datapoint-raises-alarm',
    ],
  ])('non-compliant: %j', (c, finding) => {
    expect(findingsOf('HealthCheckAlarmMissingData', checkOnAlarm(c))).toEqual([
      `Resilience-HealthCheckAlarmMissingData[${finding}] at Edge/Switch`,
    ]);
  });

  test.each<Case>([
    { insufficientDataHealthStatus: 'LastKnownStatus' },
    { treatMissingData: 'notBreaching', evaluationPeriods: 3, datapointsToAlarm: 1 },
    { treatMissingData: 'breaching', evaluationPeriods: 3, datapointsToAlarm: 2 },
    { treatMissingData: 'ignore', insufficientDataHealthStatus: 'Healthy' },
    // one missed minute of three leaves the range evaluable: only three silent minutes reach INSUFFICIENT_DATA
    {
      treatMissingData: 'missing',
      evaluationPeriods: 3,
      datapointsToAlarm: 1,
      insufficientDataHealthStatus: 'Unhealthy',
    },
  ])('compliant: %j', (c) => {
    expect(findingsOf('HealthCheckAlarmMissingData', checkOnAlarm(c))).toEqual([]);
  });

  test('an alarm created outside the app is not judged', () => {
    const app = newApp();
    new route53.CfnHealthCheck(stackIn(app, 'Edge', 'us-east-1'), 'Switch', {
      healthCheckConfig: {
        type: 'CLOUDWATCH_METRIC',
        alarmIdentifier: { name: 'elsewhere', region: 'eu-west-1' },
        insufficientDataHealthStatus: 'Healthy',
      },
    });
    expect(findingsOf('HealthCheckAlarmMissingData', app)).toEqual([]);
  });
});

describe('Resilience-HealthCheckAlarmSupported', () => {
  test.each<[Case, string]>([
    [{ metricMath: true }, 'metric-math'],
    [{ period: 10 }, 'high-resolution-period'],
  ])('non-compliant: %j', (c, finding) => {
    expect(findingsOf('HealthCheckAlarmSupported', checkOnAlarm(c))).toEqual([
      `Resilience-HealthCheckAlarmSupported[${finding}] at Edge/Switch`,
    ]);
  });

  test('compliant: one standard-resolution metric with a basic statistic', () => {
    expect(findingsOf('HealthCheckAlarmSupported', checkOnAlarm({}))).toEqual([]);
  });
});

describe('Resilience-HealthCheckFollowsAlarm', () => {
  /** A switch alarm and a check on it; `name` and `checkId` may carry the alarm's fingerprint. */
  function follow(how: 'nothing' | 'alarm-name' | 'check-id', changeAfterNaming = false) {
    const app = newApp();
    const regional = stackIn(app, 'Regional', 'eu-west-1');
    const alarm = new cloudwatch.CfnAlarm(regional, 'Alarm', {
      namespace: 'Shop',
      metricName: 'Drained',
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'ignore',
    });
    const fingerprint = alarmFingerprint(alarm);
    alarm.alarmName = how === 'alarm-name' ? `switch-${fingerprint}` : 'switch';
    if (changeAfterNaming) alarm.threshold = 2;
    const edge = stackIn(app, 'Edge', 'us-east-1');
    edge.addStackDependency(regional);
    new route53.CfnHealthCheck(edge, how === 'check-id' ? `Switch${fingerprint}` : 'Switch', {
      healthCheckConfig: {
        type: 'CLOUDWATCH_METRIC',
        alarmIdentifier: { name: alarm.alarmName, region: 'eu-west-1' },
      },
    });
    return app;
  }

  test('non-compliant: nothing in the check changes when the alarm does', () => {
    expect(findingsOf('HealthCheckFollowsAlarm', follow('nothing'))).toEqual([
      'Resilience-HealthCheckFollowsAlarm at Edge/Switch',
    ]);
  });

  test.each<'alarm-name' | 'check-id'>(['alarm-name', 'check-id'])(
    'compliant: the fingerprint is in the %s',
    (how) => {
      expect(findingsOf('HealthCheckFollowsAlarm', follow(how))).toEqual([]);
    },
  );

  test('non-compliant: the alarm changed after its fingerprint was taken', () => {
    expect(findingsOf('HealthCheckFollowsAlarm', follow('alarm-name', true))).toEqual([
      'Resilience-HealthCheckFollowsAlarm at Edge/Switch',
    ]);
  });

  test('alarmFingerprint refuses what is not an alarm', () => {
    const app = newApp();
    const stack = stackIn(app, 'Edge', 'us-east-1');
    const check = new route53.CfnHealthCheck(stack, 'Check', { healthCheckConfig: { type: 'HTTPS' } });
    expect(() => alarmFingerprint(check)).toThrow(
      'alarmFingerprint: Edge/Check is not a CloudWatch alarm. Fix: pass an Alarm or a CfnAlarm',
    );
  });
});
