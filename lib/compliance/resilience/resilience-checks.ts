import { CfnResource, PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { AppIndex } from './app-index';
import type { ResilienceRule, RuleOptions } from './rule';
import { HealthCheckAlarmMissingData } from './rules/health-check-alarm-missing-data';
import { HealthCheckAlarmSupported } from './rules/health-check-alarm-supported';
import { CalculatedCheckOneVoter } from './rules/calculated-check-one-voter';
import { HealthCheckFollowsAlarm } from './rules/health-check-follows-alarm';
import { IamResourceAsAuthorized } from './rules/iam-resource-as-authorized';
import { NameDeployOrder } from './rules/name-deploy-order';
import { ScheduledActionInFuture } from './rules/scheduled-action-in-future';
import { TopicKeyPublishers } from './rules/topic-key-publishers';
import { VpcFunctionApiPath } from './rules/vpc-function-api-path';
import { WarmPoolLaunchHook } from './rules/warm-pool-launch-hook';

/** Properties of {@link ResilienceChecks}. */
export interface ResilienceChecksProps extends NagPackProps {
  /**
   * The instant scheduled actions are judged against.
   * @default the time the pack validates (synth time)
   */
  readonly now?: Date;
  /**
   * How far in the future a scheduled action's StartTime must be at synth, in minutes: the longest
   * time between `cdk synth` and CloudFormation creating the action (a whole `cdk deploy --all`,
   * including the stacks deployed before, or a pipeline's wait for approval).
   * @default 180
   */
  readonly scheduledActionMarginMinutes?: number;
  /**
   * Rules to leave out, by id (e.g. `ScheduledActionInFuture`): for an app that checks the same
   * thing another way. Acknowledging one finding on one resource is preferred.
   * @default none
   */
  readonly disabledRules?: readonly string[];
  /**
   * Report findings as warnings that do not fail synth (for an app that is still fixing them);
   * acknowledgements work the same way.
   * @default false: findings are errors and fail synth
   */
  readonly reportOnly?: boolean;
}

/** Every rule of the pack, in report order. */
export const RESILIENCE_RULES: readonly ResilienceRule[] = [
  NameDeployOrder,
  WarmPoolLaunchHook,
  VpcFunctionApiPath,
  TopicKeyPublishers,
  ScheduledActionInFuture,
  HealthCheckAlarmMissingData,
  HealthCheckAlarmSupported,
  HealthCheckFollowsAlarm,
  CalculatedCheckOneVoter,
  IamResourceAsAuthorized,
];

/**
 * Resilience checks: defects that pass `cdk synth` and every template assertion, and only show when
 * CloudFormation deploys the stacks or a region really fails (a name used before the stack that
 * creates it deploys, a warm pool that stops instances mid-bootstrap, a function with no route to the
 * API it calls, a key that the service publishing to a topic cannot use, a scheduled action that is
 * in the past when created, a Route 53 health check that flips on one missed datapoint or does not
 * follow its alarm).
 *
 * Register like any cdk-nag pack: `Validations.of(app).addPlugins(new ResilienceChecks(app))`. Rules
 * that compare resources read the whole app (all stacks, their dependencies), resolved once per
 * validation. Acknowledge a finding with
 * `Validations.of(construct).acknowledge({ id: 'Resilience::Resilience-<rule>[<finding>]', reason })`.
 */
export class ResilienceChecks extends NagPack {
  public readonly name = 'Resilience';
  private readonly rules: readonly ResilienceRule[];
  private readonly props: ResilienceChecksProps;
  private index?: AppIndex;
  private options?: RuleOptions;

  constructor(scope?: IConstruct, props: ResilienceChecksProps = {}) {
    super(scope, props);
    this.packName = 'Resilience';
    this.props = props;
    const disabled = new Set(props.disabledRules ?? []);
    const unknown = [...disabled].filter((id) => !RESILIENCE_RULES.some((r) => r.id === id));
    if (unknown.length > 0) {
      throw new Error(
        `ResilienceChecks: disabledRules has unknown rule ids ${unknown.join(', ')}. Fix: use some of ${RESILIENCE_RULES.map((r) => r.id).join(', ')}`,
      );
    }
    this.rules = RESILIENCE_RULES.filter((r) => !disabled.has(r.id));
    const margin = props.scheduledActionMarginMinutes;
    if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0)) {
      throw new Error(
        `ResilienceChecks: scheduledActionMarginMinutes = ${margin} is not a number of minutes. Fix: use 0 or more (default 180)`,
      );
    }
  }

  /** Validates the app that holds `scope`, with a fresh index of its templates. */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.index = new AppIndex(scope.node.root);
    this.options = {
      now: this.props.now ?? new Date(),
      scheduledActionMarginMinutes: this.props.scheduledActionMarginMinutes ?? 180,
    };
    try {
      const report = super.validateScope(scope);
      if (!this.props.reportOnly) return report;
      return {
        success: true,
        violations: report.violations.map((v) => ({ ...v, severity: 'warning' })),
      };
    } finally {
      this.index = undefined;
    }
  }

  protected checkResource(node: CfnResource): void {
    // validateScope sets both; a direct call on one resource gets an index of its own app.
    const index = (this.index ??= new AppIndex(node.node.root));
    const options = this.options ?? { now: new Date(), scheduledActionMarginMinutes: 180 };
    const type = node.cfnResourceType;
    for (const rule of this.rules) {
      if (!rule.resourceTypes.includes(type)) continue;
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: `${rule.explanation} Sources: ${rule.sources.join(' ; ')}`,
        level: NagMessageLevel.ERROR,
        node,
        rule: () => {
          const resource = index.resource(node);
          return resource ? rule.check(resource, { index, options }) : NagRuleCompliance.NOT_APPLICABLE;
        },
      });
    }
  }
}
