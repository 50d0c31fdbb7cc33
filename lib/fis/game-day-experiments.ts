import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag, arnToken } from '../compliance/acknowledge';
import type { LoggedFunction } from '../monitoring/logged-function';
import { FIS_CONFIG_PREFIX, FisLambdaExtension } from './lambda-extension';
import {
  GAME_DAY_MINUTES,
  GAME_DAY_TARGET_TAG,
  SCENARIO_TAG,
  scenariosFor,
  type ScenarioId,
} from './scenarios';

export { GAME_DAY_TARGET_TAG };

/** Properties of {@link GameDayExperiments}. */
export interface GameDayExperimentsProps {
  /** `appName`, the prefix of the log group and of the templates' Name tags. */
  readonly appName: string;
  readonly vpc: ec2.IVpc;
  readonly asg: autoscaling.AutoScalingGroup;
  /** Identifier of this region's Aurora cluster, when it holds the writer in normal operation. */
  readonly writerClusterIdentifier?: string;
  /**
   * Alarms that stop every experiment: customers failing as seen from two vantage points in this
   * region. FIS stops an experiment when any of them goes to ALARM. Metric alarms only: the FIS
   * docs name "a CloudWatch alarm" and say nothing of composite alarms, so a composite one is refused.
   */
  readonly stopAlarms: readonly cloudwatch.IAlarm[];
  /**
   * The region's functions to make FIS Lambda fault targets (`gameDays.lambdaFaultInjection`): the
   * FIS extension is added to them and the `canary-failure` and `switch-publisher-failure`
   * experiments are created. @default none: the functions are left as they are, no Lambda scenario
   */
  readonly lambdaFaults?: {
    readonly canary: LoggedFunction;
    readonly switchPublisher: LoggedFunction;
    /** Receives the FIS configuration bucket's access logs. */
    readonly accessLogs: s3.IBucket;
  };
  /** Encrypts the experiment log group. */
  readonly key: kms.IKey;
  /**
   * How long each disruption lasts.
   * @default 10 minutes: long enough for Route 53 (≈ 90 s) and the canaries' 3-of-5-minute alarms to react
   */
  readonly duration?: Duration;
}

/**
 * AWS FIS experiment templates for the game days of one region, one per scenario (see
 * `scenarios.ts`), each with its own least-privilege role, stop conditions on metric alarms that
 * say what the shop's paging alarms say, and logs delivered to an encrypted log group kept a year.
 * A template is inert: nothing in the app starts an experiment (only `shopctl drill` or a person
 * does, with StartExperiment).
 *
 * Sources: experiment template properties
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-fis-experimenttemplate.html;
 * stop conditions https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html (CloudWatch
 * alarm ARNs; the docs do not say whether composite alarms are accepted, so the stop conditions are
 * metric alarms: see Canary.addGameDayBrake); log delivery permissions
 * https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html.
 */
export class GameDayExperiments extends Construct {
  /** Experiment templates by scenario id. */
  readonly templates: Partial<Record<ScenarioId, fis.CfnExperimentTemplate>> = {};
  readonly logGroup: logs.LogGroup;
  /** The FIS Lambda extension's bucket and functions, when `lambdaFaults` is given. */
  readonly lambdaExtension?: FisLambdaExtension;

  constructor(scope: Construct, id: string, props: GameDayExperimentsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.stopAlarms.length === 0) {
      throw new Error(
        `${this.node.path}: stopAlarms is empty. Fix: pass the region's game-day brake (Canary.addGameDayBrake), a game day needs one`,
      );
    }
    const composite = props.stopAlarms.filter((a) => a instanceof cloudwatch.CompositeAlarm);
    if (composite.length > 0) {
      throw new Error(
        `${this.node.path}: stopAlarms has composite alarms (${composite.map((a) => a.node.path).join(', ')}); the FIS docs do not say a composite alarm can be a stop condition, so a template on one may fail to create. Fix: pass metric alarms with the same rule (Canary.addGameDayBrake)`,
      );
    }
    if (props.lambdaFaults) {
      this.lambdaExtension = new FisLambdaExtension(this, 'LambdaFaults', {
        accessLogs: props.lambdaFaults.accessLogs,
      });
      this.lambdaExtension.attach(props.lambdaFaults.canary);
      this.lambdaExtension.attach(props.lambdaFaults.switchPublisher);
    }

