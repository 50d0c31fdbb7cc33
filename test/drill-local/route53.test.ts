/**
 * The local Route 53 of `npm run drill:local`, driven by the synthesized templates: the 18 % rule,
 * string matching, failure thresholds, the CALCULATED region check (endpoint weighing two, one vote
 * per drain switch copy, HealthThreshold from the template) with switch checks that evaluate their
 * alarm's M of N over the published metric (a silent copy reads as drained), the chain order down
 * to the outage page, and resolvers that keep an answer for its TTL.
 */
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { HEALTH_MARKER } from '../../lib/contract/shop';
import { synthesizedModel } from '../../scripts/drill-local/drill';
import {
  alarmKey,
  chainOrder,
  ModelError,
  readModel,
  ruleToGroups,
  type CalculatedCheckSpec,
  type EndpointCheckSpec,
  type MetricAlarmSpec,
} from '../../scripts/drill-local/model';
import {
  aggregate,
  CachingResolver,
  CheckerView,
  evaluateAlarm,
  judgeResponse,
  LocalRoute53,
  unhealthyChildren,
} from '../../scripts/drill-local/route53';
import { LocalSwitches } from '../../scripts/drill-local/switches';

const config = loadConfig('default');
const names = new Names(config);
const [primary, standby] = config.regions.map((r) => r.name);
const model = synthesizedModel(config);

test('the model is read from the synthesized templates: chain order, interval, threshold, checkers, search string', () => {
  expect(chainOrder(model, config.domainName)).toEqual([
    names.regionRecord(primary),
    names.regionRecord(standby),
    'cloudfront',
  ]);
  const endpoint = Object.values(model.checks).find(
    (c) => c.kind === 'endpoint' && c.fqdn === names.regionRecord(primary),
  ) as EndpointCheckSpec;
  expect(endpoint).toMatchObject({
    intervalSeconds: config.healthCheck.intervalSeconds,
    failureThreshold: config.healthCheck.failureThreshold,
    searchString: HEALTH_MARKER,
    path: '/healthz',
  });
  expect(endpoint.checkerRegions).toHaveLength(5);
  expect(Object.keys(model.canaryConfigs).sort()).toEqual([primary, standby, Names.EDGE_REGION].sort());
  // "Down from two vantage points": any two of the three, as the composite rule says.
  const from = (v: string) => names.canaryTargetAlarm('public', v);
  expect(
    model.pagingAlarms.find(
      (p) => p.stackRegion === standby && p.name === names.canaryConsensusAlarm('public'),
    )?.anyOf,
  ).toEqual([
    [from(primary), from(standby)],
    [from(primary), from(Names.EDGE_REGION)],
    [from(standby), from(Names.EDGE_REGION)],
  ]);
});

test('the outage page for any shop path, as the distribution is synthesized: a missing object (403/404) answers /index.html with 503', () => {
  // The drill's outage server answers from this; an empty 404 counted every customer sent down the
  // chain as unable to reach any page, which CloudFront never does.
  expect(model.outageErrorResponses).toEqual([
    { errorCode: 403, responseCode: 503, pagePath: '/index.html' },
    { errorCode: 404, responseCode: 503, pagePath: '/index.html' },
  ]);
});

test("the region check as synthesized: the endpoint twice, one switch copy per holder (the edge region's included), threshold copies + 1", () => {
  const regionCheck = model.checks[
    model.records.find((r) => r.name === config.domainName && r.failover === 'PRIMARY')!.healthCheckId!
  ] as CalculatedCheckSpec;
  const kinds = regionCheck.children.map((id) => {
    const c = model.checks[id];
    return c.kind === 'endpoint'
      ? `endpoint ${c.fqdn}`
      : c.kind === 'metric'
        ? `switch in ${c.alarmRegion}`
        : c.kind;
  });
  const copies = names.switchHolders(primary);
  expect(copies).toContain(Names.EDGE_REGION);
  expect(kinds.sort()).toEqual(
    [
      `endpoint ${names.regionRecord(primary)}`,
      `endpoint ${names.regionRecord(primary)}`,
      ...copies.map((h) => `switch in ${h}`),
    ].sort(),
  );
  expect(regionCheck.threshold).toBe(copies.length + 1);
  for (const h of copies) {
    expect(model.metricAlarms[alarmKey(h, names.switchAlarm(primary))]).toMatchObject({
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'missing',
    });
  }
  // Every copy follows its own region's parameters: the edge region holds every region's switch.
  expect(model.switchPublishers[Names.EDGE_REGION].targets).toEqual([primary, standby]);
});

