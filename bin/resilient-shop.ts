#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config/load';
import { buildApp } from '../lib/app';

/**
 * Entry point of `cdk synth` / `cdk deploy`. The config is chosen with `-c config=NAME`
 * (config/NAME.json, "default" if omitted; `-c configDir=DIR` reads DIR/NAME.json instead);
 * a bad config stops synth with every problem listed.
 */
const app = new App();
try {
  const dir = app.node.tryGetContext('configDir');
  const config = loadConfig(
    String(app.node.tryGetContext('config') ?? 'default'),
    dir ? String(dir) : undefined,
  );
  buildApp({ config, app });
  app.synth();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
