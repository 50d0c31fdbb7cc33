/**
 * `npm run bench:faults`: the shop (production timeouts and pool, in its own process) against a
 * local PostgreSQL under closed-loop cart → checkout flows. Finds the knee (the fewest flows that
 * reach ≥ 90 % of the best checkout rate), then at 1×, 3× and 6× the knee measures, in steady
 * state, checkouts/s, /healthz marker availability (a sample every 20 ms), p99 of admitted requests
 * and the shop's peak RSS; then stops PostgreSQL with `-m immediate` under that load and measures
 * the time to degraded mode, the time back to writes, and acknowledged orders lost or duplicated
 * (counted on the database). Prints one table and writes bench/results/faults.json.
 *
 * Bounded: about 2 minutes. Env: BENCH_STEADY_S (default 6), BENCH_KNEE_S (default 3).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HEALTH_MARKER } from '../lib/contract/shop';
import { DEFAULT_TIMEOUTS } from '../shop/src/types';
import {
  CheckoutLoad,
  orderLedger,
  spawnShop,
  waitForDb,
  type ShopProcess,
} from '../test/shop/fault-harness';
import { startPostgres, type PostgresServer } from '../test/support/postgres';

const STEADY_S = Number(process.env.BENCH_STEADY_S ?? 6);
const KNEE_S = Number(process.env.BENCH_KNEE_S ?? 3);
const KNEE_STEPS = [2, 4, 8, 16, 32, 64];
const TARGETS = { checkoutShareOfPeak: 0.8, markerAvailability: 0.999, p99AdmittedMs: 250 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomProduct = () => 1 + Math.floor(Math.random() * 11);

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function p99(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

/** Samples /healthz every 20 ms in a separate process, and the shop's RSS every 100 ms, until stopped. */
function monitor(shop: ShopProcess) {
  let maxRss = 0;
  const sampler = spawn(
    process.execPath,
    [path.join(__dirname, 'health-sampler.mjs'), shop.base + '/healthz', HEALTH_MARKER],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  sampler.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => sampler.once('exit', r));
  const rss = setInterval(() => (maxRss = Math.max(maxRss, rssMiB(shop.child.pid!))), 100);
  return {
    async stop() {
      clearInterval(rss);
      sampler.stdin!.end();
      await exited;
      const { samples, ok } = JSON.parse(out) as { samples: number; ok: number };
      return { samples, availability: ok / samples, maxRss };
    },
  };
}

async function steady(shop: ShopProcess, flows: number, seconds: number) {
  const mon = monitor(shop);
  const load = new CheckoutLoad(() => shop.base, flows, { productId: randomProduct, pauseAfter503Ms: 10 });
  await sleep(500); // ramp-up, not counted
  const from = Date.now();
  await sleep(seconds * 1000);
  const to = Date.now();
  await load.stop();
  const health = await mon.stop();
  const window = load.answers.filter((a) => a.at >= from && a.at < to);
  const checkouts = window.filter((a) => a.step === 'checkout' && a.status === 201).length;
  const admitted = window.filter((a) => a.status !== 503 && a.status !== 'no-answer').map((a) => a.ms);
  return {
    load,
    checkoutsPerS: checkouts / ((to - from) / 1000),
    p99AdmittedMs: p99(admitted),
    shed: window.filter((a) => a.error === 'overloaded').length,
    noAnswer: window.filter((a) => a.status === 'no-answer').length,
    ...health,
  };
}

async function fault(shop: ShopProcess, pg: PostgresServer, flows: number) {
  const load = new CheckoutLoad(() => shop.base, flows, { productId: randomProduct, pauseAfter503Ms: 10 });
  await sleep(1000);
  const stoppedAt = Date.now();
  await pg.stop('immediate');
  const toDegradedMs = await waitForDb(shop.base, (s) => s !== 'writer', 10_000);
  await sleep(1500);
  const startedAt = Date.now();
  await pg.start();
  let backMs = NaN;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    const first = load.answers.find((a) => a.step === 'checkout' && a.status === 201 && a.at >= startedAt);
    if (first) {
      backMs = first.at + first.ms - startedAt;
      break;
    }
    await sleep(20);
  }
  await sleep(500);
  await load.stop();
  await load.resolveUnknown(shop.base);
  void stoppedAt;
  return { load, toDegradedMs, backToWritesMs: backMs, unknown: load.unknown.size };
}

