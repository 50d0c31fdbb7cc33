#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig, type ShopConfig } from '../lib/config/load';
import { configNotices } from '../lib/config/notices';
import type { ResilienceChecksMode } from '../lib/app';

const RESILIENCE_MODES: readonly ResilienceChecksMode[] = ['error', 'warn', 'off'];

/**
 * Entry point of `cdk synth` / `cdk deploy`. The config is chosen with `-c config=NAME`
 * (config/NAME.json, "default" if omitted; `-c configDir=DIR` reads DIR/NAME.json instead);
 * a bad config stops synth with every problem listed, exit code 1, before any template is written.
 * `-c resilienceChecks=error|warn|off` overrides how the resilience rule pack runs (see
 * RESILIENCE_CHECKS_DEFAULT in lib/app.ts).
 */
const app = new App();
let config: ShopConfig;
let resilience: unknown;
const now = new Date();
try {
  const dir = app.node.tryGetContext('configDir');
  config = loadConfig(String(app.node.tryGetContext('config') ?? 'default'), dir ? String(dir) : undefined);
  for (const notice of configNotices(config, now)) console.error(`Notice: ${notice}`);
  resilience = app.node.tryGetContext('resilienceChecks');
  if (resilience !== undefined && !RESILIENCE_MODES.includes(String(resilience) as ResilienceChecksMode)) {
    console.error(
      `Invalid context resilienceChecks = "${String(resilience)}". Fix: use one of ${RESILIENCE_MODES.join(', ')}`,
    );
    process.exit(1);
  }
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

// The app (every stack, aws-cdk-lib's constructs, cdk-nag) is loaded only once the config and the
// context are known to be good: a bad config is refused without loading it (about 0.4 s of CPU
// less, `/usr/bin/time node --import tsx bin/resilient-shop.ts` on a broken config).
async function synthesize(): Promise<void> {
  const [{ buildApp }, { stampAssembly }] = await Promise.all([
    import('../lib/app'),
    import('../lib/report/assembly'),
  ]);
  buildApp({ config, app, now, resilienceChecks: resilience as ResilienceChecksMode | undefined });
  app.synth();
  // Names the config in the assembly, so `npm run report -- --cdk-out` never grades another config's templates.
  stampAssembly(app.outdir, config);
}

// A failure rejects: Node prints it and exits with code 1, as when synth ran at the top level.
void synthesize();
