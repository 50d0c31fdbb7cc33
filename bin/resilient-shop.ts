#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config/load';
import { configNotices } from '../lib/config/notices';
import { buildApp } from '../lib/app';
import { stampAssembly } from '../lib/report/assembly';

/**
 * Entry point of `cdk synth` / `cdk deploy`. The config is chosen with `-c config=NAME`
 * (config/NAME.json, "default" if omitted; `-c configDir=DIR` reads DIR/NAME.json instead);
 * a bad config stops synth with every problem listed, exit code 1, before any template is written.
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
  buildApp({ config, app, now });
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
