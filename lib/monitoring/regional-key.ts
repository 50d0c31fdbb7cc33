import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties of {@link RegionalKey}. */
export interface RegionalKeyProps {
  /** Alias, the same in every region so that other regions can name the key without a reference. */
  readonly aliasName: string;
  /** @default "Encrypts resilient-shop data, logs and alarm topics in <region>" */
  readonly description?: string;
}

/**
 * The region's customer-managed KMS key (rotated yearly, retained on stack deletion) for the
 * database, its secret replica, log groups and alarm topics. Service principals are granted by name
 * and scoped to this account and region.
 */
export class RegionalKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RegionalKeyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      alias: props.aliasName,
      description:
        props.description ?? `Encrypts resilient-shop data, logs and alarm topics in ${stack.region}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    // Grants (delegated use of the key) only for AWS services acting on AWS resources.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsExceptForAwsServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    // EC2 Auto Scaling publishes group notifications to the (encrypted) alarm topic as its
    // service-linked role. The role is named by a condition, not as the principal: KMS rejects a key
    // policy naming a principal that does not exist yet, and the role is created with the account's
    // first group, after this key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAutoScalingNotificationsToEncryptedTopics',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'aws:PrincipalArn': stack.formatArn({
              service: 'iam',
              region: '',
              resource: 'role',
              resourceName: 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
            }),
          },
          StringEquals: { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }
}
