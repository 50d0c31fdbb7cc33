import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { settings } = props;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(settings.cidr),
      maxAzs: settings.azCount,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
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
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    // Gateway endpoints keep S3 (artifact, ALB logs) and DynamoDB traffic off the NAT gateways.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  }
}
