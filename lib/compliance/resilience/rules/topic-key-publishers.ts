import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { AppIndex, asArray, IndexedResource, isObject, Json, referencedId } from '../app-index';
import type { ResilienceRule } from '../rule';

/** What a publisher must be allowed to do with the topic's key (SNS encrypts each message with it). */
const PUBLISH_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** The principal that publishes for each kind of source; `role:` means a service-linked role. */
const PUBLISHERS: Array<{ type: string; principal: string; topics: (p: { [key: string]: Json }) => Json[] }> =
  [
    {
      type: 'AWS::CloudWatch::Alarm',
      principal: 'cloudwatch.amazonaws.com',
      topics: (p) => [
        ...asArray(p.AlarmActions),
        ...asArray(p.OKActions),
        ...asArray(p.InsufficientDataActions),
      ],
    },
    {
      type: 'AWS::CloudWatch::CompositeAlarm',
      principal: 'cloudwatch.amazonaws.com',
      topics: (p) => [
        ...asArray(p.AlarmActions),
        ...asArray(p.OKActions),
        ...asArray(p.InsufficientDataActions),
      ],
    },
    {
      type: 'AWS::Events::Rule',
      principal: 'events.amazonaws.com',
      topics: (p) => asArray(p.Targets).map((t) => (isObject(t) ? t.Arn : null)),
    },
    {
      type: 'AWS::AutoScaling::AutoScalingGroup',
      principal: 'role:autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
      topics: (p) => asArray(p.NotificationConfigurations).map((n) => (isObject(n) ? n.TopicARN : null)),
    },
    {
      type: 'AWS::Backup::BackupVault',
      principal: 'backup.amazonaws.com',
      topics: (p) => [isObject(p.Notifications) ? p.Notifications.SNSTopicArn : null],
    },
    {
      type: 'AWS::S3::Bucket',
      principal: 's3.amazonaws.com',
      topics: (p) =>
        asArray(
          isObject(p.NotificationConfiguration) ? p.NotificationConfiguration.TopicConfigurations : null,
        ).map((t) => (isObject(t) ? t.Topic : null)),
    },
  ];

/**
 * An SNS topic encrypted with a KMS key must let every AWS service that publishes to it use the key:
 * for "event sources from AWS services" the key policy must allow the service principal
 * kms:GenerateDataKey* and kms:Decrypt, and the AWS managed key alias/aws/sns cannot be changed to do
 * so (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services;
 * CloudWatch alarm actions: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html).
 * Otherwise the publish fails and nobody is paged.
 *
 * Publishers found in the app: alarm actions (cloudwatch.amazonaws.com), EventBridge rule targets
 * (events.amazonaws.com), Backup vault notifications (backup.amazonaws.com), S3 event notifications
 * (s3.amazonaws.com), and Auto Scaling group notifications, which Auto Scaling sends as its
 * service-linked role AWSServiceRoleForAutoScaling
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html); the
 * Auto Scaling docs are silent on encrypted topics, so the rule takes the worst case and asks for a key
 * policy statement naming that role (or the autoscaling.amazonaws.com service). Conditions in the
 * statements are not judged.
 */
