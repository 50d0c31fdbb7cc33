import type { NagRuleResult } from 'cdk-nag';
import type { AppIndex, IndexedResource } from './app-index';

/** Options every rule may read; set through {@link ResilienceChecksProps}. */
export interface RuleOptions {
  /** The instant scheduled actions are judged against. */
  readonly now: Date;
  /** How long after `now` a scheduled action must still be in the future (minutes). */
  readonly scheduledActionMarginMinutes: number;
}

/** What a rule sees: the resource, the whole app, the pack's options. */
export interface RuleContext {
  readonly index: AppIndex;
  readonly options: RuleOptions;
}

/**
 * One resilience rule: a failure class that only shows when CloudFormation deploys the stacks or a
 * region fails. `check` returns cdk-nag's result: COMPLIANT / NON_COMPLIANT / NOT_APPLICABLE, or a
 * list of findings (each reported, and acknowledgeable, as `Resilience-<id>[<finding>]`).
 */
export interface ResilienceRule {
  /** Rule id suffix: the rule is reported as `Resilience-<id>`. */
  readonly id: string;
  /** What is wrong, one sentence (the report's description). */
  readonly info: string;
  /** Why it matters and how to fix it. */
  readonly explanation: string;
  /** The AWS documentation (and issue threads) the rule rests on. */
  readonly sources: readonly string[];
  /** CloudFormation types the rule looks at. */
  readonly resourceTypes: readonly string[];
  check(resource: IndexedResource, context: RuleContext): NagRuleResult;
}