describe('an M-of-N alarm over the metric stream (1 of 3 one-minute periods, missing data "missing")', () => {
  const alarm = model.metricAlarms[alarmKey(standby, names.switchAlarm(primary))] as MetricAlarmSpec;
  const at = (minute: number, value: number) => ({ at: minute * 60_000 + 1, value });
  test.each([
    ['no datapoint in the 3 minutes', 'INSUFFICIENT_DATA', []],
    ['only datapoints older than 3 minutes', 'INSUFFICIENT_DATA', [at(0, 1), at(1, 1)]],
    ['serving every minute', 'OK', [at(2, 0), at(3, 0), at(4, 0)]],
    ['one drained minute among serving ones', 'ALARM', [at(2, 1), at(3, 0), at(4, 0)]],
    ['drained, then two silent minutes (a drain holds)', 'ALARM', [at(2, 1)]],
    ['serving, then two silent minutes', 'OK', [at(2, 0)]],
    ['a drain that left the window', 'OK', [at(1, 1), at(2, 0), at(3, 0), at(4, 0)]],
  ])('%s → %s', (_what, state, points) => {
    expect(evaluateAlarm(alarm, points, 4 * 60_000 + 30_000, 1)).toBe(state);
  });
});

test('a template the evaluator does not understand is refused with every problem listed', () => {
  const edge = {
    Resources: {
      A: {
        Type: 'AWS::Route53::HealthCheck',
        Properties: { HealthCheckConfig: { Type: 'RECOVERY_CONTROL' } },
      },
      B: {
        Type: 'AWS::Route53::RecordSet',
        Properties: {
          Name: 'x.example.com',
          HealthCheckId: { Ref: 'Missing' },
          AliasTarget: { DNSName: 'y' },
        },
      },
    },
  };
  expect(() => readModel(edge, {})).toThrow(ModelError);
  try {
    readModel(edge, {});
  } catch (e) {
    expect((e as ModelError).issues).toEqual([
      'A: health check type RECOVERY_CONTROL is not supported by the local evaluator',
      'B: health check Missing is not in the edge stack',
    ]);
  }
});

describe('one checker', () => {
  const spec = { type: 'HTTPS_STR_MATCH' as const, searchString: HEALTH_MARKER };
  test.each([
    ['the marker', 200, `{"marker":"${HEALTH_MARKER}"}`, true],
    ['the marker but 503', 503, `{"marker":"${HEALTH_MARKER}"}`, false],
    ['no marker', 200, '{"status":"unhealthy"}', false],
    ['the marker ending at byte 5,120', 200, 'x'.repeat(5120 - HEALTH_MARKER.length) + HEALTH_MARKER, true],
    ['the marker ending at byte 5,121', 200, 'x'.repeat(5121 - HEALTH_MARKER.length) + HEALTH_MARKER, false],
  ])('%s (HTTP %i) → ok=%s: 2xx/3xx and the string in the first 5,120 bytes', (_what, status, body, ok) => {
    expect(judgeResponse(spec, status, body).ok).toBe(ok);
  });

  test('flips only after `failureThreshold` consecutive disagreeing results, both ways', () => {
    const v = new CheckerView(3);
    v.record(false);
    v.record(false);
    v.record(true); // streak broken
    v.record(false);
    v.record(false);
    expect(v.healthy).toBe(true);
    v.record(false);
    expect(v.healthy).toBe(false);
    v.record(true);
    v.record(true);
    expect(v.healthy).toBe(false);
    v.record(true);
    expect(v.healthy).toBe(true);
  });
});

