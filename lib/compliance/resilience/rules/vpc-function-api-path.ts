import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { AppIndex, asArray, IndexedResource, isObject, localReferences, referencedId } from '../app-index';
import type { ResilienceRule } from '../rule';

/** Route targets that carry a private address to the internet (an internet gateway alone does not). */
const EGRESS_TARGETS = [
  'NatGatewayId',
  'TransitGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'VpcPeeringConnectionId',
];

/**
 * A Lambda function attached to VPC subnets reaches AWS APIs only through a NAT route or VPC
 * endpoints: "Connecting a function to a public subnet doesn't give it internet access or a public IP
 * address" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html). The rule
 * follows each subnet's route table: a 0.0.0.0/0 route through a NAT gateway (or a transit gateway,
 * an instance, an interface, a peering) is a path; an internet gateway is not, for a function. Without
 * a path in every subnet, the VPC needs interface endpoints
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html): for a Secrets
 * Manager rotation application (its `endpoint` parameter names the API) an endpoint of that service
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/vpc-endpoint-overview.html); for other
 * functions, whose API calls the template does not show, at least one interface endpoint (an
 * approximation: the rule cannot tell which services the code calls).
 *
 * Looks at AWS::Lambda::Function (VpcConfig.SubnetIds) and AWS::Serverless::Application (the SAR
 * rotation templates' vpcSubnetIds parameter). Subnets imported by id are not judged.
 */
export const VpcFunctionApiPath: ResilienceRule = {
  id: 'VpcFunctionApiPath',
  info: 'The function runs in VPC subnets without a NAT route, and the VPC has no interface endpoint for the AWS API it calls.',
  explanation:
    'A function in a VPC has no public address; without a NAT route or an interface endpoint its SDK calls time out (for a rotation function: the secret never rotates). Add the interface endpoint of the API, or run the function in subnets with a NAT route.',
  sources: [
    'https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc-internet.html',
    'https://docs.aws.amazon.com/secretsmanager/latest/userguide/vpc-endpoint-overview.html',
    'https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html',
  ],
  resourceTypes: ['AWS::Lambda::Function', 'AWS::Serverless::Application'],
  check(fn, { index }): NagRuleResult {
    const resources = index.resources(fn.stack);
    const subnetIds =
      fn.type === 'AWS::Lambda::Function'
        ? asArray(isObject(fn.properties.VpcConfig) ? fn.properties.VpcConfig.SubnetIds : undefined).map(
            referencedId,
          )
        : localReferences(
            isObject(fn.properties.Parameters) ? fn.properties.Parameters.vpcSubnetIds : undefined,
          );
    if (subnetIds.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const subnets = subnetIds.map((id) => resources.get(id ?? ''));
    if (subnets.some((s) => s?.type !== 'AWS::EC2::Subnet')) return NagRuleCompliance.NOT_APPLICABLE;
    if (subnets.every((s) => hasEgress(s!, index))) return NagRuleCompliance.COMPLIANT;

    const vpcIds = new Set(subnets.map((s) => referencedId(s!.properties.VpcId)));
    const endpoints = index
      .ofType(fn.stack, 'AWS::EC2::VPCEndpoint')
      .filter(
        (e) => e.properties.VpcEndpointType === 'Interface' && vpcIds.has(referencedId(e.properties.VpcId)),
      )
      .map((e) => index.literal(e.properties.ServiceName, fn.stack) ?? '');
    const needed = apisCalled(fn, index);
    if (needed.length === 0)
      return endpoints.length > 0 ? NagRuleCompliance.COMPLIANT : ['no-path-to-aws-apis'];
    const missing = needed.filter((svc) => !endpoints.some((name) => name.endsWith(`.${svc}`)));
    return missing.length > 0 ? missing.map((svc) => `no-path-to-${svc}`) : NagRuleCompliance.COMPLIANT;
  },
};

/** True when the subnet's route table sends 0.0.0.0/0 to something that translates private addresses. */
function hasEgress(subnet: IndexedResource, index: AppIndex): boolean {
  const resources = index.resources(subnet.stack);
  const tables = index
    .ofType(subnet.stack, 'AWS::EC2::SubnetRouteTableAssociation')
    .filter((a) => referencedId(a.properties.SubnetId) === subnet.logicalId)
    .map((a) => referencedId(a.properties.RouteTableId));
  return index
    .ofType(subnet.stack, 'AWS::EC2::Route')
    .filter((r) => tables.includes(referencedId(r.properties.RouteTableId)))
    .filter((r) => r.properties.DestinationCidrBlock === '0.0.0.0/0')
    .some((r) => {
      if (EGRESS_TARGETS.some((k) => r.properties[k] !== undefined)) return true;
      const gateway = resources.get(referencedId(r.properties.GatewayId) ?? '');
      return r.properties.GatewayId !== undefined && gateway?.type !== 'AWS::EC2::InternetGateway';
    });
}

/** The AWS APIs the template shows the function calling (the rotation applications' `endpoint`). */
function apisCalled(fn: IndexedResource, index: AppIndex): string[] {
  if (fn.type !== 'AWS::Serverless::Application' || !isObject(fn.properties.Parameters)) return [];
  const endpoint = index.literal(fn.properties.Parameters.endpoint, fn.stack);
  const m = /^https:\/\/([a-z0-9-]+)\./.exec(endpoint ?? '');
  return m ? [m[1]] : [];
}
