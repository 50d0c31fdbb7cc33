import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../compliance/acknowledge';
import type { RegionConfig, ShopConfig } from '../config/load';
import { Names } from '../config/names';
import {
  NOTIFY_SECRET_KINDS,
  sesFromIdentities,
  type ShopNotify,
  type ShopNotifyChannel,
} from '../contract/notify';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { localSecretArn, ReplicatedSecret } from '../payments/replicated-secret';
import { NotifyAlarms } from './notify-alarms';

/** The value CloudFormation creates the notifications switch with: no channel switched off. */
export const NOTIFY_SWITCH_INITIAL = '[]';

/**
 * What the web tier writes to `SHOP_NOTIFY` (the same in every region: names, not references), or
 * undefined when the config has no `notifications`.
 */
export function shopNotify(config: ShopConfig): ShopNotify | undefined {
  const n = config.notifications;
  if (!n) return undefined;
  const names = new Names(config);
  return {
    channels: n.channels.map((c): ShopNotifyChannel => {
      const channel = Object.fromEntries(
        Object.entries(c).filter(([, v]) => v !== undefined),
      ) as unknown as ShopNotifyChannel;
      return NOTIFY_SECRET_KINDS.includes(c.kind)
        ? { ...channel, secretName: names.notifySecretName(c.id) }
        : channel;
    }),
    deadlineMs: n.deadlineMs,
    leaseMs: n.leaseSeconds * 1000,
    dispatchEverySeconds: n.dispatchEverySeconds,
    breaker: {
      consecutiveFailures: n.breaker.consecutiveFailures,
      halfOpenAfterMs: n.breaker.halfOpenAfterSeconds * 1000,
    },
    switchParameter: names.notifySwitchParameter(),
    namespace: names.notifyNamespace(),
  };
}

/**
 * `ses:SendEmail` for the SES channel of `channels` (undefined when there is none), in the stack's
 * region: SendEmail is authorized on the sending identity, an address or its domain, whichever SES
 * verified (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html), so both exact
 * identity ARNs; and on the configuration set when the send names one: a role without it is refused
 * (https://github.com/usdigitalresponse/usdr-gost/pull/3080).
 */
export function sendEmailStatement(
  stack: Stack,
  channels: readonly { kind: string; from?: string; configurationSet?: string }[],
): iam.PolicyStatement | undefined {
  const email = channels.find((c) => c.kind === 'ses');
  const identities = email?.from ? sesFromIdentities(email.from) : undefined;
  if (!email || !identities) return undefined;
  const ses = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  return new iam.PolicyStatement({
    sid: 'NotifySendEmail',
    actions: ['ses:SendEmail'],
    resources: [
      ses('identity', identities.domain),
      ses('identity', identities.address),
      ...(email.configurationSet ? [ses('configuration-set', email.configurationSet)] : []),
    ],
  });
}

/** Properties of {@link RegionalNotify}. */
export interface RegionalNotifyProps {
  readonly config: ShopConfig;
  readonly region: RegionConfig;
  /** The region's data key: it encrypts the primary copies of the channel secrets. */
  readonly key: kms.IKey;
  readonly alarms: AlarmTopic;
  /**
   * The shop instances' policy. It must already let them decrypt secrets of this region (the data
   * key, and the replica key through Secrets Manager), as it does for the database secret.
   */
  readonly instancePolicy: iam.ManagedPolicy;
  /** The web tier's target group (the alarms ask whether the shop is up). */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * The platform side of customer notifications in one region (only when the config has
 * `notifications`), built like payments (lib/payments/regional-payments.ts):
 * - in the primary region, one secret per NHN channel (`Names.notifySecretName`), replicated to every
 *   standby with the same replica key as the payment secrets; the operator puts `{ "secretKey": … }`
 *   into the primary. SES needs none: the shop calls it with the instance role;
 * - the operator switch `Names.notifySwitchParameter()`, created `[]`. CloudFormation writes its value
 *   only when it creates the parameter or when this resource's properties change, so a deploy that
 *   leaves them alone never re-enables a channel an operator switched off (the test pins them);
 *   `shopctl channels` writes it in every region that is up;
 * - the instances may read exactly these secrets and this parameter, send e-mail only from the
 *   configured identity (and configuration set), and publish metrics only into the notify namespace;
 * - the alarms ({@link NotifyAlarms}).
 */
export class RegionalNotify extends Construct {
  /** Channel secrets by channel id (primary region only). */
  readonly secrets: Record<string, ReplicatedSecret> = {};
  readonly switchParameter: ssm.StringParameter;
  readonly alarms: NotifyAlarms;

  constructor(scope: Construct, id: string, props: RegionalNotifyProps) {
    super(scope, id);
    const { config, region } = props;
    const settings = config.notifications!;
    const names = new Names(config);
    const stack = Stack.of(this);
    const secretChannels = settings.channels.filter((c) => NOTIFY_SECRET_KINDS.includes(c.kind));

    if (region.role === 'primary') {
      for (const channel of secretChannels) {
        this.secrets[channel.id] = new ReplicatedSecret(this, `Channel-${channel.id}`, {
          secretName: names.notifySecretName(channel.id),
          description: `Secret key of notification channel ${channel.id} (${channel.kind}); put { "secretKey": ... } here, replicated to every standby region`,
          key: props.key,
          replicaRegions: config.regions.filter((r) => r.role === 'standby').map((r) => r.name),
          replicaKeyAlias: names.replicaKeyAlias(),
          // A secret without `secretKey` is a channel that is not set up yet: its sends fail and
          // the notice goes down the chain.
          initialValue: { template: { configured: false }, generateKey: 'placeholder' },
          noRotationReason: `NHN Cloud issues this secret key in its own console; no Lambda can rotate it. The operator replaces it with put-secret-value in the primary region and the replicas follow.`,
        });
      }
    }

    this.switchParameter = new ssm.StringParameter(this, 'Switch', {
      parameterName: names.notifySwitchParameter(),
      description:
        'Notifications operator switch: JSON array of channel ids the shop stops sending through. Written by shopctl channels, never by a deploy.',
      stringValue: NOTIFY_SWITCH_INITIAL,
      tier: ssm.ParameterTier.STANDARD,
    });

    // Each statement has a Sid, so that IAM policy minimization keeps them apart from the payments'
    // statements with the same actions: what each capability may do stays readable in the template.
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'NotifySwitch',
        actions: ['ssm:GetParameter'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: names.notifySwitchParameter().replace(/^\//, ''),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'NotifyMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': names.notifyNamespace() } },
      }),
    ];
    if (secretChannels.length > 0) {
      statements.unshift(
        new iam.PolicyStatement({
          sid: 'NotifySecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: secretChannels.map((c) => localSecretArn(stack, names.notifySecretName(c.id))),
        }),
      );
    }
    const send = sendEmailStatement(stack, settings.channels);
    if (send) statements.push(send);
    props.instancePolicy.addStatements(...statements);
    // One acknowledgement per construct and rule is kept (the last one given): it names both
    // statements, the payments' (lib/payments/regional-payments.ts) and this one.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    acknowledgeNag(
      props.instancePolicy,
      'AwsSolutions-IAM5[Resource::*]',
      `cloudwatch:PutMetricData supports no resource-level permissions; each statement is limited by the cloudwatch:namespace condition: ${names.paymentsNamespace()} (payments) and ${names.notifyNamespace()} (NotifyMetrics).`,
    );

    this.alarms = new NotifyAlarms(this, 'Alarms', {
      config,
      alarms: props.alarms,
      targetGroup: props.targetGroup,
    });
  }
}
