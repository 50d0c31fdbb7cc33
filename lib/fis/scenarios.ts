/**
 * The game-day scenarios of one region as data: which AWS FIS actions run against which targets,
 * and exactly which permissions the experiment role needs for them. `GameDayExperiments` turns each
 * into an experiment template with its own role; `shopctl drill` starts them by scenario id.
 *
 * Actions and their permissions follow the FIS actions reference
 * (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html) and the AWS managed
 * policies FIS publishes for them (AWSFaultInjectionSimulatorEC2Access, ...NetworkAccess,
 * ...RDSAccess), narrowed to this region's resources. The AZ power interruption scenario
 * (https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html) is rebuilt from its
 * actions: stop the instances in one zone, cut that zone's subnets, stop the Auto Scaling group from
 * launching there, fail the Aurora writer over.
 *
 * Lambda faults (`canary-failure`, `switch-publisher-failure`) exist only where the FIS Lambda
 * extension is on the functions (`gameDays.lambdaFaultInjection`, see `lambda-extension.ts`). Their
 * permissions follow the experiment policy of
 * https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html (write and delete the
 * configuration objects, lambda:GetFunction, tag:GetResources), narrowed to the target functions.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

/** Scenario ids: the argument of `shopctl drill SCENARIO` and the `Scenario` tag of each template. */
export const SCENARIO_IDS = [
  'az-power-interruption',
  'web-instance-loss',
  'database-failover',
  'database-network-disruption',
  'region-unreachable',
  'canary-failure',
  'switch-publisher-failure',
] as const;

export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** Scenarios that exist only with `gameDays.lambdaFaultInjection` on (the FIS extension on the functions). */
export const LAMBDA_SCENARIO_IDS: readonly ScenarioId[] = ['canary-failure', 'switch-publisher-failure'];

/** Scenarios that exist only in the region holding the Aurora writer in normal operation (the primary). */
export const WRITER_SCENARIO_IDS: readonly ScenarioId[] = ['database-failover'];

/** Tag on the web tier's Auto Scaling group by which the AZ scenario targets it. */
export const GAME_DAY_TARGET_TAG = ['resilient-shop:game-day-target', 'web-tier'] as const;

/** Tag key that carries the scenario id on every experiment template. */
export const SCENARIO_TAG = 'resilient-shop:scenario';

/** What a scenario acts on in one region (all resolved by the regional stack). */
export interface ScenarioResources {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly vpcId: string;
  /** Name of the web tier's Auto Scaling group (its instances carry `aws:autoscaling:groupName`). */
  readonly asgName: string;
  /** ARN pattern of the group (`autoScalingGroup:*:autoScalingGroupName/NAME`), for IAM conditions. */
  readonly asgArnPattern: string;
  /** Tag (key, value) the group carries so that FIS can target it (FIS targets need exact ARNs or tags). */
  readonly asgTag: readonly [string, string];
  /** Subnet ids per tier, one per zone, zone 0 first. */
  readonly subnets: { readonly public: string[]; readonly app: string[]; readonly data: string[] };
  /** Zone the AZ scenario takes down (zone 0 of the VPC). */
  readonly zone: string;
  /** The regional Aurora cluster, when this region holds the writer in normal operation. */
  readonly writerClusterArn?: string;
  /** Minutes each disruption lasts. */
  readonly minutes: number;
  /** The region's functions that carry the FIS Lambda extension; absent when it is off. */
  readonly lambda?: {
    /** The canary of this region (one vantage point). */
    readonly canaryArn: string;
    /** The drain switch publisher of this region (it keeps this region's copies of the other regions' switches). */
    readonly switchPublisherArn: string;
    /** `arn:...:s3:::<config bucket>/<folder>/*`: where FIS writes the fault configurations. */
    readonly configObjectsArn: string;
  };
}

