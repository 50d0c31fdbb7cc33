/**
 * The fast path of `shopctl failover` (the Route 53 control-plane step), run as it is against the
 * local Route 53 built from the synthesized templates: which region answers the public name, as a
 * caching resolver sees it, within the stated time. The drain switches stay "serving" in these
 * tests, so only the fast path can move traffic.
 */
import { fastPathSeconds, fastPathStep } from '../../cli/failover/fastSwitch';
import type { StepContext } from '../../cli/action/steps';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { controlPlaneDeps, LocalRoute53ControlPlane } from '../../scripts/drill-local/control-plane';
import { synthesizedModel } from '../../scripts/drill-local/drill';
import type { DrillModel } from '../../scripts/drill-local/model';
import { CachingResolver, LocalRoute53 } from '../../scripts/drill-local/route53';
import { LocalSwitches } from '../../scripts/drill-local/switches';

const config = loadConfig('default');
const names = new Names(config);
const [primary, standby] = config.regions.map((r) => r.name);
// A 10 s interval every 25 ms: the stated 90 s are 225 ms of the fake clock.
const K = 400;

let model: DrillModel;
let plane: LocalRoute53ControlPlane;
let switches: LocalSwitches;
let route53: LocalRoute53;
let up: Record<string, boolean>;
const warnings: string[] = [];
const ctx: StepContext = {
  signal: new AbortController().signal,
  update: () => undefined,
  changed: () => undefined,
  warn: (t) => warnings.push(t),
};

beforeEach(() => {
  jest.useFakeTimers();
  warnings.length = 0;
  model = synthesizedModel(config); // a fresh model: the control plane changes its checks
  plane = new LocalRoute53ControlPlane(model);
  up = { [names.regionRecord(primary)]: true, [names.regionRecord(standby)]: true };
  switches = new LocalSwitches(model, K);
  switches.start();
  route53 = new LocalRoute53({
    model,
    timeScale: K,
    probe: async (check) => ({ ok: up[check.fqdn] }),
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

const settle = () => jest.advanceTimersByTimeAsync(1000);
const deps = () => controlPlaneDeps(config, plane);
const statedMs = () => (fastPathSeconds(deps()) * 1000) / K;

test('the fast path moves customers off a healthy region within the stated 90 s, with no drain switch', async () => {
  await settle();
  const resolver = new CachingResolver(route53, K);
  expect(resolver.lookup(config.domainName).target).toEqual({ kind: 'alb', region: primary });
  const detail = await fastPathStep(deps(), primary, true).run(ctx);
  expect(warnings).toEqual([]);
  expect(detail).toContain('fast path acted');
  await jest.advanceTimersByTimeAsync(statedMs());
  expect(resolver.lookup(config.domainName).target).toEqual({ kind: 'alb', region: standby });
});

test('the fast path on a region that is already down never brings customers back to it', async () => {
  up[names.regionRecord(primary)] = false;
  await settle();
  expect(route53.resolve(config.domainName).target).toEqual({ kind: 'alb', region: standby });
  await fastPathStep(deps(), primary, true).run(ctx);
  await settle();
  expect(route53.resolve(config.domainName).target).toEqual({ kind: 'alb', region: standby });
});

test('restoring (failback) returns customers, and the restored check is judged by its real health again', async () => {
  await settle();
  await fastPathStep(deps(), primary, true).run(ctx);
  await settle();
  expect(route53.resolve(config.domainName).target).toEqual({ kind: 'alb', region: standby });
  await fastPathStep(deps(), primary, false).run(ctx);
  await settle();
  expect(route53.resolve(config.domainName).target).toEqual({ kind: 'alb', region: primary });
  up[names.regionRecord(primary)] = false;
  await settle();
  expect(route53.resolve(config.domainName).target).toEqual({ kind: 'alb', region: standby });
  expect(warnings).toEqual([]);
});

test('a re-run is idempotent: one update, then "already"', async () => {
  await settle();
  await fastPathStep(deps(), primary, true).run(ctx);
  expect(await fastPathStep(deps(), primary, true).run(ctx)).toMatch(/already/);
  expect(plane.updates).toHaveLength(1);
});