    this.logGroup = new logs.LogGroup(this, 'Log', {
      logGroupName: `/${props.appName}/game-days`,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The group's ARN holds a UUID CloudFormation does not return; FIS finds the group by this tag.
    Tags.of(props.asg).add(...GAME_DAY_TARGET_TAG, { applyToLaunchedInstances: false });
    const subnetIds = (name: string) => props.vpc.selectSubnets({ subnetGroupName: name }).subnetIds;
    const app = props.vpc.selectSubnets({ subnetGroupName: 'app' });
    const scenarios = scenariosFor({
      partition: Aws.PARTITION,
      region: stack.region,
      account: stack.account,
      vpcId: props.vpc.vpcId,
      asgName: props.asg.autoScalingGroupName,
      asgArnPattern: props.asg.autoScalingGroupArn,
      asgTag: GAME_DAY_TARGET_TAG,
      subnets: { public: subnetIds('public'), app: app.subnetIds, data: subnetIds('data') },
      zone: app.subnets[0].availabilityZone,
      writerClusterArn: props.writerClusterIdentifier
        ? stack.formatArn({
            service: 'rds',
            resource: 'cluster',
            resourceName: props.writerClusterIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          })
        : undefined,
      minutes: Math.round((props.duration ?? Duration.minutes(GAME_DAY_MINUTES)).toMinutes()),
      lambda:
        props.lambdaFaults && this.lambdaExtension
          ? {
              canaryArn: props.lambdaFaults.canary.function.functionArn,
              switchPublisherArn: props.lambdaFaults.switchPublisher.function.functionArn,
              configObjectsArn: this.lambdaExtension.configObjectsArn,
            }
          : undefined,
    });
    const lambdaTargets = props.lambdaFaults
      ? [props.lambdaFaults.canary.function, props.lambdaFaults.switchPublisher.function]
      : [];

    for (const s of scenarios) {
      const role = new iam.Role(this, `${s.id}-Role`, {
        description: `FIS experiment role of the ${s.id} game day`,
        assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }),
            },
          },
        }),
      });
      // A customer-managed policy (PCI DSS: no inline policies), attached to this role only.
      const policy = new iam.ManagedPolicy(this, `${s.id}-Policy`, {
        description: `What the ${s.id} game day may do, and nothing else`,
        roles: [role],
        statements: [
          ...s.statements,
          new iam.PolicyStatement({ actions: s.describe, resources: ['*'] }),
          // Vended log delivery: FIS sets up the delivery to the log group with the role's permissions.
          new iam.PolicyStatement({
            actions: [
              'logs:CreateLogDelivery',
              'logs:PutResourcePolicy',
              'logs:DescribeResourcePolicies',
              'logs:DescribeLogGroups',
            ],
            resources: ['*'],
          }),
        ],
      });
      acknowledgeNag(
        policy,
        'AwsSolutions-IAM5[Resource::*]',
        `${s.describe.join(', ')} and the CloudWatch Logs delivery actions take no resource (FIS resolves targets and sets up log delivery through them); every action that changes a resource is scoped to this region's ${s.id} targets.`,
      );
      // Instance ids and FIS's own network ACLs are not known before the experiment: the wildcards
      // are narrowed by conditions (the group's tag, the managedByFIS tag) or by the subnets.
      const wildcards = new Set(
        s.statements.flatMap((st) =>
          st.resources
            .filter((r) => r.endsWith('/*') && r.split(':')[2] === 'ec2')
            .map((r) => r.split(':').slice(5).join(':')),
        ),
      );
      for (const w of wildcards) {
        acknowledgeNag(
          policy,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}:${stack.account}:${w}]`,
          w.startsWith('instance')
            ? `Web instances come and go with the Auto Scaling group; the statement is limited to instances tagged aws:autoscaling:groupName = this region's group.`
            : `FIS creates the deny-all network ACL during the experiment; creating, tagging, filling and deleting it is limited to ACLs tagged managedByFIS=true, and associations to the ${s.id} subnets.`,
        );
      }

      // The Lambda scenarios: FIS names the configuration objects, and may read a function by a
      // qualified ARN (docs silent); both wildcards stay inside one folder or one function.
      if (this.lambdaExtension && s.statements.some((st) => st.actions.includes('s3:PutObject'))) {
        acknowledgeNag(
          policy,
          `AwsSolutions-IAM5[Resource::${arnToken(this.lambdaExtension.bucket)}/${FIS_CONFIG_PREFIX}/*]`,
          `FIS writes and deletes fault configuration objects it names at experiment start; only in the ${FIS_CONFIG_PREFIX}/ folder of this region's FIS configuration bucket.`,
        );
        for (const fn of lambdaTargets) {
          if (!s.statements.some((st) => st.resources.includes(`${fn.functionArn}:*`))) continue;
          acknowledgeNag(
            policy,
            `AwsSolutions-IAM5[Resource::${arnToken(fn)}:*]`,
            `lambda:GetFunction on the ${s.id} target and its versions or aliases only: the FIS docs grant it on "*" and do not say whether FIS reads the function by a qualified ARN.`,
          );
        }
      }

      const template = new fis.CfnExperimentTemplate(this, s.id, {
        description: s.description,
        roleArn: role.roleArn,
        targets: s.targets,
        actions: s.actions,
        stopConditions: props.stopAlarms.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarmArn })),
        logConfiguration: {
          logSchemaVersion: 2,
          cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn },
        },
        experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
        tags: { Name: `${props.appName} ${stack.region} ${s.id}`, [SCENARIO_TAG]: s.id },
      });
      this.templates[s.id] = template;
    }
  }
}
