/**
 * Canary benchmark: `npx tsx bench/canary.ts`.
 *
 * 1. Bundles lambda/canary/index.ts exactly as the CDK NodejsFunction does (platform node, target
 *    node22, minify, cjs, `@aws-sdk/*` external) and reports its size (budget 52 KiB) with the
 *    largest inputs from the metafile, and the bundle's init (cold start module load) time.
 * 2. Against local servers that answer instantly, the median of 50 full handler runs (3 targets,
 *    EMF + logs + verdict publishing to a stub client) vs the median of the same raw fetches alone.
 * Writes bench/results/canary.json.
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createHandler } from '../lambda/canary/canary';
import { parseCanaryConfig } from '../lambda/canary/config';
import { startOutage, startShop } from '../test/canary/fakes';

const ROOT = join(__dirname, '..');
const BUDGET_KIB = 52;
const RUNS = 50;
const WARMUP = 10;

/** The esbuild options the CDK NodejsFunction must use (bundling: minify, target node22, format cjs, externalModules @aws-sdk/*). */
export const CDK_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  minify: true,
  format: 'cjs',
  external: ['@aws-sdk/*'],
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function bundle() {
  const dir = mkdtempSync(join(tmpdir(), 'canary-bench-'));
  const outfile = join(dir, 'index.js');
  const result = await build({
    ...CDK_ESBUILD_OPTIONS,
    entryPoints: [join(ROOT, 'lambda/canary/index.ts')],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile).length;
  const output = Object.values(result.metafile!.outputs)[0];
  const largest = Object.entries(output.inputs)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 8)
    .map(([path, v]) => ({ path, bytes: v.bytesInOutput }));
  const byPackage: Record<string, number> = {};
  for (const [path, v] of Object.entries(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1] : path.startsWith('lambda/') ? 'lambda/canary (own code)' : path;
    byPackage[key] = (byPackage[key] ?? 0) + v.bytesInOutput;
  }

  // Cold start: load the bundle as Lambda would (module init validates CANARY_CONFIG).
  process.env.CANARY_CONFIG = JSON.stringify({
    vantage: 'ap-northeast-2',
    namespace: 'resilient-shop/canary',
    stepTimeoutMs: 5000,
    deadlineMs: 40000,
    verdictRegions: ['ap-northeast-2', 'ap-northeast-1'],
    targets: [{ id: 'outage', kind: 'outage', baseUrl: 'https://outage.shop.example.com' }],
  });
  const code = readFileSync(outfile, 'utf8');
  const mod = { exports: {} as { handler?: unknown } };
  const t0 = performance.now();
  new Function('module', 'exports', 'require', code)(
    mod,
    mod.exports,
    createRequire(join(ROOT, 'package.json')),
  );
  const initMs = performance.now() - t0;
  if (typeof mod.exports.handler !== 'function') throw new Error('bundle does not export handler');

  return {
    bytes,
    kib: round(bytes / 1024, 2),
    budgetKib: BUDGET_KIB,
    withinBudget: bytes <= BUDGET_KIB * 1024,
    initMs: round(initMs, 2),
    byPackage,
    largest,
  };
}

async function overhead() {
  const [shopA, shopB, outage] = await Promise.all([
    startShop(),
    startShop(),
    startOutage({ status: 'valid' }),
  ]);
  const stub = { send: async () => ({}) } as unknown as CloudWatchClient;
  const config = parseCanaryConfig({
    vantage: 'ap-northeast-2',
    namespace: 'resilient-shop/canary',
    stepTimeoutMs: 5000,
    deadlineMs: 40000,
    verdictRegions: ['ap-northeast-2', 'ap-northeast-1'],
    targets: [
      { id: 'public', kind: 'shop', baseUrl: shopA.url, requireWritable: true },
      { id: 'ap-northeast-2', kind: 'shop', baseUrl: shopB.url, requireWritable: false },
      { id: 'outage', kind: 'outage', baseUrl: outage.url },
    ],
  });
  const handler = createHandler({ config, cloudWatchFor: () => stub });

  // The same requests the journeys make, with nothing else around them.
  const get = (url: string) => fetch(url).then((r) => r.text());
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then((r) => r.text());
  const rawShop = async (base: string) => {
    const hz = get(`${base}/healthz`);
    await get(`${base}/`);
    await get(`${base}/products/p-42`);
    const cart = JSON.parse(await post(`${base}/cart`, { productId: 'p-42', quantity: 1 })) as {
      cartId: string;
    };
    await post(`${base}/checkout`, { cartId: cart.cartId }, { 'x-shop-synthetic': '1' });
    await hz;
  };
  const raw = () =>
    Promise.all([
      rawShop(shopA.url),
      rawShop(shopB.url),
      get(`${outage.url}/`).then(() => get(`${outage.url}/status.json`)),
    ]);

  // Silence EMF and log lines (they are still produced and written: that cost is part of the overhead).
  const write = process.stdout.write.bind(process.stdout);
  const full: number[] = [];
  const bare: number[] = [];
  let failures = 0;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      let t = performance.now();
      const summary = await handler();
      const dFull = performance.now() - t;
      if (!summary.results.every((r) => r.ok)) failures++;
      t = performance.now();
      await raw();
      const dRaw = performance.now() - t;
      if (i >= WARMUP) {
        full.push(dFull);
        bare.push(dRaw);
      }
    }
  } finally {
    process.stdout.write = write;
    await Promise.all([shopA.close(), shopB.close(), outage.close()]);
  }
  const handlerMs = median(full);
  const rawMs = median(bare);
  return {
    runs: RUNS,
    warmup: WARMUP,
    targets: 3,
    requestsPerRun: 12,
    failedRuns: failures,
    handlerMedianMs: round(handlerMs),
    rawFetchMedianMs: round(rawMs),
    overheadMs: round(handlerMs - rawMs),
    ratio: round(handlerMs / rawMs, 2),
  };
}

async function main() {
  const bundleResult = await bundle();
  const overheadResult = await overhead();
  const result = {
    node: process.version,
    date: new Date().toISOString(),
    esbuild: CDK_ESBUILD_OPTIONS,
    bundle: bundleResult,
    overhead: overheadResult,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/canary.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  if (!bundleResult.withinBudget) {
    console.error(`bundle ${bundleResult.kib} KiB exceeds ${BUDGET_KIB} KiB`);
    process.exitCode = 1;
  }
}

void main();
