/**
 * The real canary handler against the real reference shop on a real PostgreSQL: a writable shop
 * (superuser) and a read-only one (role "standby" with default_transaction_read_only), CloudWatch
 * mocked. Checks the verdicts, that the synthetic checkout leaves no order and no stock change, and
 * that a database outage fails the writable target within the run's deadline.
 */
import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { CANARY_METRICS, createHandler, type CanarySummary } from '../../lambda/canary/canary';
import { parseCanaryConfig, type CanaryConfig } from '../../lambda/canary/config';
import { HEALTH_MARKER } from '../../lib/contract/shop';
import { captureOutput, emfMetrics } from '../canary/fakes';
import { count, getHealth, startShop, waitFor, type RunningShop } from '../shop/helpers';
import { startPostgres, type PostgresServer } from '../support/postgres';

const NAMESPACE = 'resilient-shop/canary';
const VANTAGE = 'ap-northeast-2';
const REGIONS = ['ap-northeast-2', 'ap-northeast-1'];
const DEADLINE_MS = 5000;

let pg: PostgresServer;
let db: string;
let writable: RunningShop;
let readOnly: RunningShop;
let config: CanaryConfig;
let clients: Record<string, CloudWatchClient>;
let mocks: Record<string, AwsClientStub<CloudWatchClient>>;

beforeAll(async () => {
  delete process.env.POWERTOOLS_DEV; // EMF to stdout, as in Lambda
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  pg = await startPostgres();
  db = await pg.createDatabase('canary');
  writable = await startShop(pg, db, { role: 'primary', cartCleanup: false });
  // A read-only database user: the shop sees a reader, as a standby region does.
  await pg.sql('CREATE ROLE standby LOGIN');
  await pg.sql('ALTER ROLE standby SET default_transaction_read_only = on');
  await pg.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO standby', [], db);
  readOnly = await startShop(pg, db, {
    role: 'standby',
    db: { writerHost: pg.host, port: pg.port, database: db, user: 'standby' },
    cartCleanup: false,
  });
  expect((await getHealth(writable.base)).body).toMatchObject({ db: 'writer', marker: HEALTH_MARKER });
  expect((await getHealth(readOnly.base)).body).toMatchObject({ db: 'reader', marker: HEALTH_MARKER });

  config = parseCanaryConfig({
    vantage: VANTAGE,
    namespace: NAMESPACE,
    stepTimeoutMs: 2000,
    deadlineMs: DEADLINE_MS,
    verdictRegions: REGIONS,
    targets: [
      { id: 'primary', kind: 'shop', baseUrl: writable.base, requireWritable: true },
      { id: 'standby', kind: 'shop', baseUrl: readOnly.base, requireWritable: false },
      { id: 'standby-strict', kind: 'shop', baseUrl: readOnly.base, requireWritable: true },
    ],
  });
});

afterAll(async () => {
  await Promise.all([writable?.close(), readOnly?.close()]);
  await pg?.destroy();
});

beforeEach(() => {
  clients = Object.fromEntries(REGIONS.map((r) => [r, new CloudWatchClient({ region: r })]));
  mocks = Object.fromEntries(REGIONS.map((r) => [r, mockClient(clients[r])]));
  for (const m of Object.values(mocks)) m.on(PutMetricDataCommand).resolves({});
});

afterEach(() => {
  for (const m of Object.values(mocks)) m.restore();
});

async function runCanary() {
  const out = captureOutput();
  const started = Date.now();
  let summary: CanarySummary;
  try {
    summary = await createHandler({ config, cloudWatchFor: (r) => clients[r] })();
  } finally {
    out.restore();
  }
  const elapsedMs = Date.now() - started;
  const result = (id: string) => summary.results.find((r) => r.target === id)!;
  return { summary, result, elapsedMs, metrics: emfMetrics(out.emf()) };
}

/** The TargetFailed verdicts each verdict region received: {region: {target: value}}. */
function verdicts(): Record<string, Record<string, number>> {
  return Object.fromEntries(
    REGIONS.map((region) => {
      const calls = mocks[region].commandCalls(PutMetricDataCommand);
      expect(calls).toHaveLength(1);
      const input = calls[0].args[0].input as PutMetricDataCommandInput;
      expect(input.Namespace).toBe(NAMESPACE);
      const values: Record<string, number> = {};
      for (const d of input.MetricData ?? []) {
        expect(d.MetricName).toBe(CANARY_METRICS.targetFailed);
        expect(d.Unit).toBe('Count');
        const dims = Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
        expect(dims.Vantage).toBe(VANTAGE);
        values[dims.Target!] = d.Value!;
      }
      return [region, values];
    }),
  );
}

