import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Properties of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Physical topic name (deterministic, from `Names.alarmTopic()`). */
  readonly topicName: string;
  /** E-mail addresses of the on-call. */
  readonly emails: readonly string[];
  /** Key that encrypts the topic; must let CloudWatch publish. */
  readonly key: kms.IKey;
}

/**
 * The SNS topic every alarm of a region pages through, encrypted and TLS-only, with the on-call's
 * e-mail subscriptions. `page(alarm)` wires an alarm to it for both ALARM and OK.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;
  private readonly key: kms.IKey;
  private eventsMayPublish = false;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = props.key;
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'resilient-shop on-call',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    for (const email of props.emails) this.topic.addSubscription(new subs.EmailSubscription(email));
    this.action = new actions.SnsAction(this.topic);
  }

  /**
   * Sends every event the rule matches to the on-call, as `message` followed by the event's detail.
   * EventBridge publishes to the encrypted topic with the key, which therefore lets
   * events.amazonaws.com use it for this account (an AWS service that publishes to a topic encrypted
   * with a customer-managed key needs the key policy to allow it,
   * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
   */
  notify(rule: events.Rule, message: string): void {
    if (!this.eventsMayPublish) {
      this.eventsMayPublish = true;
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowEventBridgeToPublishToEncryptedTopics',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    rule.addTarget(
      new targets.SnsTopic(this.topic, {
        message: events.RuleTargetInput.fromMultilineText(
          `${message}\n${events.EventField.fromPath('$.detail')}`,
        ),
      }),
    );
  }

  /** Sends the alarm's ALARM and OK transitions to the on-call. */
  page(
    alarm: cloudwatch.IAlarm & {
      addAlarmAction(...a: cloudwatch.IAlarmAction[]): void;
      addOkAction(...a: cloudwatch.IAlarmAction[]): void;
    },
  ): void {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }
}
