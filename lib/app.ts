import { App, AppProps, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { ResilienceChecks } from './compliance/resilience';
import type { ShopConfig } from './config/load';
import { Names } from './config/names';
import { EdgeStack } from './stacks/edge-stack';
import { FoundationStack } from './stacks/foundation-stack';
import { RegionalStack } from './stacks/regional-stack';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  readonly config: ShopConfig;
  /** Time against which promotions are judged (tests pin it). @default now */
  readonly now?: Date;
  /** Run cdk-nag's rule packs as policy validation plugins. @default true */
  readonly nag?: boolean;
  /**
   * How the project's own {@link ResilienceChecks} pack runs with the other packs (only when `nag`
   * is on): `error` fails synth on any unacknowledged finding like AwsSolutions and PCI DSS; `warn`
   * prints the findings in the validation report without failing; `off` skips it.
   * @default RESILIENCE_CHECKS_DEFAULT
   */
  readonly resilienceChecks?: ResilienceChecksMode;
  /** The App to add the stacks to. @default a new App with `appProps` */
  readonly app?: App;
  /** Props of a new App (tests pass an outdir). */
  readonly appProps?: AppProps;
}

/** How {@link buildApp} runs the resilience rule pack. */
export type ResilienceChecksMode = 'error' | 'warn' | 'off';

/**
 * The resilience pack's mode when neither the caller nor `-c resilienceChecks=` chooses one.
 * `error`, like the other packs: the app has no finding, so a new one fails synth. `warn` is for an
 * app being brought into line (findings printed and written to the validation report only).
 */
export const RESILIENCE_CHECKS_DEFAULT: ResilienceChecksMode = 'error';

/** The stacks of the app, in deployment order. */
export interface ShopApp {
  readonly app: App;
  readonly foundations: FoundationStack[];
  readonly regional: RegionalStack[];
  readonly edge: EdgeStack;
  readonly stacks: Stack[];
}

/**
 * Builds the whole app from a validated config: a foundation stack per region (what other regions
 * write into: replica key, backup vault), then a stack per region (the primary first, each
 * standby after it because its database joins the primary's global cluster) and the edge stack
 * last (its health checks name every region's direct name and switch alarms). Stack dependencies
 * order the deployment; no stack references another stack's attributes.
 */
export function buildApp(options: BuildAppOptions): ShopApp {
  const { config } = options;
  const names = new Names(config);
  const app = options.app ?? new App(options.appProps);
  const now = options.now ?? new Date();

  // What other regions write into exists first: every regional stack depends on every foundation.
  const foundations = config.regions.map(
    (region) =>
      new FoundationStack(app, names.foundationStack(region.name), {
        env: { account: config.account, region: region.name },
        stackName: names.foundationStack(region.name),
        description: `resilient-shop foundation ${region.name}: key and backup vault that other regions write into`,
        terminationProtection: true,
        config,
        regionName: region.name,
      }),
  );
  const regional = config.regions.map(
    (region) =>
      new RegionalStack(app, names.regionalStack(region.name), {
        env: { account: config.account, region: region.name },
        stackName: names.regionalStack(region.name),
        description: `resilient-shop ${region.role} region ${region.name}: network, web tier, database member, canary`,
        terminationProtection: true,
        config,
        region,
        now,
      }),
  );
  for (const r of regional) {
    for (const f of foundations) r.addStackDependency(f, 'names its replica key alias and backup vault');
  }
  regional
    .slice(1)
    .forEach((standby) => standby.addStackDependency(regional[0], 'joins the primary global cluster'));

  const edge = new EdgeStack(app, names.edgeStack(), {
    env: { account: config.account, region: Names.EDGE_REGION },
    stackName: names.edgeStack(),
    description: 'resilient-shop edge: outage page on CloudFront, Route 53 failover chain and health checks',
    terminationProtection: true,
    config,
    regionalSwitchAlarms: Object.fromEntries(regional.map((r) => [r.region, r.switches.switchAlarms])),
  });
  regional.forEach((r) =>
    edge.addStackDependency(r, 'health checks name its direct record and switch alarms'),
  );

  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app));
    const mode = options.resilienceChecks ?? RESILIENCE_CHECKS_DEFAULT;
    if (mode !== 'off') {
      Validations.of(app).addPlugins(new ResilienceChecks(app, { now, reportOnly: mode === 'warn' }));
    }
  }
  return { app, foundations, regional, edge, stacks: [...foundations, ...regional, edge] };
}
