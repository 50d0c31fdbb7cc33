import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { AppIndex, asArray, IndexedResource, isObject, Json } from '../app-index';
import type { ResilienceRule } from '../rule';

/**
 * A resource that names (by name, alias or ARN string, not by Ref) a resource of another stack, in
 * its own or another region, must find that resource created in a stack that deploys earlier; in the
 * same stack, it must depend on it. CDK orders stacks only by the references it can see, and a name
 * string is not one of them, so nothing else catches the order.
 *
 * Why a wrong order is a defect, per kind of name:
 * - Secrets Manager replica encrypted with a KMS alias in the replica region: if the key does not
 *   exist yet, the replica fails while CloudFormation reports success
 *   (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1459), and the replica
 *   stays unusable (https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html).
 * - Route 53 alias to a record of the same zone: Route 53 rejects an alias whose target record does not
 *   exist ("Tried to create an alias that targets ..., but that target was not found":
 *   https://github.com/barnybug/cli53/issues/133, https://github.com/aws/aws-cdk/issues/19643;
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-route53-recordset-aliastarget.html).
 * - Route 53 health check on a CloudWatch alarm (AlarmIdentifier): the alarm must exist for the check
 *   to read it (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
 * - Aurora secondary cluster joining a global cluster by identifier
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbcluster.html#cfn-rds-dbcluster-globalclusteridentifier).
 * - AWS Backup copy action to a vault ARN in another region: the copy job fails while the vault does
 *   not exist (https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html);
 *   the docs are silent on whether the plan is rejected, so the rule takes the worst case.
 */
