import { App, Stack } from 'aws-cdk-lib';
import { ResilienceChecks, ResilienceChecksProps } from '../../../lib/compliance/resilience';

/** A placeholder account for the synthetic stacks. */
export const ACCOUNT = '123456789012';

/** A new app whose stacks skip asset bundling. */
export function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** A stack in `region` of the placeholder account. */
export function stackIn(app: App, id: string, region: string): Stack {
  return new Stack(app, id, { env: { account: ACCOUNT, region } });
}

/**
 * Runs the pack over the whole app, as `cdk synth` does, and lists its findings as
 * `<rule id> at <construct path>`, sorted.
 */
export function findings(app: App, props?: ResilienceChecksProps): string[] {
  const report = new ResilienceChecks(app, props).validateScope(app);
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))
    .sort();
}

/** The findings of one rule only. */
export function findingsOf(rule: string, app: App, props?: ResilienceChecksProps): string[] {
  return findings(app, props).filter((f) => f.startsWith(`Resilience-${rule}`));
}