export interface ScenarioTarget {
  readonly resourceType: string;
  readonly selectionMode: string;
  readonly resourceArns?: string[];
  readonly resourceTags?: Record<string, string>;
  readonly filters?: { path: string; values: string[] }[];
}

export interface ScenarioAction {
  readonly actionId: string;
  readonly description: string;
  readonly parameters?: Record<string, string>;
  readonly targets?: Record<string, string>;
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly description: string;
  readonly targets: Record<string, ScenarioTarget>;
  readonly actions: Record<string, ScenarioAction>;
  /** Least-privilege statements for the experiment role. */
  readonly statements: iam.PolicyStatement[];
  /** Statements that cannot be scoped to a resource (Describe*), acknowledged in one place. */
  readonly describe: string[];
}

const arn = (r: ScenarioResources, service: string, resource: string) =>
  `arn:${r.partition}:${service}:${r.region}:${r.account}:${resource}`;

/** Stop and start (or terminate) instances of the web tier's group only. */
function instanceStatement(r: ScenarioResources, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions,
    resources: [arn(r, 'ec2', 'instance/*')],
    conditions: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': r.asgName } },
  });
}

/**
 * aws:network:disrupt-connectivity swaps the subnets' network ACL for a deny-all one it creates
 * (tagged managedByFIS) and restores the original afterwards.
 */
function networkStatements(r: ScenarioResources, subnetIds: string[]): iam.PolicyStatement[] {
  const acl = arn(r, 'ec2', 'network-acl/*');
  return [
    new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkAcl'],
      resources: [acl],
      conditions: { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkAcl'],
      resources: [arn(r, 'ec2', `vpc/${r.vpcId}`)],
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [acl],
      conditions: {
        StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' },
      },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'],
      resources: [acl],
      conditions: { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:ReplaceNetworkAclAssociation'],
      resources: [acl, ...subnetIds.map((id) => arn(r, 'ec2', `subnet/${id}`))],
    }),
  ];
}

const NETWORK_DESCRIBE = [
  'ec2:DescribeNetworkAcls',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'ec2:DescribeManagedPrefixLists',
  'ec2:GetManagedPrefixListEntries',
];

function subnetTarget(r: ScenarioResources, ids: string[]): ScenarioTarget {
  return {
    resourceType: 'aws:ec2:subnet',
    selectionMode: 'ALL',
    resourceArns: ids.map((id) => arn(r, 'ec2', `subnet/${id}`)),
  };
}

function disrupt(description: string, minutes: number): ScenarioAction {
  return {
    actionId: 'aws:network:disrupt-connectivity',
    description,
    parameters: { duration: `PT${minutes}M`, scope: 'all' },
    targets: { Subnets: 'subnets' },
  };
}

/** How long each disruption of a game day lasts unless the stack says otherwise (minutes). */
export const GAME_DAY_MINUTES = 10;

/** Shortest `canary-failure` that lets every alarm it should raise go off (see the scenario). */
export const CANARY_FAILURE_MINUTES = 15;

