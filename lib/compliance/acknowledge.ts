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

/** The token cdk-nag prints for `Fn::GetAtt [resource, Arn]`: `<LogicalId.Arn>`. */
export function arnToken(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnResource;
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}
