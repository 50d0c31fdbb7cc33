import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeGuard, acknowledgeNag, arnToken } from '../compliance/acknowledge';
import type { NetworkSettings } from '../config/schema';

/** Properties of {@link Network}. */
export interface NetworkProps {
  /** Network settings of this region (shared settings merged with the region's overrides). */
  readonly settings: NetworkSettings;
  /** Key that encrypts the flow log group. */
  readonly logKey: kms.IKey;
}

/**
 * A VPC over 2 or 3 AZs with public (ALB, NAT), private-with-egress (web tier) and isolated
 * (database) subnets, and flow logs of all traffic to an encrypted log group that is retained.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** Log group receiving the VPC flow logs. */
  readonly flowLogGroup: logs.LogGroup;
  /** Interface endpoint of Secrets Manager (private DNS: every subnet reaches it without the NAT). */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** Interface endpoint of EC2 Auto Scaling (the bootstrap completes its lifecycle hook through it). */
  readonly autoScalingEndpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { settings } = props;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(settings.cidr),
      maxAzs: settings.azCount,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        // Only the ALB and the NAT gateways (which have Elastic IPs) live here: no auto-assigned public IPs.
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: settings.flowLogRetentionDays as logs.RetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const flowLogRole = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'Writes VPC flow logs to their log group',
    });
    new iam.ManagedPolicy(this, 'FlowLogPolicy', {
      description: "Write VPC flow logs to this VPC's flow log group only",
      roles: [flowLogRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.flowLogGroup.logGroupArn, `${this.flowLogGroup.logGroupArn}:log-stream:*`],
        }),
      ],
    });
    acknowledgeNag(
      this.node.findChild('FlowLogPolicy'),
      `AwsSolutions-IAM5[Resource::${arnToken(this.flowLogGroup)}:log-stream:*]`,
      "The flow log service names one stream per network interface; the grant is limited to this VPC's flow log group.",
    );
    this.vpc.addFlowLog('FlowLog', {
      // The role is passed without policy updates: its only permissions are in FlowLogPolicy.
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        this.flowLogGroup,
        flowLogRole.withoutPolicyUpdates(),
      ),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const restrictProvider = Stack.of(this).node.tryFindChild(
      'Custom::VpcRestrictDefaultSGCustomResourceProvider',
    );
    if (restrictProvider) {
      acknowledgeGuard(
        restrictProvider,
        'lambda_inside_vpc_check',
        "CDK's provider that removes the default security group's rules at deploy time; it calls only the EC2 API and handles no data.",
      );
    }
    for (const subnet of this.vpc.publicSubnets) {
      acknowledgeNag(
        subnet.node.findChild('DefaultRoute'),
        'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
        'Public subnet of the internet-facing ALB and the NAT gateways: its default route to the internet gateway is what makes them reachable. Instances and the database are in private and isolated subnets.',
      );
    }
    // Gateway endpoints keep S3 (artifact, ALB logs) and DynamoDB traffic off the NAT gateways.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    // Interface endpoints for the APIs the serving path calls from inside the VPC, so neither the
    // secret rotation function (in the isolated subnets, which have no default route) nor a booting
    // instance depends on the NAT gateway (one per region by default: one AZ) or the internet.
    // A function in subnets without a default route reaches an AWS API only through a VPC endpoint;
    // the rotation function is given this one (CDK `endpoint`,
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_rds.CommonRotationUserOptions.html).
    // Private DNS makes the regional API names resolve to the endpoints in every subnet.
    // The endpoints live in the app subnets, beside their main clients (the instances completing
    // their launch hook, reading the secret): the database-network game day cuts the data subnets
    // only, and with the endpoints there it also cut Secrets Manager and lifecycle completion for
    // the whole region, which is not the fault it rehearses. The rotation function in the data
    // subnets reaches them through the VPC's local route.
    const endpointSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: endpointSubnets,
      privateDnsEnabled: true,
      // Opened to each client's security group by name (allowDefaultPortFrom), not to the VPC CIDR.
      open: false,
    });
    this.autoScalingEndpoint = this.vpc.addInterfaceEndpoint('AutoScaling', {
      service: ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
      subnets: endpointSubnets,
      privateDnsEnabled: true,
      open: false,
    });
  }
}
