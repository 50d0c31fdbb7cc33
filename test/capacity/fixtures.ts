/**
 * Auto Scaling answers the capacity tests share (shopctl check, the readiness Lambda, the capacity
 * mirror, shopctl drill's preflight): one instance, one group, a warm pool, in the SDK's shapes.
 */
import type { AutoScalingGroup, Instance, LifecycleState } from '@aws-sdk/client-auto-scaling';

/** An instance of a group or its warm pool in zone `a`. */
export function instance(
  InstanceId: string,
  LifecycleState: LifecycleState = 'InService',
  HealthStatus: 'Healthy' | 'Unhealthy' = 'Healthy',
): Instance {
  return { InstanceId, LifecycleState, HealthStatus, AvailabilityZone: 'a', ProtectedFromScaleIn: false };
}

/** A group with ELB health checks and the given sizes and instances. */
export function group(
  AutoScalingGroupName: string,
  sizes: { min: number; max: number; desired: number },
  CreatedTime: Date,
  Instances: Instance[],
): AutoScalingGroup {
  return {
    AutoScalingGroupName,
    MinSize: sizes.min,
    MaxSize: sizes.max,
    DesiredCapacity: sizes.desired,
    DefaultCooldown: 300,
    AvailabilityZones: [],
    HealthCheckType: 'ELB',
    CreatedTime,
    Instances,
  };
}

/** A standby at rest: one healthy instance in service (1 of at most 12). */
export function readyStandbyGroup(CreatedTime: Date): AutoScalingGroup {
  return group('standby-asg', { min: 1, max: 12, desired: 1 }, CreatedTime, [instance('i-1')]);
}

/** A warm pool of `ids`, stopped and healthy. */
export function stoppedWarmPool(...ids: string[]): Instance[] {
  return ids.map((id) => instance(id, 'Warmed:Stopped'));
}