async function stockByProduct(): Promise<Record<number, number>> {
  const rows = await pg.sql<{ id: number; stock: number }>('SELECT id, stock FROM products', [], db);
  return Object.fromEntries(rows.map((r) => [r.id, r.stock]));
}

describe('canary vs. the reference shop', () => {
  it('healthy: the writable journey passes without placing an order; the read-only shop passes only where allowed', async () => {
    const stockBefore = await stockByProduct();
    const cartsBefore = await count(pg, db, 'carts');

    const { result, elapsedMs, metrics } = await runCanary();

    expect(result('primary')).toMatchObject({ ok: true, mode: 'read-write' });
    expect(result('primary').failedStep).toBeUndefined();
    const steps = (target: string) =>
      Object.fromEntries(
        metrics
          .filter((m) => m.name === CANARY_METRICS.stepSuccess && m.dims.Target === target)
          .map((m) => [m.dims.Step, m.value]),
      );
    expect(steps('primary')).toEqual({ home: 1, product: 1, cart: 1, checkout: 1, healthz: 1 });

    expect(result('standby')).toMatchObject({ ok: true, mode: 'read-only' });
    expect(steps('standby')).toEqual({ home: 1, product: 1, cart: 1, healthz: 1 });
    expect(result('standby-strict')).toMatchObject({
      ok: false,
      mode: 'read-only',
      failedStep: 'cart',
      reason: 'read-only',
    });

    // Synthetic checkout: no order, stock unchanged; the writable run leaves exactly one open cart.
    expect(await count(pg, db, 'orders')).toBe(0);
    expect(await count(pg, db, 'order_items')).toBe(0);
    expect(await stockByProduct()).toEqual(stockBefore);
    const carts = await pg.sql<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM carts GROUP BY status',
      [],
      db,
    );
    expect(carts).toEqual([{ status: 'open', n: String(cartsBefore + 1) }]);

    const journey = Object.fromEntries(
      metrics.filter((m) => m.name === CANARY_METRICS.journeySuccess).map((m) => [m.dims.Target, m.value]),
    );
    expect(journey).toEqual({ primary: 1, standby: 1, 'standby-strict': 0 });
    const expected = { primary: 0, standby: 0, 'standby-strict': 1 };
    expect(verdicts()).toEqual({ [REGIONS[0]]: expected, [REGIONS[1]]: expected });
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
  });

  it('database hanging (frozen): the writable target fails within the deadline', async () => {
    pg.pause();
    try {
      const { result, elapsedMs } = await runCanary();
      expect(elapsedMs).toBeLessThan(DEADLINE_MS + 500);
      expect(result('primary').ok).toBe(false);
      expect(result('primary').failedStep).toBe('cart');
      expect(result('standby-strict').ok).toBe(false);
      // Catalogue from the cache, cart answered honestly read-only.
      expect(result('standby')).toMatchObject({ ok: true, mode: 'read-only' });
      const v = verdicts();
      for (const region of REGIONS)
        expect(v[region]).toEqual({ primary: 1, standby: 0, 'standby-strict': 1 });
    } finally {
      pg.resume();
    }
    await waitFor(async () => (await getHealth(writable.base)).body.db === 'writer', 5000, 'writer back');
  });

  it('database stopped: the writable target fails (read-only) and the handler returns within its deadline', async () => {
    await pg.stop();
    const { result, elapsedMs } = await runCanary();
    expect(elapsedMs).toBeLessThan(DEADLINE_MS);
    expect(result('primary')).toMatchObject({
      ok: false,
      mode: 'read-only',
      failedStep: 'cart',
      reason: 'read-only',
    });
    expect(result('standby')).toMatchObject({ ok: true, mode: 'read-only' });
    expect(result('standby-strict')).toMatchObject({ ok: false, reason: 'read-only' });
    const expected = { primary: 1, standby: 0, 'standby-strict': 1 };
    expect(verdicts()).toEqual({ [REGIONS[0]]: expected, [REGIONS[1]]: expected });
  });
});
