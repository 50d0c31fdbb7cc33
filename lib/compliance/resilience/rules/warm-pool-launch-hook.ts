import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { asArray, isObject, Json, referencedId } from '../app-index';
import type { ResilienceRule } from '../rule';

const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';

/**
 * An Auto Scaling group with a warm pool must hold new instances with a launch lifecycle hook until
 * their bootstrap completes, and the hook's default result must abandon (replace) an instance that
 * never completes it.
 *
 * "As soon as an instance finishes launching into the warm pool, Amazon EC2 Auto Scaling stops or
 * hibernates the instance. Amazon EC2 Auto Scaling does not wait for user data to finish running [...]
 * By default, cloud-init runs user data only on the first boot", so the instance can reach InService
 * without its bootstrap and be reported healthy; the fix is an EC2_INSTANCE_LAUNCHING hook
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html). When the
 * hook times out, Auto Scaling applies its DefaultResult: CONTINUE puts the instance in service anyway,
 * ABANDON (the default) replaces it
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html).
 *
 * The hook must be declared in the group's LifecycleHookSpecificationList ("lifecycle hooks to add to
 * the Auto Scaling group before instances are launched",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-autoscaling-autoscalinggroup-lifecyclehookspecification.html):
 * a separate AWS::AutoScaling::LifecycleHook references the group and is created after it.
 *
 * The rule cannot see whether the bootstrap calls complete-lifecycle-action; the test of the user data
 * belongs to the app.
 */
export const WarmPoolLaunchHook: ResilienceRule = {
  id: 'WarmPoolLaunchHook',
  info: 'The Auto Scaling group has a warm pool but no EC2_INSTANCE_LAUNCHING lifecycle hook, declared on the group, that abandons an instance whose bootstrap does not complete.',
  explanation:
    'Auto Scaling stops a warm-pool instance as soon as it launches, without waiting for user data, and cloud-init does not rerun it on the next start: the instance can go in service without its bootstrap. Add a launch lifecycle hook (DefaultResult ABANDON) in the LifecycleHookSpecificationList of the group (a separate hook resource is created after the first instances launch) and complete it at the end of the bootstrap.',
  sources: [
    'https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html',
    'https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html',
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-autoscaling-autoscalinggroup-lifecyclehookspecification.html',
  ],
  resourceTypes: ['AWS::AutoScaling::WarmPool'],
  check(pool, { index }): NagRuleResult {
    const groupRef = pool.properties.AutoScalingGroupName;
    const group = sameGroup(groupRef);
    const groupResource = index.resources(pool.stack).get(referencedId(groupRef) ?? '');
    const separate: Array<{ [key: string]: Json }> = [];
    for (const hook of index.ofType(pool.stack, 'AWS::AutoScaling::LifecycleHook')) {
      if (group(hook.properties.AutoScalingGroupName)) separate.push(hook.properties);
    }
    const declared: Array<{ [key: string]: Json }> = [];
    if (groupResource) {
      for (const spec of asArray(groupResource.properties.LifecycleHookSpecificationList)) {
        if (isObject(spec)) declared.push(spec);
      }
    }
    const launching = [...declared, ...separate].filter((h) => h.LifecycleTransition === LAUNCHING);
    if (launching.length === 0) return ['no-launch-hook'];
    if (!launching.some((h) => (h.DefaultResult ?? 'ABANDON') === 'ABANDON'))
      return ['launch-hook-continues-on-timeout'];
    // A separate hook references the group, so CloudFormation creates it after the group has
    // launched its first instances and warm pool: those skip the hold.
    return declared.some((h) => h.LifecycleTransition === LAUNCHING)
      ? NagRuleCompliance.COMPLIANT
      : ['launch-hook-created-after-group'];
  },
};

/** A matcher for "the same group" as `ref` (a Ref to the group, or its literal name). */
function sameGroup(ref: Json | undefined): (other: Json | undefined) => boolean {
  const id = referencedId(ref);
  return (other) => (id ? referencedId(other) === id : JSON.stringify(other) === JSON.stringify(ref));
}