async function main(): Promise<void> {
  const pg = await startPostgres();
  const db = await pg.createDatabase('bench');
  await pg.sql(`ALTER DATABASE ${db} SET synchronous_commit = on`);
  // Enough stock for a few minutes of orders.
  const shop = await spawnShop({
    db: { writerHost: pg.host, port: pg.port, database: db, user: pg.user },
    timeouts: DEFAULT_TIMEOUTS,
  });
  try {
    await waitForDb(shop.base, (s) => s === 'writer');
    await pg.sql('UPDATE products SET stock = 10000000', [], db);

    const knee: { flows: number; checkoutsPerS: number }[] = [];
    for (const flows of KNEE_STEPS) {
      const r = await steady(shop, flows, KNEE_S);
      knee.push({ flows, checkoutsPerS: r.checkoutsPerS });
      console.error(`knee search: ${flows} flows → ${r.checkoutsPerS.toFixed(0)} checkouts/s`);
    }
    const peak = Math.max(...knee.map((k) => k.checkoutsPerS));
    const kneeFlows = knee.find((k) => k.checkoutsPerS >= peak * 0.9)!.flows;
    console.error(`knee: ${kneeFlows} flows, peak ${peak.toFixed(0)} checkouts/s`);

    const rows = [];
    for (const factor of [1, 3, 6]) {
      const flows = kneeFlows * factor;
      const s = await steady(shop, flows, STEADY_S);
      const f = await fault(shop, pg, flows);
      await waitForDb(shop.base, (st) => st === 'writer', 15_000);
      const ledger = await orderLedger(pg, db, merge(s.load, f.load));
      rows.push({
        factor,
        flows,
        checkoutsPerS: Math.round(s.checkoutsPerS),
        shareOfPeak: s.checkoutsPerS / peak,
        markerAvailability: s.availability,
        healthSamples: s.samples,
        p99AdmittedMs: Math.round(s.p99AdmittedMs),
        shedPerS: Math.round(s.shed / STEADY_S),
        noAnswer: s.noAnswer + f.load.answers.filter((a) => a.status === 'no-answer').length,
        maxRssMiB: Math.round(s.maxRss),
        toDegradedMs: f.toDegradedMs,
        backToWritesMs: Math.round(f.backToWritesMs),
        lost: ledger.lost,
        duplicates: ledger.duplicates,
        unacknowledged: ledger.unacknowledged,
        acked: ledger.acked,
        alive: shop.alive(),
      });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }

    const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)} %`;
    const lines = [
      `Knee: ${kneeFlows} concurrent flows, peak ${peak.toFixed(0)} checkouts/s (search: ${knee
        .map((k) => `${k.flows}→${k.checkoutsPerS.toFixed(0)}`)
        .join(', ')}).`,
      '',
      '| load | flows | checkouts/s (of peak) | /healthz marker | p99 admitted | shed/s | peak RSS | time to degraded | time back to writes | acked orders | lost | duplicates | no answer | alive |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.factor}× | ${r.flows} | ${r.checkoutsPerS} (${pct(r.shareOfPeak, 0)}) | ${pct(r.markerAvailability, 2)} of ${r.healthSamples} | ${r.p99AdmittedMs} ms | ${r.shedPerS} | ${r.maxRssMiB} MiB | ${r.toDegradedMs} ms | ${r.backToWritesMs} ms | ${r.acked} | ${r.lost} | ${r.duplicates} | ${r.noAnswer} | ${r.alive ? 'yes' : 'NO'} |`,
      ),
      '',
      `Machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} at the end (other processes compete for the same cores).`,
      `Targets at 3×: checkouts/s ≥ ${pct(TARGETS.checkoutShareOfPeak, 0)} of peak, marker ≥ ${pct(TARGETS.markerAvailability)}, p99 admitted < ${TARGETS.p99AdmittedMs} ms.`,
    ];
    console.log(lines.join('\n'));
    const out = path.join(__dirname, 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, 'faults.json'),
      JSON.stringify(
        { date: new Date().toISOString(), kneeFlows, peak, knee, rows, targets: TARGETS },
        null,
        2,
      ),
    );
  } finally {
    await shop.stop();
    await pg.destroy();
  }
}

/** One load's view of two runs (for the ledger). */
function merge(a: CheckoutLoad, b: CheckoutLoad): CheckoutLoad {
  const m = Object.create(CheckoutLoad.prototype) as CheckoutLoad;
  Object.assign(m, {
    answers: [...a.answers, ...b.answers],
    acked: new Map([...a.acked, ...b.acked]),
    unknown: new Map([...a.unknown, ...b.unknown]),
    carts: new Set([...a.carts, ...b.carts]),
  });
  return m;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
