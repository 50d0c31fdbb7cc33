import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { readSecretStatement, ReplicatedSecret } from '../payments/replicated-secret';

/** Properties of {@link TestSigningSecret}. */
export interface TestSigningSecretProps {
  readonly config: ShopConfig;
  /** The primary region's data key. */
  readonly key: kms.IKey;
}

/**
 * The key that signs test requests (`x-shop-synthetic`, `x-shop-drill`; lib/contract/test-signature.ts),
 * created in the primary region with a random value and replicated to every standby (replica key,
 * like the database secret) and to the edge region, whose canary signs too (AWS managed key: the
 * edge region has no foundation stack). Only the canaries, the shop instances and an operator
 * running `shopctl drill` can read it, so no customer can make a test request.
 */
export class TestSigningSecret extends Construct {
  readonly secret: ReplicatedSecret;

  constructor(scope: Construct, id: string, props: TestSigningSecretProps) {
    super(scope, id);
    const names = new Names(props.config);
    this.secret = new ReplicatedSecret(this, 'Key', {
      secretName: names.testSigningSecretName(),
      description:
        'Key that signs canary and drill requests (x-shop-synthetic, x-shop-drill); the shop refuses unsigned ones',
      key: props.key,
      replicaRegions: props.config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
      replicaKeyAlias: names.replicaKeyAlias(),
      managedKeyRegions: [Names.EDGE_REGION],
      initialValue: { template: {}, generateKey: 'key' },
      noRotationReason:
        'Rotated by hand (put-secret-value in the primary region, docs/payments-operations.md): the shop accepts the previous key for the minutes the canaries need to pick up the new one; a rotation Lambda would add a function in the VPC for a key that grants no access to data.',
    });
  }
}

/**
 * Lets `policy` read the copy of the test-signing key in its own region and decrypt it: the data
 * key in the primary region, the foundation stack's replica key (named by alias, through Secrets
 * Manager only) in a standby, nothing more in the edge region, whose replica uses the AWS managed
 * key that every role of the account may use through Secrets Manager
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html).
 */
export function grantReadTestSigning(policy: iam.ManagedPolicy, config: ShopConfig, dataKey: kms.IKey): void {
  const stack = Stack.of(policy);
  const names = new Names(config);
  policy.addStatements(readSecretStatement(stack, [names.testSigningSecretName()]));
  if (stack.region === config.primaryRegion) {
    policy.addStatements(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [dataKey.keyArn] }));
  } else if (config.regions.some((r) => r.name === stack.region)) {
    policy.addStatements(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.replicaKeyAlias() },
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
        },
      }),
    );
    acknowledgeNag(
      policy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${stack.region}:${stack.account}:key/*]`,
      `The key is in the foundation stack and is named by its alias through the kms:ResourceAliases condition (${names.replicaKeyAlias()}), only through Secrets Manager in this region: the one key that encrypts the local replica of the test-signing key.`,
    );
  }
}
