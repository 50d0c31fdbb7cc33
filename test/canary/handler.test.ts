import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createHandler, type CanarySummary } from '../../lambda/canary/canary';
import { parseCanaryConfig, type CanaryConfig } from '../../lambda/canary/config';
import {
  captureOutput,
  closedPortUrl,
  emfMetrics,
  startOutage,
  startShop,
  type FakeServer,
  type OutageBehaviour,
  type ShopBehaviour,
} from './fakes';

/**
 * Room for timers on a loaded 2-core machine (CI runs two jest workers beside PostgreSQL and
 * Chromium): a deadline that works ends within it; one that does not hangs or takes a step timeout.
 */
const SCHEDULING_SLACK_MS = 500;

const NAMESPACE = 'resilient-shop/canary';
const REGIONS = ['ap-northeast-2', 'ap-northeast-1'];

let shop: FakeServer<ShopBehaviour>;
let standby: FakeServer<ShopBehaviour>;
let outage: FakeServer<OutageBehaviour>;
let mocks: Record<string, AwsClientStub<CloudWatchClient>>;
let clients: Record<string, CloudWatchClient>;

beforeAll(async () => {
  delete process.env.POWERTOOLS_DEV; // EMF to the real stdout, as in Lambda
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  [shop, standby, outage] = await Promise.all([startShop(), startShop(), startOutage()]);
});

afterAll(async () => {
  await Promise.all([shop.close(), standby.close(), outage.close()]);
});

beforeEach(() => {
  shop.behaviour = {};
  standby.behaviour = {};
  outage.behaviour = {};
  for (const s of [shop, standby, outage]) s.requests.length = 0;
  clients = Object.fromEntries(REGIONS.map((r) => [r, new CloudWatchClient({ region: r })]));
  mocks = Object.fromEntries(REGIONS.map((r) => [r, mockClient(clients[r])]));
  for (const m of Object.values(mocks)) m.on(PutMetricDataCommand).resolves({});
});

afterEach(() => {
  for (const m of Object.values(mocks)) m.restore();
});

function config(overrides: Partial<CanaryConfig> = {}, targets?: CanaryConfig['targets']): CanaryConfig {
  return parseCanaryConfig({
    vantage: 'ap-northeast-2',
    namespace: NAMESPACE,
    // Generous for the tests that are not about time: a 2-core machine under heavy load took over 2 s
    // to answer a local request. The tests about timeouts and deadlines set their own.
    stepTimeoutMs: 10_000,
    deadlineMs: 30_000,
    verdictRegions: REGIONS,
    targets: targets ?? [
      { id: 'public', kind: 'shop', baseUrl: shop.url, requireWritable: true },
      { id: 'ap-northeast-2', kind: 'shop', baseUrl: standby.url, requireWritable: false },
      { id: 'outage', kind: 'outage', baseUrl: outage.url },
    ],
    ...overrides,
  });
}

async function run(cfg = config()) {
  const out = captureOutput();
  const started = Date.now();
  let summary: CanarySummary;
  try {
    summary = await createHandler({ config: cfg, cloudWatchFor: (r) => clients[r] })();
  } finally {
    out.restore();
  }
  const elapsed = Date.now() - started;
  const metrics = emfMetrics(out.emf());
  const result = (id: string) => summary.results.find((r) => r.target === id)!;
  const verdicts = (region: string) =>
    mocks[region].commandCalls(PutMetricDataCommand).map((c) => c.args[0].input as PutMetricDataCommandInput);
  return { summary, elapsed, metrics, logs: out.logs(), result, verdicts };
}

