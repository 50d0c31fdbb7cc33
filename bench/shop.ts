/**
 * Benchmark of the reference shop: the esbuild bundle (as deployed) in a child process pinned to one
 * core, against a local PostgreSQL; autocannon on the product page and /healthz.
 *
 *   npx tsx bench/shop.ts            (env: BENCH_SECONDS=5 BENCH_RUNS=3 BENCH_CONNECTIONS=20)
 *
 * Prints requests/s and p99 latency (median of the runs) and writes bench/results/shop.json.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { HEALTH_MARKER, SHOP_ENV } from '../lib/contract/shop';
import { migrate } from '../shop/src/migrations';
import { startPostgres } from '../test/support/postgres';

const ROOT = path.resolve(__dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const TARGETS = { productPageRps: 1500, p99Ms: 50 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V']).status === 0 && os.cpus().length > 1;
}

async function waitHealthy(url: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const text = await (await fetch(url)).text();
      if (text.includes(HEALTH_MARKER)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`shop did not become healthy at ${url}`);
}

async function cannon(
  url: string,
  seconds: number,
): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { accept: 'text/html' },
  });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  let child: ChildProcess | undefined;
  try {
    const database = await pg.createDatabase('bench');
    await migrate(pg.connection(database));

    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-bench-'));
    const bundle = path.join(outDir, 'shop.js');
    await build({
      entryPoints: [path.join(ROOT, 'shop/src/main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: bundle,
      external: ['pg-native'],
      logLevel: 'warning',
    });
    const bundleBytes = fs.statSync(bundle).size;

    const port = await freePort();
    const pinned = hasTaskset();
    if (pinned) spawnSync('taskset', ['-cp', '1', String(process.pid)]); // load generator on the other core
    const [cmd, args] = pinned
      ? ['taskset', ['-c', '0', process.execPath, bundle]]
      : [process.execPath, [bundle]];
    child = spawn(cmd, args, {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        [SHOP_ENV.region]: 'bench-local-1',
        [SHOP_ENV.role]: 'primary',
        [SHOP_ENV.dbWriterHost]: pg.host,
        [SHOP_ENV.dbPort]: String(pg.port),
        [SHOP_ENV.dbName]: database,
        [SHOP_ENV.dbUser]: pg.user,
        [SHOP_ENV.port]: String(port),
        [SHOP_ENV.version]: 'bench',
        [SHOP_ENV.contacts]: JSON.stringify({
          phone: '+82 2-1234-5678',
          paymentAlternatives: ['Bank transfer'],
          messengers: [],
          email: 'help@shop.example.com',
        }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitHealthy(base + '/healthz');

    const endpoints = [
      { name: 'GET /products/1 (HTML)', path: '/products/1' },
      { name: 'GET /healthz', path: '/healthz' },
    ];
    const results = [];
    for (const ep of endpoints) {
      await cannon(base + ep.path, 2); // warm-up
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await cannon(base + ep.path, SECONDS));
      results.push({
        endpoint: ep.name,
        path: ep.path,
        requestsPerSecond: Math.round(median(runs.map((r) => r.rps))),
        p99Ms: median(runs.map((r) => r.p99)),
        errors: runs.reduce((n, r) => n + r.errors, 0),
        non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
        runs,
      });
    }

    console.log(
      `\nshop benchmark: ${RUNS} runs x ${SECONDS}s, ${CONNECTIONS} connections, shop ${pinned ? 'pinned to CPU 0' : 'NOT pinned (no taskset)'}`,
    );
    console.table(
      results.map((r) => ({
        endpoint: r.endpoint,
        'req/s (median)': r.requestsPerSecond,
        'p99 ms (median)': r.p99Ms,
        errors: r.errors,
        non2xx: r.non2xx,
      })),
    );
    const product = results[0];
    const pass = {
      productPageRps: product.requestsPerSecond >= TARGETS.productPageRps,
      p99: results.every((r) => r.p99Ms < TARGETS.p99Ms),
      noErrors: results.every((r) => r.errors === 0 && r.non2xx === 0),
    };
    console.log(
      `targets: product page >= ${TARGETS.productPageRps} req/s, p99 < ${TARGETS.p99Ms} ms →`,
      pass,
    );

    const outFile = path.join(ROOT, 'bench/results/shop.json');
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(
      outFile,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpu: os.cpus()[0]?.model,
          pinnedToOneCore: pinned,
          seconds: SECONDS,
          runs: RUNS,
          connections: CONNECTIONS,
          bundleBytes,
          targets: TARGETS,
          pass,
          results,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`written ${path.relative(ROOT, outFile)}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    if (!pass.productPageRps || !pass.p99 || !pass.noErrors) process.exitCode = 1;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await pg.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
