import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sam from 'aws-cdk-lib/aws-sam';
import { findingsOf, newApp, stackIn } from './helpers';

type Subnets = 'isolated' | 'nat' | 'public';

/** A VPC whose function subnets are of `kind` (public subnets exist for the NAT either way). */
function vpcWith(stack: Stack, kind: Subnets): { vpc: ec2.Vpc; subnets: ec2.SubnetSelection } {
  const type =
    kind === 'isolated'
      ? ec2.SubnetType.PRIVATE_ISOLATED
      : kind === 'nat'
        ? ec2.SubnetType.PRIVATE_WITH_EGRESS
        : ec2.SubnetType.PUBLIC;
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: kind === 'nat' ? 1 : 0,
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      ...(kind === 'public' ? [] : [{ name: 'fn', subnetType: type }]),
    ],
  });
  return { vpc, subnets: { subnetType: type } };
}

function functionIn(kind: Subnets, endpoint?: ec2.InterfaceVpcEndpointAwsService) {
  const app = newApp();
  const stack = stackIn(app, 'App', 'eu-west-1');
  const { vpc, subnets } = vpcWith(stack, kind);
  new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    vpc,
    vpcSubnets: subnets,
    allowPublicSubnet: kind === 'public',
  });
  if (endpoint) vpc.addInterfaceEndpoint('Endpoint', { service: endpoint, subnets });
  return app;
}

/** A Secrets Manager rotation application (SAR) in the VPC's function subnets. */
function rotationIn(kind: Subnets, endpoint?: ec2.InterfaceVpcEndpointAwsService) {
  const app = newApp();
  const stack = stackIn(app, 'App', 'eu-west-1');
  const { vpc, subnets } = vpcWith(stack, kind);
  new sam.CfnApplication(stack, 'Rotation', {
    location: { applicationId: 'rotation-application', semanticVersion: '1.0.0' },
    parameters: {
      endpoint: `https://secretsmanager.${stack.region}.${stack.urlSuffix}`,
      functionName: 'rotate',
      vpcSubnetIds: vpc.selectSubnets(subnets).subnetIds.join(','),
    },
  });
  if (endpoint) vpc.addInterfaceEndpoint('Endpoint', { service: endpoint, subnets });
  return app;
}

describe('Resilience-VpcFunctionApiPath', () => {
  test('non-compliant: a function in isolated subnets with no interface endpoint', () => {
    expect(findingsOf('VpcFunctionApiPath', functionIn('isolated'))).toEqual([
      'Resilience-VpcFunctionApiPath[no-path-to-aws-apis] at App/Fn/Resource',
    ]);
  });

  test('non-compliant: a function in public subnets (an internet gateway gives a function no address)', () => {
    expect(findingsOf('VpcFunctionApiPath', functionIn('public'))).toEqual([
      'Resilience-VpcFunctionApiPath[no-path-to-aws-apis] at App/Fn/Resource',
    ]);
  });

  test('compliant: a function in subnets with a NAT route', () => {
    expect(findingsOf('VpcFunctionApiPath', functionIn('nat'))).toEqual([]);
  });

  test('compliant: a function in isolated subnets with an interface endpoint', () => {
    const app = functionIn('isolated', ec2.InterfaceVpcEndpointAwsService.SSM);
    expect(findingsOf('VpcFunctionApiPath', app)).toEqual([]);
  });

  test('non-compliant: a rotation application in isolated subnets without a Secrets Manager endpoint', () => {
    const app = rotationIn('isolated', ec2.InterfaceVpcEndpointAwsService.SSM);
    expect(findingsOf('VpcFunctionApiPath', app)).toEqual([
      'Resilience-VpcFunctionApiPath[no-path-to-secretsmanager] at App/Rotation',
    ]);
  });

  test('compliant: a rotation application with a Secrets Manager endpoint, or a NAT route', () => {
    expect(
      findingsOf(
        'VpcFunctionApiPath',
        rotationIn('isolated', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
      ),
    ).toEqual([]);
    expect(findingsOf('VpcFunctionApiPath', rotationIn('nat'))).toEqual([]);
  });

  test('a function outside any VPC is not judged', () => {
    const app = newApp();
    new lambda.Function(stackIn(app, 'App', 'eu-west-1'), 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    expect(findingsOf('VpcFunctionApiPath', app)).toEqual([]);
  });
});
