/**
 * `npm run report -- [--config NAME] [--out DIR] [--cdk-out DIR]`
 *
 * Writes resilience-report.md and resilience-report.json (into the project root, or --out DIR) for
 * the named config (default "default"), graded against its `failoverBudgetSeconds`.
 *
 * The templates come from the config itself: the report synthesizes it into a temporary directory
 * (the user's cdk.out is neither read nor written). With --cdk-out DIR it grades an existing cloud
 * assembly instead, and only when the assembly's stamp (written by every `cdk synth` of this app)
 * names the same config with the same fingerprint; otherwise it refuses and says what to run.
 *
 * --compare-postures: print every DR posture of every standby side by side (also in the markdown).
 *
 * Exit codes: 0 PASS, 1 FAIL (worst-case automatic failover above the budget), 2 the report could not
 * be made (bad config, unusable assembly, bad arguments).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../lib/config/load';
import { AssemblyMismatch, assemblyFor } from '../lib/report/assembly';
import { renderPostures } from '../lib/report/postures';
import { buildReport, renderMarkdown } from '../lib/report/resilience';

const ROOT = path.join(__dirname, '..');
const USAGE = 'Usage: npm run report -- [--config NAME] [--out DIR] [--cdk-out DIR] [--compare-postures]';

interface Args {
  config: string;
  out: string;
  cdkOut?: string;
  comparePostures: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { config: 'default', out: ROOT, comparePostures: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value. ${USAGE}`);
      return v;
    };
    if (a === '--config') args.config = value();
    else if (a === '--out') args.out = path.resolve(value());
    else if (a === '--cdk-out') args.cdkOut = path.resolve(value());
    else if (a === '--compare-postures') args.comparePostures = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a}. ${USAGE}`);
  }
  return args;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(args.config);
  const started = Date.now();
  const assembly = assemblyFor(config, { cdkOut: args.cdkOut });
  console.error(
    assembly.synthesized
      ? `Synthesized config "${config.configName}" for the report in ${((Date.now() - started) / 1000).toFixed(1)} s (cdk.out untouched).`
      : `Grading ${assembly.directory}: synthesized from config "${config.configName}" (fingerprint ${assembly.stamp.fingerprint}).`,
  );
  const report = buildReport(assembly.templates, {
    budgetSeconds: config.failoverBudgetSeconds,
    stackRegions: assembly.stackRegions,
    source: assembly.stamp,
  });

  fs.mkdirSync(args.out, { recursive: true });
  const md = path.join(args.out, 'resilience-report.md');
  const json = path.join(args.out, 'resilience-report.json');
  // DR postures (#14) come from the config, not the templates: lib/report/postures.ts.
  const postures = renderPostures(config, args.comparePostures);
  fs.writeFileSync(md, `${renderMarkdown(report)}\n${postures}`);
  if (args.comparePostures) console.log(postures);
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');

  for (const sentence of report.headline.sentences) console.log(sentence.replace(/\*\*/g, ''));
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
  if (e instanceof ConfigError || e instanceof AssemblyMismatch || e instanceof UsageError) {
    console.error(e.message);
  } else {
    console.error(e instanceof Error ? e.message : e);
  }
  process.exitCode = 2;
}
