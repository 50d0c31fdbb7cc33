import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
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
    this.vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: names.backupVault(props.regionName),
      encryptionKey: this.replicaKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
