import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeGuard, acknowledgeNag } from '../compliance/acknowledge';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { RegionalKey } from '../monitoring/regional-key';

/** Properties of {@link FoundationStack}. */
export interface FoundationStackProps extends StackProps {
  readonly config: ShopConfig;
  /** The region this stack is deployed to. */
  readonly regionName: string;
}

/**
 * What other regions write into, in one region, deployed before any regional stack.
 *
 * The primary stack replicates the master secret to every standby, encrypted with a key named by
 * alias there, and copies backups into a vault named there. Secrets Manager fails a replica whose
 * key does not exist yet while CloudFormation reports success
 * (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1459), so the key
 * and the vault cannot live in the standby's own stack, which deploys after the primary (whose
 * global cluster it joins). Here they exist before anything names them, and they are retained.
 */
export class FoundationStack extends Stack {
  readonly replicaKey: RegionalKey;
  readonly vault: backup.BackupVault;
  /** The outage page's replica (in `Names.outageReplicaRegion()` only). */
  readonly outageReplica?: s3.Bucket;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const names = new Names(props.config);
    this.replicaKey = new RegionalKey(this, 'ReplicaKey', {
      aliasName: names.replicaKeyAlias(),
      description: `Encrypts what other regions write into ${props.regionName}: database secret replicas and backup copies`,
    });
    // Every rotation writes a new version into the primary secret; Secrets Manager then re-encrypts
    // it with this key for the replica, as an identity that needs kms:GenerateDataKey and kms:Encrypt
    // on it ("No permissions available on the KMS key to complete the replication",
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets_troubleshoot.html).
    // For cross-account replication AWS documents that identity as the caller's own, through a
    // forward access session (https://docs.aws.amazon.com/secretsmanager/latest/userguide/cross-account-replicate-permissions.html);
    // for same-account replication the docs do not say, so the worst case is designed for: the
    // caller is the rotation function, whose role the Secrets Manager rotation application creates
    // with rights on the primary's key only. Its role cannot be named here (another region, another
    // stack, a generated name), so the key lets any principal of this account use it only through
    // Secrets Manager in this region, the shape of the AWS managed aws/secretsmanager key: the
    // replica stays InSync after a rotation, and nothing outside Secrets Manager gains the key.
    this.replicaKey.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSecretsManagerReplicationInThisRegion',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:CallerAccount': this.account,
            'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com`,
          },
        },
      }),
    );
    if (props.regionName === names.outageReplicaRegion()) this.outageReplica = outageReplica(this, names);
    this.vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: names.backupVault(props.regionName),
      encryptionKey: this.replicaKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

/**
 * The second origin of the outage page, outside us-east-1: CloudFront's origin group reads it when
 * the us-east-1 bucket answers with an error or not at all (origin failover,
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorOriginGroups.html),
 * so the last resort survives the loss of us-east-1's S3. The edge stack deploys the page files into
 * both buckets and `shopctl notice` writes status.json into both and reads both back. Here, before the
 * edge stack, because the edge stack names it. CloudFront reads it through Origin Access Control:
 * the distribution's id is not known yet, so the grant is to this account's distributions.
 */
function outageReplica(scope: Construct, names: Names): s3.Bucket {
  const stack = Stack.of(scope);
  const bucket = new s3.Bucket(scope, 'OutageReplica', {
    bucketName: names.outageReplicaBucket(),
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
  });
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudFrontOriginAccessControl',
      principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        StringLike: {
          'AWS:SourceArn': stack.formatArn({
            service: 'cloudfront',
            region: '',
            resource: 'distribution',
            resourceName: '*',
          }),
        },
      },
    }),
  );
  for (const rule of [
    'AwsSolutions-S1',
    'PCI.DSS.321-S3BucketLoggingEnabled',
    'PCI.DSS.321-S3BucketReplicationEnabled',
    'PCI.DSS.321-S3DefaultEncryptionKMS',
  ]) {
    acknowledgeNag(
      bucket,
      rule,
      'Second origin of the public outage page (no cardholder or customer data; it is itself the replica, rebuilt by every deploy and rewritten by shopctl); CloudFront logs every request it serves in the edge stack; SSE-KMS would need a key policy naming the distribution.',
    );
  }
  const content =
    'Second origin of the public outage page (no cardholder or customer data), rebuilt by every deploy and rewritten by shopctl';
  acknowledgeGuard(
    bucket,
    's3_bucket_default_encryption_kms_check',
    `${content}; SSE-KMS would need a key policy naming the distribution, which is created after this bucket.`,
  );
  acknowledgeGuard(
    bucket,
    's3_bucket_logging_enabled_check',
    `${content}; CloudFront logs every request it serves from it in the edge stack.`,
  );
  acknowledgeGuard(
    bucket,
    's3_event_notifications_enabled_check',
    `${content}; nothing reacts to object events.`,
  );
  acknowledgeGuard(
    bucket,
    's3_bucket_object_lock_enabled_check',
    `${content}; shopctl must be able to replace status.json at any time, which Object Lock would forbid.`,
  );
  return bucket;
}
