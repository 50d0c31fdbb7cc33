import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
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

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
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
