import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { AlarmTopic } from '../monitoring/alarm-topic';

/**
 * What the standby scaler sends in `rds:ModifyDBCluster` (lambda/scaler: `DBClusterIdentifier`,
 * `ServerlessV2ScalingConfiguration.MinCapacity/MaxCapacity`, `ApplyImmediately`), as CloudTrail
 * records the request parameters (first letter lower-cased).
 */
export const SCALER_MODIFY_PARAMETERS = [
  'dBClusterIdentifier',
  'serverlessV2ScalingConfiguration',
  'applyImmediately',
] as const;

/**
 * Every other request parameter of ModifyDBCluster, as CloudTrail names it, down to a leaf (EventBridge's
 * `exists` works on leaf nodes only:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 * From the API's request shape (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html);
 * test/capacity/scaler-guard.test.ts compares it with the SDK's `ModifyDBClusterMessage` so that a
 * parameter AWS adds later fails the test instead of passing unseen.
 */
export const OTHER_MODIFY_PARAMETERS: readonly string[] = [
  'newDBClusterIdentifier',
  'backupRetentionPeriod',
  'dBClusterParameterGroupName',
  'vpcSecurityGroupIds',
  'port',
  'masterUserPassword',
  'optionGroupName',
  'preferredBackupWindow',
  'preferredMaintenanceWindow',
  'enableIAMDatabaseAuthentication',
  'backtrackWindow',
  'cloudwatchLogsExportConfiguration.enableLogTypes',
  'cloudwatchLogsExportConfiguration.disableLogTypes',
  'engineVersion',
  'allowMajorVersionUpgrade',
  'dBInstanceParameterGroupName',
  'domain',
  'domainIAMRoleName',
  'scalingConfiguration.minCapacity',
  'scalingConfiguration.maxCapacity',
  'scalingConfiguration.autoPause',
  'scalingConfiguration.secondsUntilAutoPause',
  'scalingConfiguration.timeoutAction',
  'scalingConfiguration.secondsBeforeTimeout',
  'deletionProtection',
  'enableHttpEndpoint',
  'copyTagsToSnapshot',
  'enableGlobalWriteForwarding',
  'dBClusterInstanceClass',
  'allocatedStorage',
  'storageType',
  'iops',
  'autoMinorVersionUpgrade',
  'networkType',
  'monitoringInterval',
  'monitoringRoleArn',
  'databaseInsightsMode',
  'enablePerformanceInsights',
  'performanceInsightsKMSKeyId',
  'performanceInsightsRetentionPeriod',
  'manageMasterUserPassword',
  'rotateMasterUserPassword',
  'enableLocalWriteForwarding',
  'masterUserSecretKmsKeyId',
  'engineMode',
  'allowEngineModeChange',
  'awsBackupRecoveryPointArn',
  'enableLimitlessDatabase',
  'cACertificateIdentifier',
  'masterUserAuthenticationType',
  'engineLifecycleSupport',
];

/** `{a: {b: [{exists: true}]}}` for the dotted path `a.b`. */
function existsAt(path: string): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), [{ exists: true }]) as Record<string, unknown>;
}

/**
 * The event pattern of a ModifyDBCluster call made with `roleArn` that does more than the scaler's
 * job: any request parameter other than {@link SCALER_MODIFY_PARAMETERS}, or no scaling
 * configuration at all. Matches the CloudTrail record delivered to EventBridge
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html);
 * the caller is the role that issued the Lambda's session (`userIdentity.sessionContext.sessionIssuer.arn`).
 */
export function scalerOutOfScopePattern(roleArn: string): events.EventPattern {
  return {
    source: ['aws.rds'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['rds.amazonaws.com'],
      eventName: ['ModifyDBCluster'],
      userIdentity: { sessionContext: { sessionIssuer: { arn: [roleArn] } } },
      $or: [
        { requestParameters: { serverlessV2ScalingConfiguration: { minCapacity: [{ exists: false }] } } },
        ...OTHER_MODIFY_PARAMETERS.map((p) => ({ requestParameters: existsAt(p) })),
      ],
    },
  };
}

export interface ScalerGuardProps {
  /** ARN of the scaler function's role. */
  readonly roleArn: string;
  readonly alarms: AlarmTopic;
  /** The cluster the scaler may resize, for the message. */
  readonly dbClusterId: string;
}

/**
 * Detective control on the scaler's `rds:ModifyDBCluster` grant. IAM cannot keep that grant to the
 * scaling configuration: the Service Authorization Reference lists no condition key for the master
 * password, deletion protection or any other ModifyDBCluster parameter except
 * `rds:ManageMasterUserPassword`, which the scaler policy denies
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html), and
 * Aurora Serverless v2 capacity has no API of its own. So every ModifyDBCluster by the scaler's role
 * that touches anything else pages the on-call, with the request.
 *
 * Needs a CloudTrail trail that logs management events in the region: EventBridge receives "AWS API
 * Call via CloudTrail" events only then
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/event-types.html). CloudTrail delivers
 * these events best effort, so this detects, it does not prevent.
 */
export class ScalerGuard extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScalerGuardProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'ModifyBeyondScaling', {
      description: `Pages when the standby scaler's role changes ${props.dbClusterId} beyond its Serverless v2 capacity`,
      eventPattern: scalerOutOfScopePattern(props.roleArn),
    });
    props.alarms.notify(
      this.rule,
      `The standby scaler's role called rds:ModifyDBCluster on ${props.dbClusterId} with parameters beyond the Serverless v2 capacity (for example the master password or deletion protection). Nothing in resilient-shop does that: treat the role as compromised, check the cluster, and rotate the role's sessions.`,
    );
  }
}
