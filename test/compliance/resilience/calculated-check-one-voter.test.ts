import * as route53 from 'aws-cdk-lib/aws-route53';
import { findingsOf, newApp, stackIn } from './helpers';

/** An edge stack with a CALCULATED check over alarm-backed children that read `alarms` (region/name). */
function calculatedOver(alarms: readonly [string, string][]) {
  const app = newApp();
  const edge = stackIn(app, 'Edge', 'us-east-1');
  const children = alarms.map(
    ([region, name], i) =>
      new route53.CfnHealthCheck(edge, `Switch${i}`, {
        healthCheckConfig: {
          type: 'CLOUDWATCH_METRIC',
          alarmIdentifier: { region, name },
          insufficientDataHealthStatus: 'Unhealthy',
        },
      }),
  );
  const endpoint = new route53.CfnHealthCheck(edge, 'Endpoint', {
    healthCheckConfig: { type: 'HTTPS', fullyQualifiedDomainName: 'a.example.com', port: 443 },
  });
  new route53.CfnHealthCheck(edge, 'Region', {
    healthCheckConfig: {
      type: 'CALCULATED',
      // the endpoint twice is a weight, not a second source: never a finding
      childHealthChecks: [endpoint, endpoint, ...children].map((c) => c.attrHealthCheckId),
      healthThreshold: alarms.length + 1,
    },
  });
  return app;
}

describe('Resilience-CalculatedCheckOneVoter', () => {
  test('fires when two alarm-backed children read the same alarm: one source, two votes', () => {
    const app = calculatedOver([
      ['ap-northeast-1', 'switch-a-drained'],
      ['us-east-1', 'switch-a-drained'],
      ['ap-northeast-1', 'switch-a-drained'],
    ]);
    expect(findingsOf('CalculatedCheckOneVoter', app)).toEqual([
      'Resilience-CalculatedCheckOneVoter[Switch0+Switch2] at Edge/Region',
    ]);
  });

  test('is silent when every alarm-backed child reads its own alarm (the same name in other regions included)', () => {
    const app = calculatedOver([
      ['ap-northeast-1', 'switch-a-drained'],
      ['us-east-1', 'switch-a-drained'],
    ]);
    expect(findingsOf('CalculatedCheckOneVoter', app)).toEqual([]);
  });
});
