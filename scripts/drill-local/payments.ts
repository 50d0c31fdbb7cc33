/**
 * Payment scenarios of `npm run drill:local`: real PostgreSQL, the shop and the fake providers
 * (test/support/fake-pg), customers paying by easy-pay (which both providers take) all the time.
 * For each fault on provider A (down, slow beyond the deadline, charging then timing out, declining
 * everything with a maintenance code): time to detect (A's easy-pay breaker open on
 * /payments/health), time until checkouts succeed through B, the success rate during the fault, and,
 * after A recovers and the reconciler has run: orders lost, double charges and unknowns left, all
 * counted on the fakes' ledgers against the database. Each of the last three must be 0.
 */
import { startFakeProviders, type FakeMode } from '../../test/support/fake-pg';
import { startPostgres, type PostgresServer } from '../../test/support/postgres';
import { buy, ledgerCheck, paymentSettings, startPayShop } from '../../test/shop/payment-helpers';

export interface PaymentScenarioResult {
  scenario: string;
  detectS: number | null;
  throughBS: number | null;
  successRatePct: number;
  ordersLost: number;
  doubleCharges: number;
  unknownsLeft: number;
}

const SCENARIOS: { name: string; mode: FakeMode }[] = [
  { name: 'A down (connection refused)', mode: 'refuse' },
  { name: 'A slow beyond the deadline', mode: 'stall' },
  { name: 'A charges, then times out', mode: 'charge-then-timeout' },
  { name: 'A declines all (maintenance code)', mode: 'maintenance' },
];

async function scenario(
  pg: PostgresServer,
  name: string,
  mode: FakeMode,
  opts: { customers: number; faultSeconds: number; log: (l: string) => void },
): Promise<PaymentScenarioResult> {
  const [db, fakes] = await Promise.all([pg.createDatabase('drillpay'), startFakeProviders(30)]);
  const settings = paymentSettings(fakes, { reconcileEverySeconds: 3600 }, 1000);
  const shop = await startPayShop(pg, db, settings);
  try {
    let running = true;
    let faultAt = Infinity;
    let paidDuring = 0;
    let triedDuring = 0;
    let firstThroughB: number | undefined;
    const customers = Array.from({ length: opts.customers }, async () => {
      while (running) {
        const r = await buy(shop.base, 'easy-pay').catch(() => undefined);
        const paid = r?.result?.json?.payment === 'paid';
        // Every purchase that ends during the fault counts, those caught in flight included.
        if (Date.now() >= faultAt) {
          triedDuring++;
          if (paid) paidDuring++;
          if (paid && r?.pay.json.provider === 'kakaopay' && firstThroughB === undefined)
            firstThroughB = Date.now();
        }
        if (!paid) await new Promise((res) => setTimeout(res, 200));
      }
    });
    await new Promise((r) => setTimeout(r, 1000)); // steady state through A
    await fakes.toss.setMode(mode);
    faultAt = Date.now();
    opts.log(`${name}: fault on`);
    let detectedAt: number | undefined;
    while (Date.now() - faultAt < opts.faultSeconds * 1000) {
      const h = (await (
        await fetch(`${shop.base}/payments/health`, { headers: { accept: 'application/json' } })
      ).json()) as {
        providers: { provider: string; method: string; breaker: string }[];
      };
      const lane = h.providers.find((p) => p.provider === 'toss' && p.method === 'easy-pay');
      if (detectedAt === undefined && lane?.breaker === 'open') detectedAt = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
    running = false;
    await Promise.all(customers);
    await fakes.toss.setMode('ok');
    // The reconciler after A recovers; a confirm still in flight gets past its deadline first.
    await new Promise((r) => setTimeout(r, 1000 + settings.confirmGraceSeconds * 1000 + 200));
    await shop.shop.payments!.reconcile();
    const ledger = await ledgerCheck(pg, db, [fakes.toss, fakes.kakao]);
    const [left] = await pg.sql<{ n: string }>(
      "SELECT count(*) AS n FROM payment_attempts WHERE status IN ('confirming', 'unknown', 'duplicate')",
      [],
      db,
    );
    const result: PaymentScenarioResult = {
      scenario: name,
      detectS: detectedAt === undefined ? null : Math.round((detectedAt - faultAt) / 100) / 10,
      throughBS: firstThroughB === undefined ? null : Math.round((firstThroughB - faultAt) / 100) / 10,
      successRatePct: triedDuring ? Math.round((paidDuring / triedDuring) * 100) : 0,
      ordersLost: ledger.lostPaidOrders,
      doubleCharges: ledger.doubleCharges,
      unknownsLeft: Number(left.n),
    };
    opts.log(`${name}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await shop.close();
    await Promise.all([fakes.toss.close(), fakes.kakao.close()]);
  }
}

/** Runs the four scenarios one after the other on one PostgreSQL server. */
export async function runPaymentDrill(
  opts: { customers?: number; faultSeconds?: number; log?: (l: string) => void } = {},
): Promise<{ results: PaymentScenarioResult[]; failures: string[] }> {
  const pg = await startPostgres();
  const results: PaymentScenarioResult[] = [];
  try {
    for (const s of SCENARIOS)
      results.push(
        await scenario(pg, s.name, s.mode, {
          customers: opts.customers ?? 4,
          faultSeconds: opts.faultSeconds ?? 6,
          log: opts.log ?? (() => undefined),
        }),
      );
  } finally {
    await pg.destroy();
  }
  const failures = results.flatMap((r) => [
    ...(r.ordersLost ? [`${r.scenario}: ${r.ordersLost} charged orders not shown paid`] : []),
    ...(r.doubleCharges ? [`${r.scenario}: ${r.doubleCharges} double charges`] : []),
    ...(r.unknownsLeft ? [`${r.scenario}: ${r.unknownsLeft} unknowns left after reconciliation`] : []),
    ...(r.throughBS === null ? [`${r.scenario}: no checkout succeeded through B`] : []),
  ]);
  return { results, failures };
}

/** The drill's payments table. */
export function formatPaymentTable(results: PaymentScenarioResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.detectS ?? 'not detected'} | ${r.throughBS ?? 'never'} | ${r.successRatePct} | ${r.ordersLost} | ${r.doubleCharges} | ${r.unknownsLeft} |`,
  );
  return [
    '| payment scenario | detect s | checkouts through B after s | success % during fault | orders lost | double charges | unknowns left |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
