import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
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
    this.vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: names.backupVault(props.regionName),
      encryptionKey: this.replicaKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
