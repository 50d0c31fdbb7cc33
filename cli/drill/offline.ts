/**
 * `shopctl drill SCENARIO --dry-run` without credentials: the plan a game day would follow, from
 * the config alone (which experiment, what stops it, what it targets, what it changes and how that
 * is undone), and the live checks it could not make. Every drill (an AWS FIS experiment or another
 * kind of fault) describes itself as an {@link OfflineDrillPlan}; this file prints and audits it.
 */
import { DRILL_HEADER } from '../../lib/contract/shop';
import {
  GAME_DAY_MINUTES,
  GAME_DAY_TARGET_TAG,
  SCENARIO_TAG,
  scenariosFor,
  type ScenarioAction,
  type ScenarioTarget,
} from '../../lib/fis/scenarios';
import { type DrillFaultMode, formatDrillFault } from '../../lib/contract/payments';
import { commandPrefix } from '../action/refusals';
import { writeAudit } from '../aws/audit';
import { PAYMENTS_HEALTH_PATH } from '../payments/status';
import { PAYMENT_OUTAGE_SCENARIO, type PaymentOutageFlags } from './payment-outage';
import type { Deps } from '../aws/deps';
import { EXIT, UsageError } from '../aws/errors';

/** What a drill would do, as far as the config tells it. */
export interface OfflineDrillPlan {
  /** `Game day: SCENARIO in REGION`. */
  readonly title: string;
  /** How the fault is made: the experiment template (and how it is found), or the switch written. */
  readonly experiment: string;
  /** What ends the fault early by itself. */
  readonly stopConditions: readonly string[];
  /** What the fault hits, as the template or the switch selects it (tags, names). */
  readonly targets: readonly string[];
  /** What it changes, one line per action. */
  readonly changes: readonly string[];
  /** How each change is undone (by itself, by the operator, or not at all). */
  readonly rollback: readonly string[];
  /** The live checks a run with credentials makes before it starts, skipped here. */
  readonly skipped: readonly string[];
}

/** Prints `plan`, marked as an offline preview, and audits it locally; exit 0 like the other previews. */
export async function offlineDrillPreview(
  d: Deps,
  args: readonly string[],
  plan: OfflineDrillPlan,
  detail: string,
): Promise<number> {
  d.out(`${plan.title} (offline preview: no AWS credentials; from config "${d.config.configName}" alone)`);
  d.out(`  experiment: ${plan.experiment}`);
  const section = (name: string, lines: readonly string[]) => {
    d.out(`  ${name}:`);
    for (const l of lines.length ? lines : ['none']) d.out(`    ${l}`);
  };
  section('stop conditions', plan.stopConditions);
  section('targets', plan.targets);
  section('changes', plan.changes);
  section('roll back', plan.rollback);
  d.out('');
  d.out('Live checks skipped (they need credentials): ' + plan.skipped.join('; ') + '.');
  d.out('Dry run: nothing started.');
  await writeAudit(
    d,
    { command: 'drill', args, result: 'dry-run', steps: [], detail: `${detail}: offline preview` },
    { remote: false },
  );
  return EXIT.ok;
}

/** How FIS undoes each action the scenarios use (FIS actions reference, stop-experiment page). */
function undo(a: ScenarioAction, group: string): string {
  const p = a.parameters ?? {};
  switch (a.actionId) {
    case 'aws:ec2:stop-instances':
      return `FIS starts the instances again after ${p.startInstancesAfterDuration ?? 'the action'} or when the experiment is stopped`;
    case 'aws:ec2:terminate-instances':
      return `not undone: the Auto Scaling group ${group} launches replacements`;
    case 'aws:network:disrupt-connectivity':
      return `FIS puts the subnets back on their own network ACL after ${p.duration ?? 'the action'} or when the experiment is stopped`;
    case 'aws:ec2:asg-insufficient-instance-capacity-error':
      return `the launch errors end after ${p.duration ?? 'the action'} or when the experiment is stopped`;
    case 'aws:rds:failover-db-cluster':
      return 'not undone: the writer stays on the instance it failed over to (the cluster endpoint follows it)';
    case 'aws:lambda:invocation-error':
      return `FIS removes the fault configuration after ${p.duration ?? 'the action'} or when the experiment is stopped`;
    default:
      return 'see the FIS actions reference';
  }
}

function describeTarget(name: string, t: ScenarioTarget): string {
  const by = [
    ...Object.entries(t.resourceTags ?? {}).map(([k, v]) => `tagged ${k} = ${v}`),
    ...(t.resourceArns ?? []).map((a) => a.split(':').slice(5).join(':')),
    ...(t.filters ?? []).map((f) => `${f.path} = ${f.values.join(' | ')}`),
  ];
  return `${name}: ${t.resourceType} ${t.selectionMode}${by.length ? `, ${by.join(', ')}` : ''}`;
}

/**
 * The FIS experiment of `scenario` in `region` as the regional stack deploys it: the same scenario
 * list (lib/fis/scenarios.ts) with the ids only CloudFormation knows (subnets, VPC, zone, function
 * ARNs) shown as placeholders. Names that come from the config (the web group, the Aurora cluster,
 * the brake alarm, the tags) are the real ones.
 */
