import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IPolicyValidationPlugin, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, ShopApp } from '../../lib/app';
import { projectContext } from '../../lib/config/cdk-context';
import { loadConfig, ShopConfig } from '../../lib/config/load';
import { TEST_NOW } from './config';

// The config helpers live in ./config.ts, which does not load the app; re-exported here so that a
// suite that synthesizes takes everything from one module.
export { configWithRegions, examplePromotions, REGION_POOL, TEST_NOW, testConfig } from './config';

/** A built app and the template of each stack. */
export interface SynthResult {
  readonly shop: ShopApp;
  readonly templates: Record<string, Template>;
  readonly outdir: string;
}

/**
 * Builds and synthesizes the app in-process. Bundling is skipped (asset hashes follow the source),
 * which keeps the tests fast; `cdk synth` and the compliance test bundle for real.
 */
export function synth(
  config: ShopConfig = loadConfig('default'),
  options: { nag?: boolean; bundle?: boolean; plugins?: IPolicyValidationPlugin[] } = {},
): SynthResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-synth-'));
  const shop = buildApp({
    config,
    now: TEST_NOW,
    nag: options.nag ?? false,
    appProps: {
      outdir,
      // cdk.json's feature flags, so that the tests see the templates `cdk synth` writes.
      context: { ...projectContext(), ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    },
  });
  if (options.plugins?.length) Validations.of(shop.app).addPlugins(...options.plugins);
  const validate = Boolean(options.nag || options.plugins?.length);
  // aws-cdk-lib's built-in CloudFormation validator costs about 2 s a synth; it runs in `cdk synth`
  // and in the compliance test (which validates), not in every template test.
  const previous = process.env.CDK_VALIDATION;
  if (!validate) process.env.CDK_VALIDATION = 'false';
  try {
    shop.app.synth();
  } catch (e) {
    // A failed policy validation still writes its report; callers that validate read it.
    if (!validate || !/Validation failed|ValidationFailed/.test(String(e))) throw e;
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
  const templates: Record<string, Template> = {};
  for (const stack of shop.stacks) {
    templates[stack.stackName] = Template.fromJSON(
      JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8')),
    );
  }
  return { shop, templates, outdir };
}

/** Set by test/support/global-setup.js: a directory of this Jest run only, deleted at its end. */
export const SHARED_SYNTH_ENV = 'SHOP_TEST_SYNTH_DIR';

/**
 * The templates of `config`, synthesized at most once per Jest run and shared by every suite that
 * asks for the same config (same as `synth(config).templates`: no nag, no bundling, TEST_NOW). For
 * suites that only read templates: one that changes code or constants in-process before
 * synthesizing (jest.mock, a patched constant) must call `synth` itself. The first suite to ask
 * synthesizes into the run's directory (keyed by the config's content); two asking at once both
 * synthesize and one result is kept. Outside Jest (npm run drill:local) it is plain `synth`.
 */
export function sharedTemplates(config: ShopConfig): Record<string, Template> {
  const runDir = process.env[SHARED_SYNTH_ENV];
  if (!runDir || !fs.existsSync(runDir)) return synth(config).templates;
  const key = createHash('sha256')
    .update(JSON.stringify({ config, now: TEST_NOW }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(runDir, key);
  const index = path.join(dir, 'templates.json');
  let files: Record<string, string>;
  if (fs.existsSync(index)) {
    files = JSON.parse(fs.readFileSync(index, 'utf8'));
  } else {
    const { shop, outdir, templates } = synth(config);
    files = Object.fromEntries(shop.stacks.map((s) => [s.stackName, s.templateFile]));
    // Written last, then the whole directory is renamed into place: a reader sees all or nothing.
    fs.writeFileSync(path.join(outdir, 'templates.json'), JSON.stringify(files));
    try {
      fs.renameSync(outdir, dir);
    } catch {
      // Another suite got there first with the same templates.
    }
    return templates;
  }
  return Object.fromEntries(
    Object.entries(files).map(([name, file]) => [
      name,
      Template.fromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))),
    ]),
  );
}

/** Resources of one type in a template, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.findResources(type));
}
