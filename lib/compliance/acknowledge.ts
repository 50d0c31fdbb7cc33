import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag AwsSolutions finding on one construct, with the reason it is right here.
 * Every exception in the app goes through this function, so `test/compliance.test.ts` can list them.
 * @param rule the rule with its finding, e.g. `AwsSolutions-IAM5[Resource::*]`.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string): void {
  const pack = rule.split('-')[0];
  Validations.of(scope).acknowledge({ id: `${pack}::${rule}`, reason });
}

/**
 * Acknowledges one AWS Control Tower proactive control (run by cdk-validator-cfnguard in the
 * compliance test) on one construct.
 * @param rule the guard rule name, e.g. `lambda_inside_vpc_check` (CT.LAMBDA.PR.3).
 */
export function acknowledgeGuard(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}

/**
 * The Control Tower controls a log-destination bucket cannot meet, acknowledged with one set of
 * reasons: it is the end of the logging chain, written by an AWS service, read by nobody automatically.
 * @param why the reason it cannot use SSE-KMS.
 */
export function acknowledgeLogBucket(bucket: IConstruct, what: string, why: string): void {
  acknowledgeGuard(
    bucket,
    's3_bucket_logging_enabled_check',
    `Destination of ${what}; logging its own access elsewhere would only move the finding.`,
  );
  acknowledgeGuard(bucket, 's3_bucket_default_encryption_kms_check', `${why}.`);
  acknowledgeGuard(
    bucket,
    's3_event_notifications_enabled_check',
    `Holds ${what}; nothing consumes object events from it.`,
  );
  acknowledgeGuard(
    bucket,
    's3_bucket_object_lock_enabled_check',
    `Holds ${what}, versioned and kept a year by lifecycle; Object Lock can only be set when a bucket is created and would block the lifecycle expiry.`,
  );
}

/** The token cdk-nag prints for `Fn::GetAtt [resource, Arn]`: `<LogicalId.Arn>`. */
export function arnToken(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnResource;
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}
