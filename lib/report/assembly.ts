/**
 * Which templates the report grades. By default it synthesizes the named config into a private
 * temporary directory (never the user's cdk.out) and grades that. Given an existing cloud assembly
 * (`--cdk-out DIR`), it grades it only when the assembly's stamp names the same config with the same
 * fingerprint: the app stamps every assembly it writes (bin/resilient-shop.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../app';
import { projectContext } from '../config/cdk-context';
import type { ShopConfig } from '../config/load';
import type { CfnTemplate } from './template';

/** File in the cloud assembly that names the config it was synthesized from. */
export const STAMP_FILE = 'resilient-shop.config.json';

/** What the stamp holds. */
export interface AssemblyStamp {
  readonly configName: string;
  readonly fingerprint: string;
}

/** Templates of a cloud assembly, ready for the report. */
export interface GradedAssembly {
  readonly stamp: AssemblyStamp;
  readonly templates: Record<string, CfnTemplate>;
  readonly stackRegions: Record<string, string>;
  /** Where the templates were read from (removed again when the report synthesized them). */
  readonly directory: string;
  readonly synthesized: boolean;
}

/** Thrown when an assembly cannot be graded for the config asked for; the message says what to do. */
export class AssemblyMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyMismatch';
  }
}

/** A short, stable fingerprint of a validated config (any change to any value changes it). */
export function configFingerprint(config: ShopConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/** Writes the stamp into a cloud assembly directory. */
export function stampAssembly(outdir: string, config: ShopConfig): void {
  const stamp: AssemblyStamp = { configName: config.configName, fingerprint: configFingerprint(config) };
  fs.writeFileSync(path.join(outdir, STAMP_FILE), JSON.stringify(stamp, null, 2) + '\n');
}

/**
 * Synthesizes `config` into `outdir` in this process, with cdk.json's context, and stamps it.
 * Bundling, cdk-nag and the built-in validator are skipped: they do not change the templates'
 * resources and properties, only asset hashes and reports.
 */
export function synthesizeForReport(config: ShopConfig, outdir: string): void {
  const app = new App({
    outdir,
    context: { ...projectContext(), config: config.configName, 'aws:cdk:bundling-stacks': [] },
  });
  buildApp({ config, app, nag: false });
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    app.synth();
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
  stampAssembly(outdir, config);
}

/**
 * The templates to grade for `config`: from `cdkOut` when given (refused unless its stamp matches),
 * else freshly synthesized into a temporary directory that is removed afterwards.
 */
export function assemblyFor(config: ShopConfig, options: { cdkOut?: string } = {}): GradedAssembly {
  if (options.cdkOut) return readAssembly(options.cdkOut, config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `resilience-report-${config.configName}-`));
  try {
    synthesizeForReport(config, dir);
    return { ...readAssembly(dir, config), synthesized: true };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads an assembly whose stamp must name `config` with its current fingerprint. */
export function readAssembly(dir: string, config: ShopConfig): GradedAssembly {
  const stampFile = path.join(dir, STAMP_FILE);
  const expected = { configName: config.configName, fingerprint: configFingerprint(config) };
  const rerun = `Fix: run \`npx cdk synth -c config=${config.configName} -o ${dir}\` first, or leave out --cdk-out to let the report synthesize config "${config.configName}" itself`;
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new AssemblyMismatch(`${dir} is not a cloud assembly (no manifest.json). ${rerun}`);
  }
  if (!fs.existsSync(stampFile)) {
    throw new AssemblyMismatch(
      `${dir} does not say which config it was synthesized from (no ${STAMP_FILE}), so it may not be config "${config.configName}". ${rerun}`,
    );
  }
  const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as AssemblyStamp;
  if (stamp.configName !== expected.configName || stamp.fingerprint !== expected.fingerprint) {
    throw new AssemblyMismatch(
      `${dir} holds templates of config "${stamp.configName}" (fingerprint ${stamp.fingerprint}), not of config "${expected.configName}" as it is now (fingerprint ${expected.fingerprint}). ${rerun}`,
    );
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const templates: Record<string, CfnTemplate> = {};
  const stackRegions: Record<string, string> = {};
  for (const [id, a] of Object.entries<{
    type: string;
    environment?: string;
    properties?: Record<string, string>;
  }>(manifest.artifacts ?? {})) {
    if (a.type !== 'aws:cloudformation:stack') continue;
    const name = a.properties?.stackName ?? id;
    templates[name] = JSON.parse(
      fs.readFileSync(path.join(dir, a.properties?.templateFile ?? `${id}.template.json`), 'utf8'),
    );
    stackRegions[name] = (a.environment ?? '').split('/').pop() ?? 'unknown';
  }
  return { stamp, templates, stackRegions, directory: dir, synthesized: false };
}
