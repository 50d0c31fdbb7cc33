import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { AlarmTopic } from '../monitoring/alarm-topic';

/** Properties of {@link DatabaseBackup}. */
export interface DatabaseBackupProps {
  /**
   * This region's vault name. The vault itself is in the region's foundation stack (deployed first),
   * because other regions copy into it by this name.
   */
  readonly vaultName: string;
  /**
   * The cluster to back up, when this region holds the writer. A secondary of a global database
   * only receives copies.
   */
  readonly cluster?: rds.IDatabaseCluster;
  /** Vaults in other regions (by region → name) that receive a copy of every recovery point. */
  readonly copyTo?: Readonly<Record<string, string>>;
  /** Days recovery points are kept (here and in the copies). */
  readonly retentionDays: number;
  /** Where a failed copy is reported. @default not reported */
  readonly alarms?: AlarmTopic;
}

/**
 * AWS Backup for the database: in the writer region, a plan (into the region's vault) with
 * daily and hourly-continuous points whose copy actions put each point in another region's vault.
 * A bad write replicates to every region in under a second; these points are how it is undone.
 */
export class DatabaseBackup extends Construct {
  readonly vault: backup.IBackupVault;
  readonly plan?: backup.BackupPlan;
  /** The rule that pages on a failed copy job (when `alarms` is given). */
  readonly copyFailed?: events.Rule;

  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.vault = backup.BackupVault.fromBackupVaultName(this, 'Vault', props.vaultName);
    // A copy that fails leaves the other region without the point, silently: AWS Backup reports
    // every copy job state change to EventBridge ("Copy Job State Change", best effort,
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html,
    // https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-backup.html). The docs do not
    // say whether the source or the destination region receives the event, so every region has
    // the rule; some Backup events carry `state`, others `status`, so both are matched ($or,
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
    if (props.alarms) {
      const failed = ['FAILED', 'ABORTED', 'PARTIAL'];
      this.copyFailed = new events.Rule(this, 'CopyFailed', {
        description:
          'Pages the on-call when an AWS Backup copy job fails (a region without its recovery point)',
        eventPattern: {
          source: ['aws.backup'],
          detailType: ['Copy Job State Change'],
          detail: { $or: [{ state: failed }, { status: failed }] },
        },
      });
      props.alarms.notify(
        this.copyFailed,
        `AWS Backup copy job failed in ${stack.region}: a region is missing a database recovery point. Check: aws backup list-copy-jobs --by-state FAILED --region ${stack.region}`,
      );
    }
    if (!props.cluster) return;

    const copyActions = Object.entries(props.copyTo ?? {}).map(([region, name]) => ({
      destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
        this,
        `CopyTo-${region}`,
        stack.formatArn({
          service: 'backup',
          region,
          resource: 'backup-vault',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
      deleteAfter: Duration.days(props.retentionDays),
    }));
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'DailyWithCrossRegionCopy',
          scheduleExpression: events.Schedule.cron({ hour: '16', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: Duration.days(props.retentionDays),
          copyActions,
        }),
      ],
    });
    const selection = this.plan.addSelection('Cluster', {
      resources: [backup.BackupResource.fromRdsDatabaseCluster(props.cluster)],
    });
    acknowledgeNag(
      selection.node.findChild('Role'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      "AWS Backup's documented service role policy; it follows the services Backup supports and is assumed only by backup.amazonaws.com.",
    );
  }
}