test.each([
  [15, 3, true], // 20 % > 18 %
  [15, 2, false], // 13 %
  [50, 9, false], // exactly 18 % is not MORE than 18 %
  [50, 10, true],
  [15, 0, false],
])('18 %% rule: %i checkers, %i healthy → healthy=%s', (total, healthy, expected) => {
  expect(aggregate(healthy, total)).toBe(expected);
});

describe.each(['one-of-n', 'all-of-n'] as const)('Route 53 reading the switch alarms as %s', (reading) => {
  const K = 400;
  let switches: LocalSwitches;
  let route53: LocalRoute53;
  beforeEach(() => {
    // A fixed epoch: the publishers then run at the start of each (compressed) minute, as the
    // evaluator's periods are counted from 0, and no result depends on the wall clock's phase.
    jest.useFakeTimers({ now: 0 });
    switches = new LocalSwitches(model, K);
    switches.start();
    route53 = new LocalRoute53({
      model,
      timeScale: K,
      alarmReading: reading,
      probe: async () => ({ ok: true }),
      albProbe: async () => 200,
      metrics: switches.metrics,
    });
    route53.start();
  });
  afterEach(() => {
    route53.stop();
    switches.stop();
    jest.useRealTimers();
  });
  const periodMs = (60 * 1000) / K;
  const alarm = model.metricAlarms[alarmKey(standby, names.switchAlarm(primary))];
  const windowMs = alarm.evaluationPeriods * periodMs;
  const target = () => route53.resolve(config.domainName).target;
  /** Steps the fake clock by quarter periods, returning where the public name pointed at each step. */
  const watch = async (ms: number) => {
    const seen = new Set<string>();
    for (let t = 0; t < ms; t += periodMs / 4) {
      await jest.advanceTimersByTimeAsync(periodMs / 4);
      const a = target();
      seen.add(a.kind === 'alb' ? a.region : a.kind);
    }
    return [...seen];
  };

  test('a drain in every holder takes the primary out within the alarm window, and an undrain returns it within the window', async () => {
    await watch(windowMs + periodMs);
    for (const h of names.switchHolders(primary)) switches.set(h, primary, 'drained');
    await jest.advanceTimersByTimeAsync(windowMs + periodMs / 2);
    expect(target()).toEqual({ kind: 'alb', region: standby });
    for (const h of names.switchHolders(primary)) switches.set(h, primary, 'serving');
    await jest.advanceTimersByTimeAsync(windowMs + periodMs / 2);
    expect(target()).toEqual({ kind: 'alb', region: primary });
  });

  test('why a region is out: the unhealthy children of its check name the switch copies that voted, not the endpoint checks that passed', async () => {
    await watch(windowMs + periodMs);
    const regionCheck = model.records.find(
      (r) => r.name === config.domainName && r.failover === 'PRIMARY',
    )!.healthCheckId!;
    expect(unhealthyChildren(model, route53, regionCheck)).toEqual([]);
    for (const h of names.switchHolders(primary)) switches.set(h, primary, 'drained');
    await jest.advanceTimersByTimeAsync(windowMs + periodMs / 2);
    expect(route53.checkHealthy(regionCheck)).toBe(false);
    const out = unhealthyChildren(model, route53, regionCheck);
    expect(out.map((c) => c.kind)).toEqual(names.switchHolders(primary).map(() => 'metric'));
    expect(out.map((c) => c.label).sort()).toEqual(
      names
        .switchHolders(primary)
        .map((h) => `switch ${names.switchAlarm(primary)} in ${h}`)
        .sort(),
    );
    // Only a CALCULATED check has children.
    expect(unhealthyChildren(model, route53, out[0].id)).toEqual([]);
  });

  test('a missed publisher run in one holder while serving is one vote at most: nothing moves', async () => {
    await watch(windowMs + periodMs);
    switches.skipRuns(names.switchHolders(primary)[0], 2);
    expect(await watch(4 * windowMs)).toEqual([primary]);
  });

  test('a holder that falls silent is one vote; with a drain in the other it moves, whatever the reading', async () => {
    await watch(windowMs + periodMs);
    const [regional, edge] = names.switchHolders(primary);
    switches.setRegionUp(edge, false);
    expect(await watch(2 * windowMs)).toEqual([primary]);
    switches.set(regional, primary, 'drained');
    await jest.advanceTimersByTimeAsync(windowMs + periodMs / 2);
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });

  test('a drain through a missed publisher run in one holder: held under 1 of N; under N of N the copy votes "serving" until a whole window is drained again (the documented limit)', async () => {
    await watch(windowMs + periodMs);
    for (const h of names.switchHolders(primary)) switches.set(h, primary, 'drained');
    await watch(windowMs + periodMs);
    switches.skipRuns(names.switchHolders(primary)[0], 1);
    const seen = await watch(2 * windowMs);
    expect(seen).toEqual(reading === 'one-of-n' ? [standby] : [standby, primary]);
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });
});

