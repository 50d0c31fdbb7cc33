/**
 * `npm run report -- [--config NAME] [--out DIR] [--budget N] [--cdk-out DIR] [--synth]`
 *
 * Writes resilience-report.md and resilience-report.json (into the project root, or --out DIR) from
 * the templates in the cloud assembly (cdk.out). The assembly is synthesized in-process first when it
 * is missing, older than any file under lib/, config/ or bin/, lists other stacks than the chosen
 * config would produce, or when --synth is given. The report's content comes only from the
 * templates; the config is read only to know which stacks to expect (and to synthesize).
 *
 * --compare-postures: print every DR posture of every standby side by side (also in the markdown).
 *
 * --budget N: the failover budget in seconds (default 100). It is not in the templates; pass the
 * config's failoverBudgetSeconds. Exits 1 when the worst-case failover exceeds it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError, loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { renderPostures } from '../lib/report/postures';
import { buildReport, CfnTemplate, DEFAULT_BUDGET_SECONDS, renderMarkdown } from '../lib/report/resilience';

const ROOT = path.join(__dirname, '..');

interface Args {
  config: string;
  out: string;
  cdkOut: string;
  budget: number;
  synth: boolean;
  comparePostures: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    config: 'default',
    out: ROOT,
    cdkOut: path.join(ROOT, 'cdk.out'),
    budget: DEFAULT_BUDGET_SECONDS,
    synth: false,
    comparePostures: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--config') args.config = value();
    else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--cdk-out') args.cdkOut = path.resolve(value());
    else if (a === '--budget') {
      args.budget = Number(value());
      if (!Number.isFinite(args.budget) || args.budget <= 0)
        throw new Error('--budget needs a positive number of seconds');
    } else if (a === '--synth') args.synth = true;
    else if (a === '--compare-postures') args.comparePostures = true;
    else if (a === '--help' || a === '-h') {
      console.log(
        'Usage: npm run report -- [--config NAME] [--out DIR] [--budget SECONDS] [--cdk-out DIR] [--synth] [--compare-postures]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return args;
}

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

interface StackArtifact {
  readonly name: string;
  readonly region: string;
  readonly templateFile: string;
}

/** Stacks in a cloud assembly manifest, in its order. */
function manifestStacks(cdkOut: string): StackArtifact[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(cdkOut, 'manifest.json'), 'utf8'));
  return Object.entries<{ type: string; environment?: string; properties?: Record<string, string> }>(
    manifest.artifacts ?? {},
  )
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([id, a]) => ({
      name: a.properties?.stackName ?? id,
      region: (a.environment ?? '').split('/').pop() ?? 'unknown',
      templateFile: a.properties?.templateFile ?? `${id}.template.json`,
    }));
}

function staleReason(args: Args, expectedStacks: string[]): string | undefined {
  if (args.synth) return '--synth given';
  const manifest = path.join(args.cdkOut, 'manifest.json');
  if (!fs.existsSync(manifest)) return `${path.relative(ROOT, manifest)} is missing`;
  const built = fs.statSync(manifest).mtimeMs;
  const newest = Math.max(...['lib', 'config', 'bin'].map((d) => newestMtime(path.join(ROOT, d))));
  if (newest > built) return 'sources under lib/, config/ or bin/ changed since the last synth';
  const found = manifestStacks(args.cdkOut)
    .map((s) => s.name)
    .sort();
  if (JSON.stringify(found) !== JSON.stringify([...expectedStacks].sort())) {
    return `cdk.out holds ${found.join(', ')}, config "${args.config}" makes ${expectedStacks.join(', ')}`;
  }
  return undefined;
}

/** Synthesizes like `cdk synth` would (cdk.json context, bundling, cdk-nag), in this process. */
function synthesize(args: Args): void {
  const context: Record<string, unknown> = {};
  for (const file of ['cdk.json', 'cdk.context.json']) {
    const p = path.join(ROOT, file);
    if (!fs.existsSync(p)) continue;
    const json = JSON.parse(fs.readFileSync(p, 'utf8'));
    Object.assign(context, file === 'cdk.json' ? (json.context ?? {}) : json);
  }
  context.config = args.config;
  const app = new App({ outdir: args.cdkOut, context });
  buildApp({ config: loadConfig(args.config), app });
  app.synth();
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(args.config);
  const names = new Names(config);
  const expected = [...config.regions.map((r) => names.regionalStack(r.name)), names.edgeStack()];

  const reason = staleReason(args, expected);
  if (reason) {
    console.error(`Synthesizing (${reason})...`);
    const started = Date.now();
    synthesize(args);
    console.error(`Synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }

  const stacks = manifestStacks(args.cdkOut);
  const templates: Record<string, CfnTemplate> = {};
  const stackRegions: Record<string, string> = {};
  for (const s of stacks) {
    templates[s.name] = JSON.parse(fs.readFileSync(path.join(args.cdkOut, s.templateFile), 'utf8'));
    stackRegions[s.name] = s.region;
  }
  const report = buildReport(templates, { budgetSeconds: args.budget, stackRegions });

  fs.mkdirSync(args.out, { recursive: true });
  const md = path.join(args.out, 'resilience-report.md');
  const json = path.join(args.out, 'resilience-report.json');
  // DR postures (#14) come from the config, not the templates: lib/report/postures.ts.
  const postures = renderPostures(config, args.comparePostures);
  fs.writeFileSync(md, `${renderMarkdown(report)}\n${postures}`);
  if (args.comparePostures) console.log(postures);
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');

  console.log(report.verdict.text);
  console.log(
    `Estimated cost: standby posture $${report.cost.standbyRegionsUsd.toFixed(2)}/month, ` +
      `all stacks $${report.cost.totalUsd.toFixed(2)}/month` +
      (report.warnings.length
        ? `; ${report.warnings.length} warning(s): ${report.warnings[0]}`
        : '; no warnings'),
  );
  console.log(
    `Wrote ${path.relative(process.cwd(), md) || md} and ${path.relative(process.cwd(), json) || json}`,
  );
  return report.verdict.pass ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exitCode = 2;
  } else {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  }
}