export const NameDeployOrder: ResilienceRule = {
  id: 'NameDeployOrder',
  info: 'The resource names (by name, alias or ARN string) a resource that is created by a stack deployed after it, or by a resource of its own stack it does not depend on.',
  explanation:
    'CloudFormation orders stacks only by their dependencies and resources only by Ref/GetAtt/DependsOn; a name string is neither. Move the named resource to a stack deployed earlier (or make the stack depend on it), or add the dependency in the stack.',
  sources: [
    'https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1459',
    'https://github.com/barnybug/cli53/issues/133',
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html',
    'https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html',
  ],
  resourceTypes: [
    'AWS::SecretsManager::Secret',
    'AWS::Backup::BackupPlan',
    'AWS::Route53::HealthCheck',
    'AWS::Route53::RecordSet',
    'AWS::Route53::RecordSetGroup',
    'AWS::RDS::DBCluster',
  ],
  check(resource, { index }): NagRuleResult {
    const refs = referencedNames(resource, index);
    if (refs.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const registry = index.memo('NameDeployOrder.registry', () => createdNames(index));
    const findings = new Set<string>();
    for (const key of refs) {
      const creators = (registry.get(key) ?? []).filter((c) => c !== resource);
      if (creators.length === 0) continue; // created outside this app, or by the resource itself
      const inOrder = creators.some((c) =>
        c.stack === resource.stack
          ? index.createdBefore(resource, c)
          : index.deployedBefore(resource.stack).has(c.stack),
      );
      if (!inOrder) findings.add(key);
    }
    return findings.size > 0 ? [...findings] : NagRuleCompliance.COMPLIANT;
  },
};

/** Every name the app creates, as `kind:region:name` keys, with the resources that create them. */
function createdNames(index: AppIndex): Map<string, IndexedResource[]> {
  const registry = new Map<string, IndexedResource[]>();
  const add = (key: string | undefined, r: IndexedResource) => {
    if (!key) return;
    registry.set(key, [...(registry.get(key) ?? []), r]);
  };
  for (const stack of index.stackList()) {
    const region = index.regionOf(stack) ?? '*';
    for (const r of index.resources(stack).values()) {
      const p = r.properties;
      const lit = (v: Json | undefined) => index.literal(v, stack);
      switch (r.type) {
        case 'AWS::KMS::Alias':
          add(nameKey('kms-alias', region, lit(p.AliasName)), r);
          break;
        case 'AWS::CloudWatch::Alarm':
        case 'AWS::CloudWatch::CompositeAlarm':
          add(nameKey('alarm', region, lit(p.AlarmName)), r);
          break;
        case 'AWS::Backup::BackupVault':
          add(nameKey('backup-vault', region, lit(p.BackupVaultName)), r);
          break;
        case 'AWS::SecretsManager::Secret': {
          const name = lit(p.Name);
          add(nameKey('secret', region, name), r);
          for (const replica of asArray(p.ReplicaRegions)) {
            if (isObject(replica)) add(nameKey('secret', lit(replica.Region), name), r);
          }
          break;
        }
        case 'AWS::SSM::Parameter':
          add(nameKey('ssm-parameter', region, lit(p.Name)?.replace(/^\//, '')), r);
          break;
        case 'AWS::SNS::Topic':
          add(nameKey('sns-topic', region, lit(p.TopicName)), r);
          break;
        case 'AWS::SQS::Queue':
          add(nameKey('sqs-queue', region, lit(p.QueueName)), r);
          break;
        case 'AWS::Lambda::Function':
          add(nameKey('lambda-function', region, lit(p.FunctionName)), r);
          break;
        case 'AWS::Events::EventBus':
          add(nameKey('event-bus', region, lit(p.Name)), r);
          break;
        case 'AWS::RDS::GlobalCluster':
          add(nameKey('rds-global-cluster', '*', lit(p.GlobalClusterIdentifier)?.toLowerCase()), r);
          break;
        case 'AWS::RDS::DBCluster':
          add(nameKey('rds-cluster', region, lit(p.DBClusterIdentifier)?.toLowerCase()), r);
          break;
        case 'AWS::S3::Bucket':
          add(nameKey('s3-bucket', '*', lit(p.BucketName)), r);
          break;
        case 'AWS::Route53::RecordSet':
          add(dnsKey(lit(p.HostedZoneId), lit(p.Name)), r);
          break;
        case 'AWS::Route53::RecordSetGroup':
          for (const rs of asArray(p.RecordSets)) {
            if (isObject(rs)) add(dnsKey(lit(p.HostedZoneId), lit(rs.Name)), r);
          }
          break;
      }
    }
  }
  return registry;
}

/** The names `resource` uses to find resources it does not Ref, as `kind:region:name` keys. */
function referencedNames(resource: IndexedResource, index: AppIndex): string[] {
  const p = resource.properties;
  const stack = resource.stack;
  const lit = (v: Json | undefined) => index.literal(v, stack);
  const keys: Array<string | undefined> = [];
  switch (resource.type) {
    case 'AWS::SecretsManager::Secret':
      for (const replica of asArray(p.ReplicaRegions)) {
        if (isObject(replica)) keys.push(kmsKey(lit(replica.KmsKeyId), lit(replica.Region)));
      }
      break;
    case 'AWS::Backup::BackupPlan': {
      const plan = isObject(p.BackupPlan) ? p.BackupPlan : {};
      for (const rule of asArray(plan.BackupPlanRule)) {
        if (!isObject(rule)) continue;
        for (const copy of asArray(rule.CopyActions)) {
          if (isObject(copy)) keys.push(arnKey(lit(copy.DestinationBackupVaultArn)));
        }
      }
      break;
    }
    case 'AWS::Route53::HealthCheck': {
      const config = isObject(p.HealthCheckConfig) ? p.HealthCheckConfig : {};
      const alarm = config.AlarmIdentifier;
      if (isObject(alarm)) keys.push(nameKey('alarm', lit(alarm.Region), lit(alarm.Name)));
      break;
    }
    case 'AWS::Route53::RecordSet':
      keys.push(aliasKey(lit(p.HostedZoneId), p.AliasTarget, lit));
      break;
    case 'AWS::Route53::RecordSetGroup':
      for (const rs of asArray(p.RecordSets)) {
        if (isObject(rs)) keys.push(aliasKey(lit(p.HostedZoneId), rs.AliasTarget, lit));
      }
      break;
    case 'AWS::RDS::DBCluster':
      keys.push(nameKey('rds-global-cluster', '*', lit(p.GlobalClusterIdentifier)?.toLowerCase()));
      keys.push(arnKey(lit(p.ReplicationSourceIdentifier)));
      keys.push(arnKey(lit(p.SourceDBClusterIdentifier)));
      break;
  }
  return keys.filter((k): k is string => k !== undefined);
}

function nameKey(kind: string, region: string | undefined, name: string | undefined): string | undefined {
  return region && name ? `${kind}:${region}:${name}` : undefined;
}

/** A DNS name in a hosted zone: case-insensitive, with or without the final dot. */
function dnsKey(zone: string | undefined, name: string | undefined): string | undefined {
  return zone && name ? `dns:${zone}:${name.toLowerCase().replace(/\.$/, '')}` : undefined;
}

/** An alias to another record of the same hosted zone (aliases to AWS resources are left out). */
function aliasKey(
  zone: string | undefined,
  alias: Json | undefined,
  lit: (v: Json | undefined) => string | undefined,
): string | undefined {
  if (!isObject(alias) || !zone || lit(alias.HostedZoneId) !== zone) return undefined;
  return dnsKey(zone, lit(alias.DNSName));
}

/** A KMS key reference: an alias ARN or an alias name (key ids and key ARNs are not names). */
function kmsKey(value: string | undefined, region: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.startsWith('arn:')) return arnKey(value);
  return value.startsWith('alias/') ? nameKey('kms-alias', region, value) : undefined;
}

/** The `kind:region:name` key of an ARN of a named resource kind the registry knows. */
export function arnKey(arn: string | undefined): string | undefined {
  const m = /^arn:[^:]+:([^:]+):([^:]*):[^:]*:(.+)$/.exec(arn ?? '');
  if (!m) return undefined;
  const [, service, region, resource] = m;
  const at = (prefix: string) => (resource.startsWith(prefix) ? resource.slice(prefix.length) : undefined);
  switch (service) {
    case 'kms':
      return resource.startsWith('alias/') ? nameKey('kms-alias', region, resource) : undefined;
    case 'backup':
      return nameKey('backup-vault', region, at('backup-vault:'));
    case 'cloudwatch':
      return nameKey('alarm', region, at('alarm:'));
    case 'sns':
      return nameKey('sns-topic', region, resource);
    case 'sqs':
      return nameKey('sqs-queue', region, resource);
    case 'lambda':
      return nameKey('lambda-function', region, at('function:')?.split(':')[0]);
    case 'ssm':
      return nameKey('ssm-parameter', region, at('parameter/'));
    case 'events':
      return nameKey('event-bus', region, at('event-bus/'));
    case 'rds':
      return (
        nameKey('rds-cluster', region, at('cluster:')?.toLowerCase()) ??
        nameKey('rds-global-cluster', '*', at('global-cluster:')?.toLowerCase())
      );
    default:
      return undefined;
  }
}
