import { App, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { findingsOf, newApp, stackIn } from './helpers';

/** A role with one inline policy statement, as a Lambda's role has. */
function roleWith(statement: (stack: Stack) => iam.PolicyStatement): App {
  const app = newApp();
  const stack = stackIn(app, 'Regional', 'eu-west-1');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(statement(stack));
  return app;
}

const parameterArn = (stack: Stack, name: string) =>
  stack.formatArn({
    service: 'ssm',
    resource: 'parameter',
    resourceName: name,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });

describe('Resilience-IamResourceAsAuthorized', () => {
  test('fires: DescribeAlarms scoped to one alarm ARN (composite alarms need *)', () => {
    const app = roleWith(
      (stack) =>
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [
            stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: 'absorb',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
    );
    expect(findingsOf('IamResourceAsAuthorized', app)).toEqual([
      'Resilience-IamResourceAsAuthorized[describe-alarms-not-star] at Regional/Role/DefaultPolicy/Resource',
    ]);
  });

  test('fires: a wildcard action that covers DescribeAlarms, on a narrow resource', () => {
    const app = roleWith(
      () =>
        new iam.PolicyStatement({
          actions: ['cloudwatch:Describe*'],
          resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x'],
        }),
    );
    expect(findingsOf('IamResourceAsAuthorized', app)).toEqual([
      'Resilience-IamResourceAsAuthorized[describe-alarms-not-star] at Regional/Role/DefaultPolicy/Resource',
    ]);
  });

  test('fires: GetParametersByPath on the path without its trailing-slash form', () => {
    const app = roleWith(
      (stack) =>
        new iam.PolicyStatement({
          actions: ['ssm:GetParametersByPath'],
          resources: [parameterArn(stack, 'shop/switch')],
        }),
    );
    expect(findingsOf('IamResourceAsAuthorized', app)).toEqual([
      'Resilience-IamResourceAsAuthorized[get-parameters-by-path-without-trailing-slash] at Regional/Role/DefaultPolicy/Resource',
    ]);
  });

  test('silent: DescribeAlarms on *, GetParametersByPath on both forms of the path', () => {
    const app = roleWith(
      () =>
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
          resources: ['*'],
        }),
    );
    const stack = app.node.findChild('Regional') as Stack;
    const role = stack.node.findChild('Role') as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [parameterArn(stack, 'shop/switch'), parameterArn(stack, 'shop/switch/')],
      }),
    );
    expect(findingsOf('IamResourceAsAuthorized', app)).toEqual([]);
  });

  test('silent: other actions on narrow resources', () => {
    const app = roleWith(
      (stack) =>
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [parameterArn(stack, 'shop/switch/eu-west-1')],
        }),
    );
    expect(findingsOf('IamResourceAsAuthorized', app)).toEqual([]);
  });
});
