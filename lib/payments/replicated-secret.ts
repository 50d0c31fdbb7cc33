import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';

/** Properties of {@link ReplicatedSecret}. */
export interface ReplicatedSecretProps {
  /** Physical name, the same in every region (`Names`). */
  readonly secretName: string;
  readonly description: string;
  /** The primary region's data key. */
  readonly key: kms.IKey;
  /** Regions whose foundation stack holds the replica key (every standby). */
  readonly replicaRegions: readonly string[];
  /** Alias of the foundation stacks' replica key (`Names.replicaKeyAlias()`). */
  readonly replicaKeyAlias: string;
  /**
   * Regions without a foundation stack that also need a replica (the edge region's canary), encrypted
   * with the AWS managed key `aws/secretsmanager`. @default none
   */
  readonly managedKeyRegions?: readonly string[];
  /** JSON the first version starts from, and the key that receives a random 64-character string. */
  readonly initialValue: { readonly template: Record<string, unknown>; readonly generateKey: string };
  /** Why nothing rotates it automatically (AwsSolutions-SMG4 / PCI DSS rotation rule). */
  readonly noRotationReason: string;
}

/**
 * A secret created in the primary region and replicated under the same name to every other region,
 * exactly like the database master secret (lib/database/primary-database.ts): each standby's replica
 * is encrypted with the replica key of that region's foundation stack, named by alias, which exists
 * before this stack deploys (a replica whose key does not exist yet fails while CloudFormation
 * reports success: https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1459).
 * A region with no foundation stack gets a replica under the AWS managed key `aws/secretsmanager`,
 * which Secrets Manager uses when a replica names no key
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-secretsmanager-secret-replicaregion.html)
 * and creates itself when it does not exist yet
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html): nothing
 * this app deploys later has to exist first.
 */
export class ReplicatedSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ReplicatedSecretProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: props.description,
      encryptionKey: props.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(props.initialValue.template),
        generateStringKey: props.initialValue.generateKey,
        excludePunctuation: true,
        passwordLength: 64,
      },
      replicaRegions: [
        ...props.replicaRegions.map((region) => ({
          region,
          encryptionKey: kms.Key.fromKeyArn(
            this,
            `ReplicaKey-${region}`,
            stack.formatArn({
              service: 'kms',
              region,
              resource: 'alias',
              resourceName: props.replicaKeyAlias.replace(/^alias\//, ''),
            }),
          ),
        })),
        ...(props.managedKeyRegions ?? []).map((region) => ({ region })),
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeNag(this.secret, 'AwsSolutions-SMG4', props.noRotationReason);
  }
}

/**
 * `secretsmanager:GetSecretValue` on the copy of `secretName` in the policy's own region (the
 * primary secret or its replica: same name). Secrets Manager appends six random characters to a
 * secret's ARN (https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen),
 * hence `-??????`: exactly one name, never a prefix match.
 */
export function readSecretStatement(stack: Stack, secretNames: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue'],
    resources: secretNames.map((name) => localSecretArn(stack, name)),
  });
}

/** ARN pattern of the secret `name` in the stack's region. */
export function localSecretArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${name}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
