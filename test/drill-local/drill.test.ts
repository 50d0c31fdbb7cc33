/**
 * The short version of `npm run drill:local`: the whole failover on this machine with real parts
 * (PostgreSQL primary + streaming standby, the bundled shop in two processes, the real canary
 * handler, the local Route 53 from the synthesized templates), time compressed 60×, the standby
 * promoted as soon as Route 53 detects the loss. Asserts outcomes, never durations: DNS moved and
 * came back, every customer bought again, no acknowledged order lost in the planned switchover, no
 * duplicate. The full run (10×, promotion on the page, the budget verdict) is `npm run drill:local`.
 */
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { formatTable, runDrill, type DrillResult } from '../../scripts/drill-local/drill';

const config = loadConfig('default');
const names = new Names(config);
const [primary, standby] = config.regions.map((r) => r.name);
let result: DrillResult;

beforeAll(async () => {
  // Customers pause 50 ms between journeys (the full run: 10 ms): still hundreds of orders around
  // each switch, at a fraction of the CPU on a machine that runs the other suites beside it.
  result = await runDrill({ timeScale: 60, workers: 2, promoteOn: 'detect', pauseMs: 50 });
  console.log(formatTable(result));
  // Bounded, generous: about 20 s on an idle machine; the bound is for a machine under heavy load.
}, 300_000);

test('the drill applies the synthesized chain, checks and TTL', () => {
  expect(result.facts).toEqual({
    chain: [names.regionRecord(primary), names.regionRecord(standby), 'cloudfront'],
    intervalSeconds: config.healthCheck.intervalSeconds,
    failureThreshold: config.healthCheck.failureThreshold,
    checkers: 5,
    ttlSeconds: 60,
  });
  expect(result.setup).toEqual({
    configName: 'default',
    workers: 2,
    promoteOn: 'detect',
    canaryFailuresToAlarm: config.canary.failuresToAlarm,
    canaryEvaluationPeriods: config.canary.evaluationPeriods,
  });
});

test('losing the primary region: Route 53 detects it, DNS moves to the standby, customers buy there after promotion', () => {
  const [lost] = result.phases;
  expect(lost.planned).toBe(false);
  expect(lost.detectSeconds).toBeGreaterThan(0);
  expect(lost.dnsPath).toBe(
    `${config.domainName} SECONDARY → ${names.chainRecord(1)} PRIMARY → ${names.regionRecord(standby)}`,
  );
  expect(lost.duplicates).toBe(0);
});

test('failing back by planned switchover: DNS returns to the primary, no acknowledged order lost, no duplicate', () => {
  const [, back] = result.phases;
  expect(back.planned).toBe(true);
  expect(back.dnsPath).toBe(`${config.domainName} PRIMARY → ${names.regionRecord(primary)}`);
  expect(back.acknowledgedLost).toBe(0);
  // "0 lost" means something only out of orders that were acknowledged in the window
  expect(back.acknowledged).toBeGreaterThan(0);
  expect(formatTable(result)).toContain(`| 0 of ${back.acknowledged} |`);
  expect(back.duplicates).toBe(0);
});