describe('canary handler against a local fake shop and outage page', () => {
  test('all healthy: every journey succeeds, with EMF, logs and verdicts', async () => {
    const r = await run();
    expect(r.summary).toEqual({
      vantage: 'ap-northeast-2',
      results: [
        { target: 'public', ok: true, mode: 'read-write', latencyMs: expect.any(Number) },
        { target: 'ap-northeast-2', ok: true, mode: 'read-write', latencyMs: expect.any(Number) },
        { target: 'outage', ok: true, latencyMs: expect.any(Number) },
      ],
    });
    expect(shop.requests).toEqual(
      expect.arrayContaining(['GET /', 'GET /products/p-42', 'POST /cart', 'POST /checkout', 'GET /healthz']),
    );

    // Journey metrics: one dimension set [Target], no `service` dimension.
    const journey = r.metrics.filter((m) => m.name === 'JourneySuccess');
    expect(journey.map((m) => [m.dims.Target, m.value, m.unit])).toEqual([
      ['public', 1, 'Count'],
      ['ap-northeast-2', 1, 'Count'],
      ['outage', 1, 'Count'],
    ]);
    for (const m of r.metrics) expect(m.namespace).toBe(NAMESPACE);
    for (const m of journey) expect(m.dimensionSets).toEqual([['Target']]);
    const latency = r.metrics.filter((m) => m.name === 'JourneyLatency');
    expect(latency).toHaveLength(3);
    for (const m of latency) {
      expect(m.unit).toBe('Milliseconds');
      expect(m.value).toBeGreaterThanOrEqual(0);
    }
    // Step metrics: dimension set [Target, Step].
    const steps = r.metrics.filter((m) => m.name === 'StepSuccess');
    expect(steps.map((m) => `${m.dims.Target}/${m.dims.Step}=${m.value}`).sort()).toEqual(
      [
        'public/home=1',
        'public/product=1',
        'public/cart=1',
        'public/checkout=1',
        'public/healthz=1',
        'ap-northeast-2/home=1',
        'ap-northeast-2/product=1',
        'ap-northeast-2/cart=1',
        'ap-northeast-2/checkout=1',
        'ap-northeast-2/healthz=1',
        'outage/page=1',
        'outage/status=1',
      ].sort(),
    );
    for (const m of steps) expect(m.dimensionSets).toEqual([['Target', 'Step']]);
    for (const m of r.metrics.filter((x) => x.name === 'StepLatency')) expect(m.unit).toBe('Milliseconds');
    expect(r.metrics.filter((m) => m.name === 'StepLatency')).toHaveLength(12);

    // Verdicts: exactly one PutMetricData per verdict region, all targets batched.
    for (const region of REGIONS) {
      const calls = r.verdicts(region);
      expect(calls).toHaveLength(1);
      expect(calls[0].Namespace).toBe(NAMESPACE);
      expect(calls[0].MetricData).toEqual(
        ['public', 'ap-northeast-2', 'outage'].map((t) => ({
          MetricName: 'TargetFailed',
          Dimensions: [
            { Name: 'Target', Value: t },
            { Name: 'Vantage', Value: 'ap-northeast-2' },
          ],
          Timestamp: expect.any(Date),
          Unit: 'Count',
          Value: 0,
        })),
      );
    }
    const publish = r.metrics.filter((m) => m.name === 'VerdictPublishFailed');
    expect(publish.map((m) => [m.dims.Region, m.value, m.unit, m.dimensionSets])).toEqual(
      REGIONS.map((g) => [g, 0, 'Count', [['Region']]]),
    );

    // One structured log line per target with the verdict.
    const verdictLogs = r.logs.filter((l) => l.message === 'canary target verdict');
    expect(verdictLogs.map((l) => [l.target, l.ok, l.level, l.vantage])).toEqual([
      ['public', true, 'INFO', 'ap-northeast-2'],
      ['ap-northeast-2', true, 'INFO', 'ap-northeast-2'],
      ['outage', true, 'INFO', 'ap-northeast-2'],
    ]);
  });

  test('a 500 at one step fails the journey at that step, and stops it there', async () => {
    shop.behaviour = { fail: 'cart' };
    const r = await run();
    expect(r.result('public')).toMatchObject({
      ok: false,
      failedStep: 'cart',
      reason: 'status 500 (expected 201)',
    });
    expect(r.result('ap-northeast-2').ok).toBe(true);
    expect(shop.requests).not.toContain('POST /checkout');
    const step = (t: string, s: string) =>
      r.metrics.find((m) => m.name === 'StepSuccess' && m.dims.Target === t && m.dims.Step === s);
    expect(step('public', 'home')?.value).toBe(1);
    expect(step('public', 'cart')?.value).toBe(0);
    expect(step('public', 'checkout')).toBeUndefined();
    expect(r.metrics.find((m) => m.name === 'JourneySuccess' && m.dims.Target === 'public')?.value).toBe(0);
    for (const region of REGIONS) {
      const values = Object.fromEntries(
        r.verdicts(region)[0].MetricData!.map((d) => [d.Dimensions![0].Value, d.Value]),
      );
      expect(values).toEqual({ public: 1, 'ap-northeast-2': 0, outage: 0 });
    }
    const log = r.logs.find((l) => l.message === 'canary target verdict' && l.target === 'public')!;
    expect(log).toMatchObject({
      level: 'WARN',
      ok: false,
      failedStep: 'cart',
      reason: 'status 500 (expected 201)',
    });
  });

  test('a response slower than the step timeout fails that step with "timeout"', async () => {
    // 3 s against 30 s: scheduling noise on a busy machine can neither turn the late answer into a
    // success nor time out the steps before it.
    shop.behaviour = { slow: { step: 'product', ms: 30_000 } };
    const r = await run(config({ stepTimeoutMs: 3000 }));
    expect(r.result('public')).toMatchObject({
      ok: false,
      failedStep: 'product',
      reason: 'timeout (3000 ms)',
    });
    const lat = r.metrics.find(
      (m) => m.name === 'StepLatency' && m.dims.Target === 'public' && m.dims.Step === 'product',
    )!;
    expect(lat.value).toBeGreaterThanOrEqual(2950);
    expect(lat.value).toBeLessThan(20_000);
  });

  test('connection refused fails the first step with the network error', async () => {
    const cfg = config({}, [
      { id: 'refused', kind: 'shop', baseUrl: await closedPortUrl(), requireWritable: true },
      { id: 'outage', kind: 'outage', baseUrl: `${await closedPortUrl()}` },
    ]);
    const r = await run(cfg);
    expect(r.result('refused')).toMatchObject({
      ok: false,
      failedStep: 'home',
      reason: 'network error: ECONNREFUSED',
    });
    expect(r.result('outage')).toMatchObject({
      ok: false,
      failedStep: 'page',
      reason: 'network error: ECONNREFUSED',
    });
    expect(
      r.metrics.find(
        (m) => m.name === 'StepSuccess' && m.dims.Target === 'refused' && m.dims.Step === 'healthz',
      )?.value,
    ).toBe(0);
  });

  test.each([
    ['home', 'home', 'marker data-shop-page missing'],
    ['product', 'product', 'marker data-shop-page missing'],
    ['cart', 'cart', 'no cartId in cart response'],
    ['checkout', 'checkout', 'checkout status "placed" (expected "synthetic-ok")'],
  ] as const)('wrong content at %s (2xx without the marker) fails', async (where, failedStep, reason) => {
    shop.behaviour = { noMarker: where };
    const r = await run();
    expect(r.result('public')).toMatchObject({ ok: false, failedStep, reason });
  });

  test('a checkout that ignores the synthetic header is a failure, not a success', async () => {
    shop.behaviour = { ignoreSynthetic: true };
    const r = await run();
    expect(r.result('public')).toMatchObject({
      ok: false,
      failedStep: 'checkout',
      reason: expect.stringContaining('synthetic header ignored'),
    });
  });

  test('healthz is informational: it is measured but does not decide the verdict', async () => {
    shop.behaviour = { noMarker: 'healthz' };
    const r = await run();
    expect(r.result('public').ok).toBe(true);
    expect(
      r.metrics.find(
        (m) => m.name === 'StepSuccess' && m.dims.Target === 'public' && m.dims.Step === 'healthz',
      )?.value,
    ).toBe(0);
  });

  test('one redirect is followed, and the final URL is recorded', async () => {
    shop.behaviour = { redirect: 'once' };
    const r = await run();
    expect(r.result('public').ok).toBe(true);
    expect(shop.requests).toEqual(expect.arrayContaining(['GET /', 'GET /home']));
    const log = r.logs.find((l) => l.message === 'canary target verdict' && l.target === 'public') as {
      steps: { step: string; finalUrl: string }[];
    };
    expect(log.steps.find((s) => s.step === 'home')?.finalUrl).toBe(`${shop.url}/home`);
  });

  test('a redirect loop fails the step', async () => {
    shop.behaviour = { redirect: 'loop' };
    const r = await run();
    expect(r.result('public')).toMatchObject({
      ok: false,
      failedStep: 'home',
      reason: expect.stringMatching(/^redirect loop at /),
    });
    expect(shop.requests.filter((q) => q.startsWith('GET /loop')).length).toBeLessThanOrEqual(3);
  });

  test('too many distinct redirects fail the step', async () => {
    shop.behaviour = { redirect: 'once' };
    const r = await run(config({ maxRedirects: 0 }));
    expect(r.result('public')).toMatchObject({
      ok: false,
      failedStep: 'home',
      reason: 'too many redirects (more than 0)',
    });
  });

  test('read-only shop: failure where writes are required, success (mode read-only) where not', async () => {
    shop.behaviour = { readOnly: true };
    standby.behaviour = { readOnly: true };
    const r = await run();
    expect(r.result('public')).toMatchObject({
      ok: false,
      mode: 'read-only',
      failedStep: 'cart',
      reason: 'read-only',
    });
    expect(r.result('ap-northeast-2')).toEqual({
      target: 'ap-northeast-2',
      ok: true,
      mode: 'read-only',
      latencyMs: expect.any(Number),
    });
    expect(standby.requests).not.toContain('POST /checkout');
    const values = Object.fromEntries(
      r.verdicts('ap-northeast-1')[0].MetricData!.map((d) => [d.Dimensions![0].Value, d.Value]),
    );
    expect(values).toEqual({ public: 1, 'ap-northeast-2': 0, outage: 0 });
  });

  test('read-only without alternatives is a failure even where read-only is acceptable', async () => {
    standby.behaviour = { readOnly: 'no-alternatives' };
    const r = await run();
    expect(r.result('ap-northeast-2')).toMatchObject({
      ok: false,
      mode: 'read-only',
      failedStep: 'cart',
      reason: 'read-only without alternatives',
    });
  });

  test.each([
    [{ status: 'none' }, true, undefined, undefined],
    [{ status: 'forbidden' }, true, undefined, undefined],
    [{ status: 'page-503' }, true, undefined, undefined],
    [{ status: 'other-503' }, false, 'status', 'status 503 (expected 200)'],
    [{ status: 'valid' }, true, undefined, undefined],
    [{ status: 'invalid' }, false, 'status', 'invalid status.json: severity: invalid'],
    [{ status: 'not-json' }, false, 'status', 'invalid status.json: not JSON'],
    [{ status: 'error' }, false, 'status', 'status 502 (expected 200)'],
    [{ page: 'no-marker' }, false, 'page', 'not the outage page (no <html> with data-outage-page)'],
    [{ page: 'error' }, false, 'page', 'status 500 (expected 200)'],
  ] as [OutageBehaviour, boolean, string | undefined, string | undefined][])(
    'outage page %j → ok=%s',
    async (behaviour, ok, failedStep, reason) => {
      outage.behaviour = behaviour;
      const r = await run();
      const res = r.result('outage');
      expect(res.ok).toBe(ok);
      expect(res.failedStep).toBe(failedStep);
      expect(res.reason).toBe(reason);
      expect(res.mode).toBeUndefined();
    },
  );

  test('a hanging target never holds the handler past its deadline', async () => {
    shop.behaviour = { hang: 'home' };
    outage.behaviour = {};
    // Step timeout longer than the deadline's journey budget, so only the deadline can stop it.
    const cfg = config({ deadlineMs: 1500, stepTimeoutMs: 1400 });
    const r = await run(cfg);
    expect(r.elapsed).toBeLessThan(1500 + SCHEDULING_SLACK_MS);
    expect(r.result('public')).toMatchObject({ ok: false, failedStep: 'home', reason: 'deadline' });
    expect(r.result('ap-northeast-2').ok).toBe(true);
    expect(r.result('outage').ok).toBe(true);
    expect(
      r.metrics.find((m) => m.name === 'StepSuccess' && m.dims.Target === 'public' && m.dims.Step === 'home')
        ?.value,
    ).toBe(0);
    for (const region of REGIONS) expect(r.verdicts(region)).toHaveLength(1);
  });

  test('a hanging fetch that ignores its abort signal still cannot hold the handler', async () => {
    const cfg = config({ deadlineMs: 1000, stepTimeoutMs: 300 });
    const out = captureOutput();
    const started = Date.now();
    try {
      const summary = await createHandler({
        config: cfg,
        cloudWatchFor: (r) => clients[r],
        fetch: () => new Promise<Response>(() => undefined),
      })();
      expect(summary.results.map((x) => [x.ok, x.reason])).toEqual([
        [false, 'deadline'],
        [false, 'deadline'],
        [false, 'deadline'],
      ]);
    } finally {
      out.restore();
    }
    expect(Date.now() - started).toBeLessThan(1000 + SCHEDULING_SLACK_MS);
  });

  test('a verdict region whose CloudWatch fails does not stop the other region or the function', async () => {
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    mocks['ap-northeast-1'].on(PutMetricDataCommand).rejects(throttle);
    const r = await run();
    expect(r.summary.results.every((x) => x.ok)).toBe(true);
    expect(r.verdicts('ap-northeast-2')).toHaveLength(1);
    expect(r.verdicts('ap-northeast-1')).toHaveLength(1);
    const publish = Object.fromEntries(
      r.metrics.filter((m) => m.name === 'VerdictPublishFailed').map((m) => [m.dims.Region, m.value]),
    );
    expect(publish).toEqual({ 'ap-northeast-2': 0, 'ap-northeast-1': 1 });
    expect(r.logs.find((l) => l.message === 'verdict publish failed')).toMatchObject({
      level: 'ERROR',
      region: 'ap-northeast-1',
      error: 'ThrottlingException: Rate exceeded',
    });
  });

  test('a verdict region whose CloudWatch hangs is cut off within the deadline', async () => {
    mocks['ap-northeast-2'].on(PutMetricDataCommand).callsFake(() => new Promise(() => undefined));
    const cfg = config({ deadlineMs: 1500, stepTimeoutMs: 400 });
    const r = await run(cfg);
    expect(r.elapsed).toBeLessThan(1500 + SCHEDULING_SLACK_MS);
    const publish = Object.fromEntries(
      r.metrics.filter((m) => m.name === 'VerdictPublishFailed').map((m) => [m.dims.Region, m.value]),
    );
    expect(publish).toEqual({ 'ap-northeast-2': 1, 'ap-northeast-1': 0 });
  });

  test('cloudWatchFor throwing (e.g. bad region setup) is contained too', async () => {
    const cfg = config();
    const out = captureOutput();
    try {
      const summary = await createHandler({
        config: cfg,
        cloudWatchFor: (region) => {
          if (region === 'ap-northeast-1') throw new Error('no client');
          return clients[region];
        },
      })();
      expect(summary.results).toHaveLength(3);
    } finally {
      out.restore();
    }
    expect(mocks['ap-northeast-2'].commandCalls(PutMetricDataCommand)).toHaveLength(1);
  });

  test('the Lambda remaining time shortens the deadline', async () => {
    shop.behaviour = { hang: 'home' };
    const cfg = config({ deadlineMs: 10_000, stepTimeoutMs: 5000 });
    const out = captureOutput();
    const started = Date.now();
    try {
      const summary = await createHandler({ config: cfg, cloudWatchFor: (r) => clients[r] })(
        {},
        { getRemainingTimeInMillis: () => 1500 },
      );
      expect(summary.results[0]).toMatchObject({ ok: false, reason: 'deadline' });
    } finally {
      out.restore();
    }
    // without the shortening, the hanging step alone would take its 5 s timeout
    expect(Date.now() - started).toBeLessThan(1500 + SCHEDULING_SLACK_MS);
  });
});