describe('answers for the public name, from the synthesized chain', () => {
  // Which checker regions see each direct name as up; which ALBs have a healthy target; switch copies.
  let up: Record<string, string[] | 'all'>;
  let albUp: Record<string, boolean>;
  let switches: LocalSwitches;
  let route53: LocalRoute53;
  // A 10 s interval every 25 ms, a one-minute switch period every 150 ms: a copy falls silent only
  // after 450 ms without a publish.
  const K = 400;

  // Jest's fake clock (setTimeout and Date.now) drives the checkers, the alarms and the publishers:
  // every timer due in a settle runs, in order, with the probes' promises resolved in between, so a
  // settle is the same sequence of checks as 1 s of real time, without waiting for it (13 settles were
  // 13 s of this suite) and without a loaded machine stretching or skipping ticks.
  beforeEach(() => {
    jest.useFakeTimers();
    up = { [names.regionRecord(primary)]: 'all', [names.regionRecord(standby)]: 'all' };
    albUp = { [primary]: true, [standby]: true };
    switches = new LocalSwitches(model, K);
    switches.start();
    route53 = new LocalRoute53({
      model,
      timeScale: K,
      probe: async (check, checker) => {
        const who = up[check.fqdn];
        return { ok: who === 'all' || who.includes(checker) };
      },
      albProbe: async (region) => (albUp[region] ? 200 : 0),
      metrics: switches.metrics,
    });
    route53.start();
  });
  afterEach(() => {
    route53.stop();
    switches.stop();
    jest.useRealTimers();
  });

  // Longer than three switch periods (a silent copy, or a drain leaving the window) and many intervals.
  const settle = () => jest.advanceTimersByTimeAsync(1000);
  const target = () => route53.resolve(config.domainName).target;
  const [holder] = names.switchHolders(primary);

  test('all healthy: the primary region', async () => {
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
    expect(route53.resolve(config.domainName).ttlSeconds).toBe(60);
  });

  test('primary endpoint down: the next link (failover-2 → standby); both down: the outage page', async () => {
    up[names.regionRecord(primary)] = [];
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
    expect(route53.resolve(config.domainName).via).toEqual([
      `${config.domainName} SECONDARY`,
      `${names.chainRecord(1)} PRIMARY`,
      names.regionRecord(standby),
    ]);
    up[names.regionRecord(standby)] = [];
    await settle();
    expect(target()).toEqual({ kind: 'cloudfront' });
  });

  test('seen up from one checker region of five (20 % > 18 %) the primary stays; from none it moves', async () => {
    const [firstChecker] = (
      Object.values(model.checks).find((c) => c.kind === 'endpoint') as EndpointCheckSpec
    ).checkerRegions;
    up[names.regionRecord(primary)] = [firstChecker];
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
    up[names.regionRecord(primary)] = [];
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });

  test("shopctl's drain in every holder (the standby and the edge region): the primary moves; one holder alone is one vote; undrained it returns", async () => {
    expect(names.switchHolders(primary)).toEqual([holder, Names.EDGE_REGION]);
    switches.set(holder, primary, 'drained');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
    switches.set(Names.EDGE_REGION, primary, 'drained');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
    for (const h of names.switchHolders(primary)) switches.set(h, primary, 'serving');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
  });

  test('a region that comes back with a stale "drained" for the serving region is one vote: the serving region is never drained', async () => {
    // Earlier, the standby was drained in every holder.
    for (const h of names.switchHolders(standby)) switches.set(h, standby, 'drained');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
    // The primary region is lost, then shopctl failover writes every holder that answers: the
    // standby undrained, the primary drained (the undrain cannot reach the primary's parameter).
    up[names.regionRecord(primary)] = [];
    switches.setRegionUp(primary, false);
    const answers = (h: string) => h !== primary;
    for (const h of names.switchHolders(standby).filter(answers)) switches.set(h, standby, 'serving');
    for (const h of names.switchHolders(primary).filter(answers)) switches.set(h, primary, 'drained');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
    // The primary comes back: its publisher re-publishes its stale "drained" for the standby.
    up[names.regionRecord(primary)] = 'all';
    switches.setRegionUp(primary, true);
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });

  test('a silent copy is one vote: a lost primary region does not drain the standby, nor a silent edge region the primary; silent plus drained moves', async () => {
    // The primary region is lost: its endpoint fails and its publisher (holding the standby's switch) is silent.
    up[names.regionRecord(primary)] = [];
    switches.setRegionUp(primary, false);
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
    up[names.regionRecord(primary)] = 'all';
    switches.setRegionUp(primary, true);
    // The edge region's CloudWatch cannot be read: every region's edge copy is silent, nothing moves.
    switches.setRegionUp(Names.EDGE_REGION, false);
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
    // ... and a drain in the holder is then the second vote.
    switches.set(holder, primary, 'drained');
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });

  test('a holder that is down is one vote whatever its parameter says: with the edge copy serving, nothing moves', async () => {
    switches.set(holder, primary, 'drained');
    switches.setRegionUp(holder, false);
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: primary });
  });

  test('an ALB without a healthy target fails its alias (EvaluateTargetHealth) even while /healthz checks pass', async () => {
    albUp[primary] = false;
    await settle();
    expect(target()).toEqual({ kind: 'alb', region: standby });
  });

  test('a resolver keeps its answer for the TTL (compressed), then asks again', async () => {
    let now = 0;
    await settle();
    const resolver = new CachingResolver(route53, 10, () => now);
    expect(resolver.lookup(config.domainName).target).toEqual({ kind: 'alb', region: primary });
    up[names.regionRecord(primary)] = [];
    await settle();
    now = 5999; // 60 s TTL / 10
    expect(resolver.lookup(config.domainName).target).toEqual({ kind: 'alb', region: primary });
    now = 6000;
    expect(resolver.lookup(config.domainName).target).toEqual({ kind: 'alb', region: standby });
  });
});

test('composite rules: AND binds tighter than OR, ARNs name their alarm, anything else is refused', () => {
  expect(
    ruleToGroups('ALARM("a") OR ALARM("b") AND (ALARM("arn:x:cloudwatch:r:1:alarm:c") OR ALARM("d"))'),
  ).toEqual([['a'], ['b', 'c'], ['b', 'd']]);
  expect(() => ruleToGroups('ALARM("a") AND NOT ALARM("b")')).toThrow('NOT is not supported');
});
