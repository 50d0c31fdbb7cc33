import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { findingsOf, newApp, stackIn } from './helpers';

const PUBLISH = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/** An encrypted topic in a fresh stack; `publishers` wires its publishers. */
function encryptedTopic(publishers: (stack: Stack, topic: sns.Topic, key: kms.Key) => void) {
  const app = newApp();
  const stack = stackIn(app, 'App', 'eu-west-1');
  const key = new kms.Key(stack, 'Key');
  const topic = new sns.Topic(stack, 'Topic', { topicName: 'alarms', masterKey: key });
  publishers(stack, topic, key);
  return app;
}

function alarmTo(stack: Stack, topic: sns.Topic) {
  new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Errors' })
    .createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 })
    .addAlarmAction(new actions.SnsAction(topic));
}

function allow(key: kms.Key, principal: iam.IPrincipal) {
  key.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [principal], actions: PUBLISH, resources: ['*'] }),
  );
}

describe('Resilience-TopicKeyPublishers', () => {
  test('non-compliant: alarm actions on a topic whose key does not allow CloudWatch', () => {
    expect(
      findingsOf(
        'TopicKeyPublishers',
        encryptedTopic((stack, topic) => alarmTo(stack, topic)),
      ),
    ).toEqual(['Resilience-TopicKeyPublishers[cloudwatch.amazonaws.com] at App/Topic/Resource']);
  });

  test('compliant: the key policy allows CloudWatch to use the key', () => {
    const app = encryptedTopic((stack, topic, key) => {
      alarmTo(stack, topic);
      allow(key, new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    });
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([]);
  });

  test('non-compliant: a statement that allows only one of the two actions', () => {
    const app = encryptedTopic((stack, topic, key) => {
      alarmTo(stack, topic);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt'],
          resources: ['*'],
        }),
      );
    });
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([
      'Resilience-TopicKeyPublishers[cloudwatch.amazonaws.com] at App/Topic/Resource',
    ]);
  });

  test('non-compliant: an EventBridge rule and Auto Scaling notifications, each reported', () => {
    const app = encryptedTopic((stack, topic, key) => {
      allow(key, new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
      alarmTo(stack, topic);
      // An L1 rule: the L2 SnsTopic target adds the key statement itself.
      new events.CfnRule(stack, 'Rule', {
        scheduleExpression: 'rate(5 minutes)',
        targets: [{ id: 'topic', arn: topic.topicArn }],
      });
      new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
        minSize: '1',
        maxSize: '2',
        availabilityZones: ['eu-west-1a'],
        notificationConfigurations: [
          { topicArn: topic.topicArn, notificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH'] },
        ],
      });
    });
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([
      'Resilience-TopicKeyPublishers[AWSServiceRoleForAutoScaling] at App/Topic/Resource',
      'Resilience-TopicKeyPublishers[events.amazonaws.com] at App/Topic/Resource',
    ]);
  });

  test('compliant: Auto Scaling notifications with the service-linked role in the key policy', () => {
    const app = encryptedTopic((stack, topic, key) => {
      new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
        minSize: '1',
        maxSize: '2',
        availabilityZones: ['eu-west-1a'],
        notificationConfigurations: [
          { topicArn: topic.topicArn, notificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH'] },
        ],
      });
      allow(
        key,
        new iam.ArnPrincipal(
          stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
          }),
        ),
      );
    });
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([]);
  });

  test.each([
    [
      'the service-linked role',
      'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      [],
    ],
    [
      'another role',
      'some-other-role',
      ['Resilience-TopicKeyPublishers[AWSServiceRoleForAutoScaling] at App/Topic/Resource'],
    ],
  ])('Principal "*" narrowed by aws:PrincipalArn to %s', (_what, roleName, findings) => {
    const app = encryptedTopic((stack, topic, key) => {
      new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
        minSize: '1',
        maxSize: '2',
        availabilityZones: ['eu-west-1a'],
        notificationConfigurations: [
          { topicArn: topic.topicArn, notificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH'] },
        ],
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.AnyPrincipal()],
          actions: PUBLISH,
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': stack.formatArn({
                service: 'iam',
                region: '',
                resource: 'role',
                resourceName: roleName,
              }),
            },
          },
        }),
      );
    });
    expect(findingsOf('TopicKeyPublishers', app)).toEqual(findings);
  });

  test('non-compliant: an AWS service publishing to a topic under the AWS managed key', () => {
    const app = newApp();
    const stack = stackIn(app, 'App', 'eu-west-1');
    const topic = new sns.Topic(stack, 'Topic', {
      masterKey: kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sns'),
    });
    alarmTo(stack, topic);
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([
      'Resilience-TopicKeyPublishers[aws-managed-key-cloudwatch.amazonaws.com] at App/Topic/Resource',
    ]);
  });

  test('a topic nobody publishes to as a service, or an unencrypted one, is compliant', () => {
    expect(
      findingsOf(
        'TopicKeyPublishers',
        encryptedTopic(() => undefined),
      ),
    ).toEqual([]);
    const app = newApp();
    const stack = stackIn(app, 'App', 'eu-west-1');
    alarmTo(stack, new sns.Topic(stack, 'Topic'));
    expect(findingsOf('TopicKeyPublishers', app)).toEqual([]);
  });
});
