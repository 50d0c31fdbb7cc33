import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { MirrorConfig } from '../../lambda/capacity-mirror';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { LoggedFunction } from '../monitoring/logged-function';

/** Properties of {@link CapacityMirror}. */
export interface CapacityMirrorProps {
  readonly config: ShopConfig;
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  /** The web tier's group and load balancer, whose capacity and requests are mirrored. */
  readonly asg: autoscaling.AutoScalingGroup;
  readonly alb: elbv2.ApplicationLoadBalancer;
}

/**
 * Every minute, publishes what this region serves with (instances in service, requests per minute,
 * Aurora ACU in use, and each one's peak over `capacity.peakWindowHours`) into every region's
 * CloudWatch under `Names.capacityNamespace()`, dimension `SourceRegion`. A standby's scaler and
 * readiness check then read the load they would absorb from their own region, even after this
 * region's APIs are gone (the last datapoints stay in the standby's CloudWatch).
 */
export class CapacityMirror extends Construct {
  readonly handler: LoggedFunction;
  /** Pages when the mirror fails 5 minutes in a row (the standbys would size from stale figures). */
  readonly errorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CapacityMirrorProps) {
    super(scope, id);
    const { config } = props;
    const names = new Names(config);
    const region = Stack.of(this).region;
    const mirrorConfig: MirrorConfig = {
      region,
      namespace: names.capacityNamespace(),
      regions: config.regions.map((r) => r.name),
      asgName: props.asg.autoScalingGroupName,
      loadBalancer: props.alb.loadBalancerFullName,
      dbClusterId: names.dbClusterId(region),
      peakWindowHours: config.capacity.peakWindowHours,
    };
    this.handler = new LoggedFunction(this, 'Handler', {
      handlerDir: 'capacity-mirror',
      description:
        'Publishes the serving capacity of this region into the CloudWatch of every region, every minute',
      timeout: Duration.seconds(30),
      memorySize: 128,
      logKey: props.key,
      outsideVpcReason:
        'Reads Auto Scaling and CloudWatch and writes CloudWatch metrics in every region through their public endpoints; outside the VPC it keeps publishing when the VPC or its NAT gateway failed. It handles no cardholder data.',
      environment: { MIRROR_CONFIG: Stack.of(this).toJsonString(mirrorConfig) },
    });
    this.handler.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['autoscaling:DescribeAutoScalingGroups', 'cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    acknowledgeNag(
      this.handler.policy,
      'AwsSolutions-IAM5[Resource::*]',
      `autoscaling:DescribeAutoScalingGroups, cloudwatch:GetMetricData and cloudwatch:PutMetricData support no resource-level permissions (PutMetricData is limited by the cloudwatch:namespace condition to ${names.capacityNamespace()}); all are reads except that one write.`,
    );
    this.handler.allowPutMetricData(names.capacityNamespace());
    this.handler.runEvery(
      'EveryMinute',
      Duration.minutes(1),
      'Mirrors the capacity of this region into every region',
    );

    this.errorAlarm = this.handler.failingAlarm('Errors', {
      alarmName: `${names.alarmPrefix()}capacity-mirror-${region}`,
      description: `The capacity mirror in ${region} failed 5 minutes in a row: standbys size a failover from older figures (the peak window still holds the last ones).`,
      minutes: 5,
    });
    props.alarms.page(this.errorAlarm);
  }
}
