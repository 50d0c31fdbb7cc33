#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config/load';
import { configNotices } from '../lib/config/notices';
import { buildApp, ResilienceChecksMode } from '../lib/app';
import { stampAssembly } from '../lib/report/assembly';

const RESILIENCE_MODES: readonly ResilienceChecksMode[] = ['error', 'warn', 'off'];

/**
 * Entry point of `cdk synth` / `cdk deploy`. The config is chosen with `-c config=NAME`
 * (config/NAME.json, "default" if omitted; `-c configDir=DIR` reads DIR/NAME.json instead);
 * a bad config stops synth with every problem listed, exit code 1, before any template is written.
 * `-c resilienceChecks=error|warn|off` overrides how the resilience rule pack runs (see
 * RESILIENCE_CHECKS_DEFAULT in lib/app.ts).
 */
const app = new App();
try {
  const dir = app.node.tryGetContext('configDir');
  const config = loadConfig(
    String(app.node.tryGetContext('config') ?? 'default'),
    dir ? String(dir) : undefined,
  );
  const now = new Date();
  for (const notice of configNotices(config, now)) console.error(`Notice: ${notice}`);
  const resilience = app.node.tryGetContext('resilienceChecks');
  if (resilience !== undefined && !RESILIENCE_MODES.includes(String(resilience) as ResilienceChecksMode)) {
    console.error(
      `Invalid context resilienceChecks = "${String(resilience)}". Fix: use one of ${RESILIENCE_MODES.join(', ')}`,
    );
    process.exit(1);
  }
  buildApp({ config, app, now, resilienceChecks: resilience as ResilienceChecksMode | undefined });
  app.synth();
  // Names the config in the assembly, so `npm run report -- --cdk-out` never grades another config's templates.
  stampAssembly(app.outdir, config);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
