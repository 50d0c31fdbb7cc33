import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { App, Stack } from 'aws-cdk-lib';
import { findingsOf, newApp, stackIn } from './helpers';

function groupWithWarmPool(hook?: { transition: string; defaultResult?: string }): App {
  const app = newApp();
  const stack: Stack = stackIn(app, 'Web', 'eu-west-1');
  const group = new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
    minSize: '1',
    maxSize: '2',
    availabilityZones: ['eu-west-1a'],
  });
  new autoscaling.CfnWarmPool(stack, 'WarmPool', { autoScalingGroupName: group.ref, poolState: 'Stopped' });
  if (hook) {
    new autoscaling.CfnLifecycleHook(stack, 'Hook', {
      autoScalingGroupName: group.ref,
      lifecycleTransition: hook.transition,
      defaultResult: hook.defaultResult,
      heartbeatTimeout: 600,
    });
  }
  return app;
}

describe('Resilience-WarmPoolLaunchHook', () => {
  test('non-compliant: a warm pool without a launch hook', () => {
    expect(findingsOf('WarmPoolLaunchHook', groupWithWarmPool())).toEqual([
      'Resilience-WarmPoolLaunchHook[no-launch-hook] at Web/WarmPool',
    ]);
  });

  test('non-compliant: only a terminating hook', () => {
    const app = groupWithWarmPool({ transition: 'autoscaling:EC2_INSTANCE_TERMINATING' });
    expect(findingsOf('WarmPoolLaunchHook', app)).toEqual([
      'Resilience-WarmPoolLaunchHook[no-launch-hook] at Web/WarmPool',
    ]);
  });

  test('non-compliant: a launch hook that puts the instance in service when it times out', () => {
    const app = groupWithWarmPool({
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      defaultResult: 'CONTINUE',
    });
    expect(findingsOf('WarmPoolLaunchHook', app)).toEqual([
      'Resilience-WarmPoolLaunchHook[launch-hook-continues-on-timeout] at Web/WarmPool',
    ]);
  });

  test.each([undefined, 'ABANDON'])(
    'non-compliant: a separate launch hook with DefaultResult %s (created after the group has launched)',
    (defaultResult) => {
      const app = groupWithWarmPool({ transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', defaultResult });
      expect(findingsOf('WarmPoolLaunchHook', app)).toEqual([
        'Resilience-WarmPoolLaunchHook[launch-hook-created-after-group] at Web/WarmPool',
      ]);
    },
  );

  test('compliant: the hook declared on the group itself', () => {
    const app = newApp();
    const stack = stackIn(app, 'Web', 'eu-west-1');
    const group = new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
      minSize: '1',
      maxSize: '2',
      availabilityZones: ['eu-west-1a'],
      lifecycleHookSpecificationList: [
        { lifecycleHookName: 'boot', lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
      ],
    });
    new autoscaling.CfnWarmPool(stack, 'WarmPool', { autoScalingGroupName: group.ref });
    expect(findingsOf('WarmPoolLaunchHook', app)).toEqual([]);
  });
});