/** Every scenario that applies to a region (database failover only where the writer lives). */
export function scenariosFor(r: ScenarioResources): Scenario[] {
  const webInstances: ScenarioTarget = {
    resourceType: 'aws:ec2:instance',
    selectionMode: 'ALL',
    resourceTags: { 'aws:autoscaling:groupName': r.asgName },
    filters: [{ path: 'State.Name', values: ['running'] }],
  };
  const clusterTarget = (clusterArn: string): ScenarioTarget => ({
    resourceType: 'aws:rds:cluster',
    selectionMode: 'ALL',
    resourceArns: [clusterArn],
  });
  const rdsStatements = (clusterArn: string) => [
    new iam.PolicyStatement({ actions: ['rds:FailoverDBCluster'], resources: [clusterArn] }),
  ];
  const zoneSubnets = [r.subnets.app[0], r.subnets.data[0]];

  const out: Scenario[] = [
    {
      id: 'az-power-interruption',
      description: `Zone ${r.zone} loses power: its web instances stop, its app and data subnets go dark, the group cannot launch there${r.writerClusterArn ? ', the Aurora writer fails over' : ''}`,
      targets: {
        ZoneInstances: {
          ...webInstances,
          filters: [
            { path: 'State.Name', values: ['running'] },
            { path: 'Placement.AvailabilityZone', values: [r.zone] },
          ],
        },
        subnets: subnetTarget(r, zoneSubnets),
        Group: {
          resourceType: 'aws:ec2:autoscaling-group',
          selectionMode: 'ALL',
          resourceTags: { [r.asgTag[0]]: r.asgTag[1] },
        },
        ...(r.writerClusterArn && { Cluster: clusterTarget(r.writerClusterArn) }),
      },
      actions: {
        StopZoneInstances: {
          actionId: 'aws:ec2:stop-instances',
          description: 'Stop the web instances of the zone; they start again when the power returns',
          // Auto Scaling replaces (terminates) a stopped instance that fails its health check; without
          // completeIfInstancesTerminated the action cannot start it again and the experiment fails
          // instead of completing (Stop-ASG-Instances in the AZ power scenario,
          // https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html;
          // https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#ec2-actions-reference-stop).
          parameters: {
            startInstancesAfterDuration: `PT${r.minutes}M`,
            completeIfInstancesTerminated: 'true',
          },
          targets: { Instances: 'ZoneInstances' },
        },
        CutZoneSubnets: disrupt('Cut every packet in and out of the zone app and data subnets', r.minutes),
        NoCapacityInZone: {
          actionId: 'aws:ec2:asg-insufficient-instance-capacity-error',
          description: 'The group gets InsufficientInstanceCapacity when it launches into the zone',
          parameters: { availabilityZoneIdentifiers: r.zone, duration: `PT${r.minutes}M`, percentage: '100' },
          targets: { AutoScalingGroups: 'Group' },
        },
        ...(r.writerClusterArn && {
          FailOverWriter: {
            actionId: 'aws:rds:failover-db-cluster',
            description: 'The Aurora writer fails over to the reader in the other zone',
            targets: { Clusters: 'Cluster' },
          },
        }),
      },
      statements: [
        instanceStatement(r, ['ec2:StopInstances', 'ec2:StartInstances']),
        ...networkStatements(r, zoneSubnets),
        new iam.PolicyStatement({
          actions: ['ec2:InjectApiError'],
          resources: ['*'],
          conditions: {
            'ForAnyValue:StringEquals': {
              'ec2:FisActionId': ['aws:ec2:asg-insufficient-instance-capacity-error'],
            },
            StringLike: { 'ec2:FisTargetArns': r.asgArnPattern },
          },
        }),
        ...(r.writerClusterArn ? rdsStatements(r.writerClusterArn) : []),
      ],
      describe: [
        'ec2:DescribeInstances',
        'autoscaling:DescribeAutoScalingGroups',
        ...NETWORK_DESCRIBE,
        ...(r.writerClusterArn ? ['rds:DescribeDBClusters'] : []),
      ],
    },
    {
      id: 'web-instance-loss',
      description:
        'Half of the web instances are terminated; the group must replace them and the ALB route around them',
      targets: { HalfOfTheWebTier: { ...webInstances, selectionMode: 'PERCENT(50)' } },
      actions: {
        Terminate: {
          actionId: 'aws:ec2:terminate-instances',
          description: 'Terminate half of the running web instances',
          targets: { Instances: 'HalfOfTheWebTier' },
        },
      },
      statements: [instanceStatement(r, ['ec2:TerminateInstances'])],
      describe: ['ec2:DescribeInstances'],
    },
    {
      id: 'database-network-disruption',
      description: 'The web tier loses its database: every packet in and out of the data subnets is dropped',
      targets: { subnets: subnetTarget(r, r.subnets.data) },
      actions: { CutDataSubnets: disrupt('Drop all traffic of the data subnets', r.minutes) },
      statements: networkStatements(r, r.subnets.data),
      describe: NETWORK_DESCRIBE,
    },
    {
      id: 'region-unreachable',
      description:
        'Rehearsal of a region nobody can reach (for a staging account): the public subnets, and so the ALB, drop all traffic',
      targets: { subnets: subnetTarget(r, r.subnets.public) },
      actions: { CutPublicSubnets: disrupt('Drop all traffic of the public subnets', r.minutes) },
      statements: networkStatements(r, r.subnets.public),
      describe: NETWORK_DESCRIBE,
    },
  ];
  if (r.lambda) out.push(...lambdaScenarios(r, r.lambda));
  if (r.writerClusterArn) {
    out.splice(2, 0, {
      id: 'database-failover',
      description: 'The Aurora writer fails over to its reader in another zone',
      targets: { Cluster: clusterTarget(r.writerClusterArn) },
      actions: {
        FailOverWriter: {
          actionId: 'aws:rds:failover-db-cluster',
          description: 'Fail the Aurora writer over',
          targets: { Clusters: 'Cluster' },
        },
      },
      statements: rdsStatements(r.writerClusterArn),
      describe: ['rds:DescribeDBClusters'],
    });
  }
  return out;
}

