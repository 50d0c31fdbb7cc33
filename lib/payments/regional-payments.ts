import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { NO_DRILL_FAULT, type ShopPayments } from '../contract/payments';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { PaymentAlarms } from './payment-alarms';
import { readSecretStatement, ReplicatedSecret } from './replicated-secret';

/** The value CloudFormation creates the payments switch with: nothing switched off. */
export const PAYMENTS_SWITCH_INITIAL = '[]';

/**
 * What the operator puts in a provider's secret, by kind (shop/src/payments/index.ts reads it): Toss's
 * `clientKey` is read by the shop's own window page, which hands it to Toss's browser SDK.
 */
const SECRET_SHAPE: Readonly<Record<string, string>> = {
  'toss-payments': '{ "secretKey": ..., "clientKey": ... } (the client key opens the payment window)',
  kakaopay: '{ "secretKey": ..., "cid": ... }',
};

/** What the web tier writes to `SHOP_PAYMENTS` (the same in every region: names, not references). */
export function shopPayments(config: ShopConfig): ShopPayments {
  const names = new Names(config);
  const p = config.payments;
  return {
    providers: p.providers.map((provider) => ({
      id: provider.id,
      kind: provider.kind,
      baseUrl: provider.baseUrl,
      methods: provider.methods as ShopPayments['providers'][number]['methods'],
      timeoutMs: provider.timeoutMs,
      secretName: names.paymentSecretName(provider.id),
      testSecretName: names.paymentTestSecretName(provider.id),
      ...(provider.windowUrl ? { windowUrl: provider.windowUrl } : {}),
    })),
    manual: p.manual,
    breaker: p.breaker,
    switchParameter: names.paymentsSwitchParameter(),
    faultParameter: names.paymentsFaultParameter(),
    reconcileEverySeconds: p.reconcileEverySeconds,
  };
}

/** Properties of {@link RegionalPayments}. */
export interface RegionalPaymentsProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  /** The region's data key: it encrypts the primary copies of the provider secrets. */
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  /**
   * The shop instances' policy. It must already let them decrypt secrets of this region (the data
   * key, and the replica key through Secrets Manager), as it does for the database secret.
   */
  readonly instancePolicy: iam.ManagedPolicy;
}

/**
 * The platform side of payments in one region:
 * - in the primary region, one secret per provider (`Names.paymentSecretName`), replicated to every
 *   standby exactly like the database secret; the operator puts the provider's keys into the primary;
 * - the operator switch `Names.paymentsSwitchParameter()`, created `[]`. CloudFormation writes its
 *   value only when it creates the parameter or when this resource's properties change, so a
 *   deploy that leaves them alone never re-enables what an operator switched off (the test pins
 *   them); `shopctl payments` writes it in every region that is up;
 * - the game day's fault switch `Names.paymentsFaultParameter()`, created `{}` (no fault), written
 *   only by `shopctl drill payment-provider-outage`; like the switch, a deploy never rewrites it;
 * - the instances may read exactly these secrets and these parameters, and publish metrics only into
 *   the payments namespace;
 * - the payment alarms.
 */
export class RegionalPayments extends Construct {
  /** Provider secrets by provider id (primary region only). */
  readonly secrets: Record<string, ReplicatedSecret> = {};
  /** Provider test-key secrets by provider id (primary region only). */
  readonly testSecrets: Record<string, ReplicatedSecret> = {};
  readonly switchParameter: ssm.StringParameter;
  readonly faultParameter: ssm.StringParameter;
  readonly alarms: PaymentAlarms;

  constructor(scope: Construct, id: string, props: RegionalPaymentsProps) {
    super(scope, id);
    const { config, region } = props;
    const names = new Names(config);
    const stack = Stack.of(this);

    if (region.role === 'primary') {
      for (const provider of config.payments.providers) {
        this.secrets[provider.id] = new ReplicatedSecret(this, `Provider-${provider.id}`, {
          secretName: names.paymentSecretName(provider.id),
          description: `API keys of payment provider ${provider.id} (${provider.kind}); put ${SECRET_SHAPE[provider.kind] ?? `{ "secretKey": ... }`} here, replicated to every standby region`,
          key: props.key,
          replicaRegions: config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
          replicaKeyAlias: names.replicaKeyAlias(),
          // The shop treats a secret without `secretKey` as a provider that is not set up yet.
          initialValue: { template: { configured: false }, generateKey: 'placeholder' },
          noRotationReason: `The provider (${provider.kind}) issues these keys in its own console; no Lambda can rotate them. The operator replaces them with put-secret-value in the primary region and the replicas follow.`,
        });
        // The provider's TEST keys, for the canary's test payment (shop/src/payments/test-payment.ts):
        // `configured: false` until the operator puts them; the shop then answers 404 and the
        // canary says nothing of the payment path.
        this.testSecrets[provider.id] = new ReplicatedSecret(this, `ProviderTest-${provider.id}`, {
          secretName: names.paymentTestSecretName(provider.id),
          description: `TEST keys of payment provider ${provider.id} (${provider.kind}) for the canary's test payment; never live keys (the shop refuses them)`,
          key: props.key,
          replicaRegions: config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
          replicaKeyAlias: names.replicaKeyAlias(),
          initialValue: { template: { configured: false }, generateKey: 'placeholder' },
          noRotationReason: `The provider (${provider.kind}) issues its test keys in its own console; no Lambda can rotate them.`,
        });
      }
    }

    this.switchParameter = new ssm.StringParameter(this, 'Switch', {
      parameterName: names.paymentsSwitchParameter(),
      description:
        'Payments operator switch: JSON array of provider:<id> / method:<method> the shop stops offering. Written by shopctl payments, never by a deploy.',
      stringValue: PAYMENTS_SWITCH_INITIAL,
      tier: ssm.ParameterTier.STANDARD,
    });

    this.faultParameter = new ssm.StringParameter(this, 'DrillFault', {
      parameterName: names.paymentsFaultParameter(),
      description:
        'Payment game day fault switch: {} or {provider, mode, until}; the shop makes its calls to that provider fail until then. Written by shopctl drill payment-provider-outage, never by a deploy.',
      stringValue: NO_DRILL_FAULT,
      tier: ssm.ParameterTier.STANDARD,
    });

    props.instancePolicy.addStatements(
      readSecretStatement(
        stack,
        config.payments.providers.flatMap((p) => [
          names.paymentSecretName(p.id),
          names.paymentTestSecretName(p.id),
        ]),
      ),
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [names.paymentsSwitchParameter(), names.paymentsFaultParameter()].map((name) =>
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: name.replace(/^\//, ''),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ),
      }),
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': names.paymentsNamespace() } },
      }),
    );
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    acknowledgeNag(
      props.instancePolicy,
      'AwsSolutions-IAM5[Resource::*]',
      `cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited by the cloudwatch:namespace condition to ${names.paymentsNamespace()}.`,
    );

    this.alarms = new PaymentAlarms(this, 'Alarms', { config, alarms: props.alarms });
  }
}