export function fisOfflinePlan(d: Deps, scenario: string, region: string): OfflineDrillPlan {
  const group = d.names.webGroup();
  const s = scenariosFor({
    partition: '<partition>',
    region,
    account: d.config.account,
    vpcId: '<vpc>',
    asgName: group,
    asgArnPattern: `<group ${group}>`,
    asgTag: GAME_DAY_TARGET_TAG,
    subnets: Object.fromEntries(
      (['public', 'app', 'data'] as const).map((tier) => [
        tier,
        [`<${tier} subnet of zone 0>`, `<${tier} subnets of the other zones>`],
      ]),
    ) as Record<'public' | 'app' | 'data', string[]>,
    zone: '<zone 0 of the VPC>',
    writerClusterArn:
      region === d.config.primaryRegion
        ? `arn:<partition>:rds:${region}:${d.config.account}:cluster:${d.names.dbClusterId(region)}`
        : undefined,
    minutes: GAME_DAY_MINUTES,
    lambda: d.config.gameDays.lambdaFaultInjection
      ? {
          canaryArn: `arn:<partition>:lambda:${region}:${d.config.account}:function:<canary of ${region}>`,
          switchPublisherArn: `arn:<partition>:lambda:${region}:${d.config.account}:function:<drain switch publisher of ${region}>`,
          configObjectsArn: '<FIS configuration bucket>',
        }
      : undefined,
  }).find((x) => x.id === scenario);
  // drill() refuses the scenarios a region does not deploy before it gets here
  if (!s) throw new UsageError(`"${scenario}" is not deployed in ${region}.`);
  const actions = Object.entries(s.actions);
  return {
    title: `Game day: ${scenario} in ${region}`,
    experiment:
      `the AWS FIS template tagged ${SCENARIO_TAG} = ${scenario} in ${region} (stack ${d.names.regionalStack(region)}): ` +
      s.description,
    stopConditions: [
      `FIS stops the experiment when ${d.names.gameDayBrakeAlarm()} (${region}) goes to ALARM`,
      'the operator: Ctrl-C (shopctl sends StopExperiment and waits for it), or --max-minutes (default 60)',
    ],
    targets: Object.entries(s.targets).map(([name, t]) => describeTarget(name, t)),
    changes: actions.map(
      ([id, a]) =>
        `${id}: ${a.actionId}${a.parameters ? ` ${JSON.stringify(a.parameters)}` : ''} (${a.description})`,
    ),
    rollback: [
      ...actions.map(([id, a]) => `${id}: ${undo(a, group)}`),
      `if shopctl is gone: aws fis stop-experiment --id <experiment id> --region ${region} (post actions still run)`,
    ],
    skipped: [
      `the template as deployed in ${region} (found by its tag) and its stop-condition alarm`,
      `no ${d.names.alarmPrefix()}* alarm in ALARM in ${region} or ${d.globalRegion}`,
      'the readiness of the failover targets (npx shopctl check)',
      `the probe customer's baseline journey on https://${d.config.domainName} (real drill orders marked ${DRILL_HEADER})`,
    ],
  };
}

/**
 * `payment-provider-outage` (cli/drill/payment-outage.ts) as it would run: no FIS template (FIS cannot
 * break a provider's service), the region's payment fault switch written and read back, the shop's
 * calls to the provider failing until the fault's own end, the switch always restored. Flags are
 * read as the drill reads them (first provider, 10 min, refuse by default); the drill itself checks
 * them before any AWS call, so only valid ones get here.
 */
export function paymentOutageOfflinePlan(d: Deps, f: PaymentOutageFlags, region: string): OfflineDrillPlan {
  const provider = f.provider ?? d.config.payments.providers[0]?.id ?? '<provider>';
  const methods = d.config.payments.providers.find((p) => p.id === provider)?.methods ?? [];
  const minutes = f.minutes ?? 10;
  const mode = (f.mode ?? 'refuse') as DrillFaultMode;
  const parameter = d.names.paymentsFaultParameter();
  const restore = `${commandPrefix(d)} drill ${PAYMENT_OUTAGE_SCENARIO} --region ${region} --restore --yes`;
  const fault = formatDrillFault({
    provider,
    mode: mode as 'refuse',
    until: '<start + ' + minutes + ' min>',
  });
  return {
    title: `Game day: ${PAYMENT_OUTAGE_SCENARIO} in ${region}`,
    experiment: `no AWS FIS template (FIS cannot break a provider's service): the shop's payment fault switch, SSM ${parameter} in ${region}`,
    stopConditions: [
      `the fault's own end: the shop ignores it after ${minutes} min ("until")`,
      'the operator: Ctrl-C (shopctl restores the switch at once)',
    ],
    targets: [
      `the shop in ${region}: every call to ${provider} (${methods.join(', ') || 'its methods'}) ${mode === 'stall' ? 'hangs until its timeout' : 'fails as a refused connection'}; the other regions are untouched`,
    ],
    changes: [
      `SSM ${parameter} in ${region} = ${fault} (read back when an answer is lost)`,
      'no payment is sent by the drill: the breaker needs real checkouts',
    ],
    rollback: [
      `always (the end, Ctrl-C, an error): ${parameter} back to {} in ${region}, read back`,
      `by hand after an interrupted run: ${restore}`,
    ],
    skipped: [
      `the fault switch exists in ${region} and holds no fault`,
      `the shop's payment health (https://${d.names.regionRecord(region)}${PAYMENTS_HEALTH_PATH}): whether it offers ${provider} and another provider takes its methods`,
    ],
  };
}
