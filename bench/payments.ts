/**
 * Benchmark of checkout with payment: real PostgreSQL, the shop and the fake providers in this
 * process, a provider latency of about 300 ms, closed-loop customers who each run
 * cart -> checkout -> pay -> window -> return, again and again.
 *
 *   npm run bench:payments      (env: BENCH_SECONDS=5 BENCH_LATENCY_MS=300)
 *
 * 1. Finds the knee: doubles the customers from 2 while checkouts/s still grows by 10 % or more.
 * 2. Runs 1x, 3x and 6x the knee with both providers up, then 3x with provider A refusing
 *    connections (its breaker opens, easy-pay goes through B, card is offered as unavailable).
 * Reports checkouts/s (paid), p99 of a whole purchase, database pool occupancy (the admission gate's
 * active slots over its capacity, sampled every 50 ms), the share of /healthz samples carrying the
 * health marker, and zero double charges / lost paid orders from the fakes' ledgers.
 * Writes bench/results/payments.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HEALTH_MARKER } from '../lib/contract/shop';
import { startFakeProviders } from '../test/support/fake-pg';
import { startPostgres } from '../test/support/postgres';
import { buy, ledgerCheck, paymentSettings, startPayShop } from '../test/shop/payment-helpers';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 300);

interface Level {
  label: string;
  customers: number;
  checkoutsPerS: number;
  attemptsPerS: number;
  successRate: number;
  p99Ms: number;
  poolMeanPct: number;
  poolMaxPct: number;
  healthMarkerPct: number;
  errors: number;
  /** /payments/health at the end of the run. */
  payments?: string;
}

const p = (xs: number[], q: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function main(): Promise<void> {
  const [pg, fakes] = await Promise.all([startPostgres(), startFakeProviders(LATENCY_MS)]);
  const db = await pg.createDatabase('benchpay');
  // Provider timeouts well above the latency; stock large enough for every purchase.
  const shop = await startPayShop(pg, db, paymentSettings(fakes, {}, 4000), {}, {});
  await pg.sql('UPDATE products SET stock = 10000000', [], db);
  const gate = shop.shop.db.gate;
  const results: Level[] = [];
  try {
    const run = async (
      label: string,
      customers: number,
      seconds: number,
      method: () => string,
    ): Promise<Level> => {
      const stopAt = Date.now() + seconds * 1000;
      const durations: number[] = [];
      let paid = 0;
      let attempts = 0;
      let errors = 0;
      const pool: number[] = [];
      let healthy = 0;
      let healthSamples = 0;
      const sampler = setInterval(() => pool.push(gate.stats().active / gate.capacity), 50);
      const healthLoop = (async () => {
        while (Date.now() < stopAt) {
          try {
            const text = await (await fetch(`${shop.base}/healthz`)).text();
            if (text.includes(HEALTH_MARKER)) healthy++;
          } catch {
            // counted as not healthy
          }
          healthSamples++;
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      await Promise.all(
        Array.from({ length: customers }, async () => {
          while (Date.now() < stopAt) {
            const started = Date.now();
            attempts++;
            let ok = false;
            try {
              const r = await buy(shop.base, method());
              ok = r.result?.json?.payment === 'paid';
            } catch {
              errors++;
            }
            if (ok) {
              paid++;
              durations.push(Date.now() - started);
            } else {
              // A refused step (503 + Retry-After: 1) or a failed payment: a person tries again later.
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        }),
      );
      clearInterval(sampler);
      await healthLoop;
      const level: Level = {
        label,
        customers,
        checkoutsPerS: Math.round((paid / seconds) * 10) / 10,
        attemptsPerS: Math.round((attempts / seconds) * 10) / 10,
        successRate: attempts ? Math.round((paid / attempts) * 1000) / 10 : 0,
        p99Ms: p(durations, 0.99),
        poolMeanPct: Math.round((pool.reduce((a, b) => a + b, 0) / Math.max(1, pool.length)) * 100),
        poolMaxPct: Math.round(Math.max(0, ...pool) * 100),
        healthMarkerPct: healthSamples ? Math.round((healthy / healthSamples) * 100) : 0,
        errors,
      };
      const ph = (await (
        await fetch(`${shop.base}/payments/health`, { headers: { accept: 'application/json' } })
      ).json()) as {
        status: string;
        providers: { provider: string; method: string; breaker: string; window: Record<string, unknown> }[];
      };
      level.payments = `${ph.status} (${ph.providers.map((l) => `${l.provider}:${l.method} ${l.breaker}`).join(', ')})`;
      console.log(JSON.stringify(level), JSON.stringify(ph.providers.map((l) => l.window)));
      return level;
    };
    const mixed = () => (Math.random() < 0.5 ? 'card' : 'easy-pay');
    // 1. The knee.
    let knee = 2;
    let best = (await run('ramp', knee, 3, mixed)).checkoutsPerS;
    for (let c = 4; c <= 256; c *= 2) {
      const r = (await run('ramp', c, 3, mixed)).checkoutsPerS;
      if (r < best * 1.1) break;
      knee = c;
      best = r;
    }
    console.log(`knee: ${knee} customers (${best} checkouts/s)`);
    // 2. Levels, then the outage.
    for (const x of [1, 3, 6]) results.push(await run(`${x}x`, knee * x, SECONDS, mixed));
    await fakes.toss.setMode('refuse');
    results.push(await run('1x, provider A refusing', knee, SECONDS, mixed));
    results.push(await run('3x, provider A refusing', knee * 3, SECONDS, mixed));
    await fakes.toss.setMode('ok');
    const check = await ledgerCheck(pg, db, [fakes.toss, fakes.kakao]);
    console.log(JSON.stringify(check));
    console.log(
      '\n| level | customers | checkouts/s | success % | p99 ms | pool mean/max % | health marker % | /payments/health after |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of results)
      console.log(
        `| ${r.label} | ${r.customers} | ${r.checkoutsPerS} | ${r.successRate} | ${r.p99Ms} | ${r.poolMeanPct}/${r.poolMaxPct} | ${r.healthMarkerPct} | ${r.payments} |`,
      );
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(
      path.join(__dirname, 'results', 'payments.json'),
      JSON.stringify(
        { latencyMs: LATENCY_MS, seconds: SECONDS, knee, levels: results, ledger: check },
        null,
        2,
      ),
    );
    if (check.doubleCharges || check.lostPaidOrders || check.unpaidButPaid) process.exitCode = 1;
  } finally {
    await shop.close();
    await Promise.all([fakes.toss.close(), fakes.kakao.close()]);
    await pg.destroy();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