/**
 * The function fails every invocation without running (`preventExecution`): the extension answers
 * the invocation with an error, so nothing the function would have published is published. FIS
 * injects from the extension's next poll of the configuration folder (up to about a minute after
 * the experiment starts, per the use-lambda-actions page) until the experiment ends.
 */
function invocationError(description: string, minutes: number): ScenarioAction {
  return {
    actionId: 'aws:lambda:invocation-error',
    description,
    parameters: { duration: `PT${minutes}M`, invocationPercentage: '100', preventExecution: 'true' },
    targets: { Functions: 'Function' },
  };
}

/** The Lambda scenarios: the region's canary, or its drain switch publisher, fails every invocation. */
function lambdaScenarios(r: ScenarioResources, l: NonNullable<ScenarioResources['lambda']>): Scenario[] {
  const functionTarget = (functionArn: string): ScenarioTarget => ({
    resourceType: 'aws:lambda:function',
    selectionMode: 'ALL',
    resourceArns: [functionArn],
  });
  const statements = (functionArn: string) => [
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [l.configObjectsArn],
    }),
    // The docs grant "*" and do not say whether FIS reads a qualified ARN: the function and its qualifiers.
    new iam.PolicyStatement({
      actions: ['lambda:GetFunction'],
      resources: [functionArn, `${functionArn}:*`],
    }),
  ];
  return [
    {
      id: 'canary-failure',
      description: `The canary in ${r.region} fails every run: this vantage point goes blind (it pages as not running and silent), no "down" page, DNS unchanged`,
      targets: { Function: functionTarget(l.canaryArn) },
      actions: {
        // The other vantage regions notice a silent canary on 5-minute periods: a whole empty period
        // after the extension's first poll can take 11 minutes, so at least 15.
        FailCanary: invocationError(
          'Every canary invocation in this region fails without running',
          Math.max(r.minutes, CANARY_FAILURE_MINUTES),
        ),
      },
      statements: statements(l.canaryArn),
      describe: ['tag:GetResources'],
    },
    {
      id: 'switch-publisher-failure',
      description: `The drain switch publisher in ${r.region} fails every run: the switch copies held here go silent (one vote for drained each), its error alarm pages, no region is drained`,
      targets: { Function: functionTarget(l.switchPublisherArn) },
      actions: {
        FailPublisher: invocationError(
          'Every drain switch publisher invocation in this region fails without running',
          r.minutes,
        ),
      },
      statements: statements(l.switchPublisherArn),
      describe: ['tag:GetResources'],
    },
  ];
}