export const TopicKeyPublishers: ResilienceRule = {
  id: 'TopicKeyPublishers',
  info: 'An AWS service publishes to this KMS-encrypted topic, but the key policy does not let that service use the key.',
  explanation:
    'SNS encrypts each published message with the topic key on behalf of the publisher; a service the key policy does not allow (kms:GenerateDataKey*, kms:Decrypt) fails to publish and the notification is lost. Add a key policy statement for the service principal, or use a key that allows it.',
  sources: [
    'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
    'https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html',
  ],
  resourceTypes: ['AWS::SNS::Topic'],
  check(topic, { index }): NagRuleResult {
    const keyRef = topic.properties.KmsMasterKeyId;
    if (keyRef === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    const publishers = publishersOf(topic, index);
    if (publishers.length === 0) return NagRuleCompliance.COMPLIANT;
    const keyLiteral = index.literal(keyRef, topic.stack);
    if (keyLiteral !== undefined && /(^|:)alias\/aws\/sns$/.test(keyLiteral)) {
      return publishers.map((p) => `aws-managed-key-${principalLabel(p)}`);
    }
    const key = keyOf(keyRef, topic, index);
    if (!key) return NagRuleCompliance.NOT_APPLICABLE;
    const statements = asArray(isObject(key.properties.KeyPolicy) ? key.properties.KeyPolicy.Statement : []);
    const missing = publishers.filter((p) => !statements.some((s) => allows(s, p, key, index)));
    return missing.length > 0 ? missing.map(principalLabel) : NagRuleCompliance.COMPLIANT;
  },
};

function principalLabel(principal: string): string {
  return principal.replace(/^role:.*\//, '');
}

/** The distinct publishing principals of `topic`, found by Ref in its stack or by ARN in the app. */
function publishersOf(topic: IndexedResource, index: AppIndex): string[] {
  const topicName = index.literal(topic.properties.TopicName, topic.stack);
  const region = index.regionOf(topic.stack);
  const arnSuffix = topicName && region ? `:sns:${region}:${topic.stack.account}:${topicName}` : undefined;
  const found = new Set<string>();
  for (const { type, principal, topics } of PUBLISHERS) {
    for (const r of index.ofTypeInApp(type)) {
      const hit = topics(r.properties).some((t) => {
        if (r.stack === topic.stack && referencedId(t) === topic.logicalId) return true;
        const arn = index.literal(t, r.stack);
        return arnSuffix !== undefined && arn !== undefined && arn.endsWith(arnSuffix);
      });
      if (hit) found.add(principal);
    }
  }
  return [...found];
}

/** The AWS::KMS::Key of the topic's KmsMasterKeyId (by Ref/GetAtt, or through an alias of the stack). */
function keyOf(keyRef: Json, topic: IndexedResource, index: AppIndex): IndexedResource | undefined {
  const resources = index.resources(topic.stack);
  let r = resources.get(referencedId(keyRef) ?? '');
  if (!r) {
    const name = index.literal(keyRef, topic.stack)?.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:/, '');
    r = index
      .ofType(topic.stack, 'AWS::KMS::Alias')
      .find((a) => name !== undefined && index.literal(a.properties.AliasName, topic.stack) === name);
  }
  if (r?.type === 'AWS::KMS::Alias') r = resources.get(referencedId(r.properties.TargetKeyId) ?? '');
  return r?.type === 'AWS::KMS::Key' ? r : undefined;
}

/** True when the key policy statement allows `principal` both publish actions. */
function allows(statement: Json, principal: string, key: IndexedResource, index: AppIndex): boolean {
  if (!isObject(statement) || statement.Effect !== 'Allow' || !isObject(statement.Principal)) return false;
  const p = statement.Principal;
  const isRole = (arn: Json) =>
    (index.literal(arn, key.stack) ?? '').endsWith(`:role/aws-service-role/${principal.slice(5)}`);
  const named = principal.startsWith('role:')
    ? asArray(p.AWS).some(isRole) ||
      asArray(p.Service).some((s) => s === `${principal.slice(5).split('/')[0]}`) ||
      // Principal "*" narrowed by aws:PrincipalArn: a key policy may not name a role that does not
      // exist yet (a service-linked role appears on first use), so this is how such a role is allowed.
      (asArray(p.AWS).some((a) => a === '*') && principalArnConditions(statement).some(isRole))
    : asArray(p.Service).some((s) => s === principal);
  if (!named) return false;
  const actions = asArray(statement.Action).map(String);
  return PUBLISH_ACTIONS.every((a) => actions.some((pattern) => matches(pattern, a)));
}

/** The values of aws:PrincipalArn in the statement's ArnEquals / ArnLike / StringEquals conditions. */
function principalArnConditions(statement: { [key: string]: Json }): Json[] {
  const condition = isObject(statement.Condition) ? statement.Condition : {};
  return ['ArnEquals', 'ArnLike', 'StringEquals', 'StringLike'].flatMap((op) => {
    const block = condition[op];
    return isObject(block) ? asArray(block['aws:PrincipalArn']) : [];
  });
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
function matches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(action);
}
