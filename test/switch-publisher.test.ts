import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { configFromEnv, publish } from '../lambda/switch-publisher';

const ssm = mockClient(SSMClient);
const cw = mockClient(CloudWatchClient);
const config = {
  parameterPath: '/resilient-shop/switch/',
  namespace: 'resilient-shop/failover-switch',
  metricName: 'Drained',
  targets: ['ap-northeast-2', 'ap-southeast-1'],
};

beforeEach(() => {
  ssm.reset();
  cw.reset();
  cw.on(PutMetricDataCommand).resolves({});
});

test('publishes 1 for a drained target and 0 for a serving or missing one, in one call', async () => {
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: [{ Name: '/resilient-shop/switch/ap-northeast-2', Value: 'drained' }],
  });
  const states = await publish(new SSMClient({}), new CloudWatchClient({}), config);
  expect(states).toEqual({ 'ap-northeast-2': 1, 'ap-southeast-1': 0 });
  expect(ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input).toEqual({
    Path: '/resilient-shop/switch/',
    Recursive: false,
    NextToken: undefined,
  });
  expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1);
  expect(cw.commandCalls(PutMetricDataCommand)[0].args[0].input).toEqual({
    Namespace: 'resilient-shop/failover-switch',
    MetricData: [
      {
        MetricName: 'Drained',
        Dimensions: [{ Name: 'TargetRegion', Value: 'ap-northeast-2' }],
        Value: 1,
        Unit: 'Count',
      },
      {
        MetricName: 'Drained',
        Dimensions: [{ Name: 'TargetRegion', Value: 'ap-southeast-1' }],
        Value: 0,
        Unit: 'Count',
      },
    ],
  });
});

test('follows pagination and ignores values other than "drained" (a typo never drains a region)', async () => {
  ssm
    .on(GetParametersByPathCommand, { NextToken: undefined })
    .resolves({
      Parameters: [{ Name: '/resilient-shop/switch/ap-northeast-2', Value: 'Drained!' }],
      NextToken: 'p2',
    })
    .on(GetParametersByPathCommand, { NextToken: 'p2' })
    .resolves({ Parameters: [{ Name: '/resilient-shop/switch/ap-southeast-1', Value: ' drained\n' }] });
  const states = await publish(new SSMClient({}), new CloudWatchClient({}), config);
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  expect(states).toEqual({ 'ap-northeast-2': 0, 'ap-southeast-1': 1 });
});

test('a failing SSM read fails the invocation (the errors alarm pages) and publishes nothing', async () => {
  ssm
    .on(GetParametersByPathCommand)
    .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  await expect(publish(new SSMClient({}), new CloudWatchClient({}), config)).rejects.toThrow('Rate exceeded');
  expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
});

test('a copy follows its own region only: one SSM client, whatever the environment says of other regions', async () => {
  ssm
    .on(GetParametersByPathCommand)
    .resolves({ Parameters: [{ Name: '/resilient-shop/switch/ap-northeast-1', Value: 'drained' }] });
  const own = configFromEnv({
    SWITCH_PARAMETER_PATH: '/resilient-shop/switch/',
    SWITCH_NAMESPACE: 'resilient-shop/failover-switch',
    SWITCH_METRIC: 'Drained',
    SWITCH_TARGETS: 'ap-northeast-1,ap-northeast-2',
    SWITCH_MIRROR_REGIONS: 'ap-northeast-2,ap-northeast-1',
  });
  expect(own).not.toHaveProperty('mirrorRegions');
  expect(await publish(new SSMClient({}), new CloudWatchClient({}), own)).toEqual({
    'ap-northeast-1': 1,
    'ap-northeast-2': 0,
  });
  expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
});

test('reads its settings from the environment and names a missing one', () => {
  expect(
    configFromEnv({
      SWITCH_PARAMETER_PATH: '/a/switch/',
      SWITCH_NAMESPACE: 'a/failover-switch',
      SWITCH_METRIC: 'Drained',
      SWITCH_TARGETS: 'ap-northeast-1, ap-northeast-2',
    }),
  ).toEqual({
    parameterPath: '/a/switch/',
    namespace: 'a/failover-switch',
    metricName: 'Drained',
    targets: ['ap-northeast-1', 'ap-northeast-2'],
  });
  expect(() => configFromEnv({})).toThrow('environment variable SWITCH_PARAMETER_PATH is missing');
});
