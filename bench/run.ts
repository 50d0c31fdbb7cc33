/**
 * `npm run bench`: whole-process `cdk synth` of the default app against an empty one-stack app
 * (same CLI, same aws-cdk-lib), alternated in one run; synth time for 2, 3 and 5 regions; the
 * canary bundle size; and, unless --no-tests, the wall time of `npm test`. Prints one table of
 * medians and writes bench/results/bench.json.
 *
 * Options: --runs N (default 5), --no-tests.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const withTests = !args.includes('--no-tests');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return ms;
}

function synth(app: string | undefined, context: string[] = []): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const argv = ['synth', '--quiet', '-o', out, ...context.flatMap((c) => ['-c', c])];
  if (app) argv.push('--app', app);
  try {
    return timed(cdk, argv);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A config dir holding the default config widened to n regions. */
function regionConfigDir(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-cfg-${n}-`));
  const raw = JSON.parse(fs.readFileSync(path.join(root, 'config', 'default.json'), 'utf8'));
  const pool = ['ap-northeast-2', 'ap-northeast-1', 'ap-southeast-1', 'us-west-2', 'eu-west-1'];
  raw.regions = pool.slice(0, n).map((name, i) => ({ name, network: { cidr: `10.${i + 1}.0.0/16` } }));
  fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify(raw));
  return dir;
}

function canaryBundleBytes(): number {
  const r = buildSync({
    entryPoints: [path.join(root, 'lambda', 'canary', 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
  });
  return r.outputFiles[0].contents.byteLength;
}

function main(): void {
  const emptyApp = `npx tsx ${path.join('bench', 'empty-app.ts')}`;
  console.log(`synth: default app vs empty app, alternated, ${runs} runs each (one warm-up each)…`);
  synth(undefined);
  synth(emptyApp);
  const full: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < runs; i++) {
    full.push(synth(undefined));
    empty.push(synth(emptyApp));
  }
  const perRegion: Record<number, number> = {};
  for (const n of [2, 3, 5]) {
    const dir = regionConfigDir(n);
    const xs: number[] = [];
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++)
      xs.push(synth(undefined, ['config=bench', `configDir=${dir}`]));
    perRegion[n] = median(xs);
    console.log(`  ${n} regions: ${(perRegion[n] / 1000).toFixed(2)} s`);
  }
  const bundle = canaryBundleBytes();
  const testMs = withTests ? timed('npm', ['test', '--silent']) : undefined;

  const fullMs = median(full);
  const emptyMs = median(empty);
  const growth3 = (perRegion[3] / perRegion[2] - 1) * 100;
  const growth5 = ((perRegion[5] / perRegion[2]) ** (1 / 3) - 1) * 100;
  const rows: Array<[string, string, string]> = [
    ['synth, empty one-stack app (median)', `${(emptyMs / 1000).toFixed(2)} s`, 'floor'],
    ['synth, default app: 2 regions + edge (median)', `${(fullMs / 1000).toFixed(2)} s`, ''],
    ['ratio default / empty', `${(fullMs / emptyMs).toFixed(2)}×`, 'target ≤ 1.5×'],
    ['synth, 2 regions', `${(perRegion[2] / 1000).toFixed(2)} s`, ''],
    [
      'synth, 3 regions',
      `${(perRegion[3] / 1000).toFixed(2)} s`,
      `+${growth3.toFixed(1)} % for the 3rd region`,
    ],
    [
      'synth, 5 regions',
      `${(perRegion[5] / 1000).toFixed(2)} s`,
      `+${growth5.toFixed(1)} % per region (geometric mean, 2→5)`,
    ],
    ['canary bundle (minified)', `${(bundle / 1024).toFixed(1)} KiB`, 'target ≤ 52 KiB'],
  ];
  if (testMs !== undefined)
    rows.push(['npm test wall time', `${(testMs / 1000).toFixed(1)} s`, 'target < 60 s']);

  console.log('\n| measure | median | note |\n|---|---|---|');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench', 'results', 'bench.json'),
    JSON.stringify(
      {
        runs,
        cpus: os.cpus().length,
        full,
        empty,
        fullMs,
        emptyMs,
        ratio: fullMs / emptyMs,
        perRegion,
        growth3,
        growth5,
        bundle,
        testMs,
      },
      null,
      2,
    ),
  );
}

main();
