/**
 * The whole failover on one machine, with real parts: PostgreSQL primary + streaming standby, the
 * bundled shop in each "region", the real canary handler (its CANARY_CONFIG as synthesized), a
 * local Route 53 built from the synthesized edge template, caching resolvers and a checkout load.
 *
 * Phase 1 (fast path): `shopctl`'s Route 53 control-plane step (the real code, against a local
 * control plane over the synthesized checks) takes the primary out; the time until every customer
 * is answered by the standby is measured against the stated bound, then the step is undone.
 * Phase 2 (unplanned): the primary region (shop + database) is lost under load; Route 53 detects
 * it, DNS moves down the chain, the canaries page, the on-call promotes the standby (through
 * {@link WriterPromotion}) and, as `shopctl failover` does, drains the primary and undrains the
 * standby in every holder that answers. The lost region's parameters still say the standby is
 * drained (an earlier drain that the undrain could not reach).
 * Phase 3 (primary back): the old primary returns (rebuilt as a standby) with that stale value; the
 * serving region must never leave DNS. Phase 4 (planned): a switchover moves the writer back, the
 * primary is undrained in every holder, Route 53 sees it healthy again and DNS returns.
 *
 * Time runs `timeScale` times faster than in AWS (intervals, TTLs, canary schedule and alarm
 * periods divided); the figures are reported both as measured and multiplied back.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { createHandler } from '../../lambda/canary/canary';
import { parseCanaryConfig } from '../../lambda/canary/config';
import { OUTAGE_MARKER } from '../../lambda/canary/journeys';
import { loadConfig, type ShopConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { HEALTH_MARKER, HEALTH_PATH } from '../../lib/contract/shop';
import { contentTypeFor, renderOutagePage } from '../../outage-page/render';
import { migrate } from '../../shop/src/migrations';
import { sharedTemplates } from '../../test/support/synth';
import type { WriterPromotion } from '../../cli/drill/promotion';
import { DB_HOST, DB_USER, LocalGlobalDatabase } from './database';
import { fastPathSeconds, fastPathStep, holdInStep, releaseHoldStep } from '../../cli/failover/fastSwitch';
import { controlPlaneDeps, LocalRoute53ControlPlane } from './control-plane';
import { chainOrder, readModel, type DrillModel } from './model';
import {
  CachingResolver,
  judgeResponse,
  LocalRoute53,
  unhealthyChildren,
  type AlarmReading,
  type Answer,
} from './route53';
import { bundleShop, ShopProcess, tmpDir, waitForBody } from './shops';
import { LocalSwitches } from './switches';
import {
  CheckoutLoad,
  failureGroups,
  LocalCloudWatch,
  outageSeconds,
  resolvingFetch,
  type FailureGroup,
} from './traffic';

export interface DrillOptions {
  /** Compression of time (10: a 10 s health check interval runs every second). @default 10 */
  readonly timeScale?: number;
  /** Concurrent customers. @default 4 */
  readonly workers?: number;
  /**
   * Each customer's pause between two journeys, in real milliseconds. Shorter means more orders in
   * flight when the region dies (more chances to lose one) and finer recovery times; it also means
   * more CPU. @default 10
   */
  readonly pauseMs?: number;
  /**
   * Orders acknowledged before the primary is lost: the orders the unplanned phase checks for loss.
   * @default 40
   */
  readonly ordersBeforeFault?: number;
  /** @default the `default` config */
  readonly config?: ShopConfig;
  /** When the on-call promotes the standby: on the page (realistic) or as soon as Route 53 detects. @default 'page' */
  readonly promoteOn?: 'page' | 'detect';
  /** How Route 53 counts an alarm's breaching periods (its copy has no DatapointsToAlarm). @default 'one-of-n' */
  readonly alarmReading?: AlarmReading;
  /**
   * Health checkers per checker region (see `LocalRoute53`). Each probes its endpoint check once an
   * interval with a `/healthz` that reads the database: with the default app's four endpoint checks
   * and five checker regions, three per region at 60x are 360 requests a second. The count matters
   * only for partial failures (the 18 % rule is over all checkers); a lost region fails every checker
   * at once. @default 3
   */
  readonly checkersPerRegion?: number;
  /**
   * Where the PostgreSQL servers' directories are made. The short drill in `npm test` uses tmpfs
   * (test/support/postgres.ts, `clusterParentDir`): fsync and synchronous commit stay on, and what
   * the drill counts as lost is what had not reached the standby, which the medium does not change.
   * @default the temporary directory
   */
  readonly dataParentDir?: string;
  /** Progress lines. @default silent */
  readonly log?: (line: string) => void;
}

/** Measured figures of one phase, in compressed seconds (multiply by `timeScale` for AWS time). */
export interface PhaseResult {
  readonly name: string;
  readonly planned: boolean;
  /** Route 53's view of the region changed (the chain's region check). */
  readonly detectSeconds: number | null;
  /** A paging alarm fired (unplanned phase). */
  readonly pageSeconds: number | null;
  /** Worst customer: until any page answered again (shop or outage page). */
  readonly reachSeconds: number;
  /** Worst customer: until a product page of the shop answered. */
  readonly browseSeconds: number;
  /** Worst customer: until a checkout succeeded. */
  readonly buySeconds: number;
  /** Until every customer was answered by the region DNS moved to (fast path phase). */
  readonly moveSeconds?: number | null;
  /** Time Route 53 kept the serving region out of DNS (primary-back phase), whatever the cause. */
  readonly servingOutSeconds?: number;
  /**
   * Of that, the time a switch vote (a CLOUDWATCH_METRIC child of the region's check) was among the
   * unhealthy children: the stale "drained" draining the serving region. Must be 0.
   */
  readonly servingDrainedSeconds?: number;
  /** Each time the serving region went out: the children of its check that were unhealthy then. */
  readonly servingOutCauses?: readonly string[];
  /** Orders acknowledged to a customer in the window this phase checks (the denominator of "lost"). */
  readonly acknowledged: number;
  /** Orders acknowledged to a customer and missing from the writer afterwards. */
  readonly acknowledgedLost: number;
  /** Carts with more than one order, plus order ids acknowledged twice. */
  readonly duplicates: number;
  /** Checkouts that committed but answered an error (a retry said "already checked out"). */
  readonly unacknowledgedCommits: number;
  /** Shop processes that exited on their own and were restarted by the supervisor. */
  readonly shopRestarts: number;
  readonly dnsPath: string;
  /** Failed page samples (neither a shop page nor the outage page), grouped by what answered. */
  readonly pageFailures: FailureGroup[];
  /** Failed checkouts, grouped by the answer (e.g. `checkout HTTP 503 read-only`: the honest "ordering paused" page). */
  readonly buyFailures?: FailureGroup[];
}

export interface DrillResult {
  readonly timeScale: number;
  /** How Route 53 read the switch alarms in this run. @default 'one-of-n' */
  readonly alarmReading?: AlarmReading;
  readonly budgetSeconds: number;
  readonly facts: {
    readonly chain: string[];
    readonly intervalSeconds: number;
    readonly failureThreshold: number;
    readonly checkers: number;
    readonly ttlSeconds: number;
  };
  /** How the drill was run, for the legend. */
  readonly setup: {
    readonly configName: string;
    readonly workers: number;
    readonly promoteOn: 'page' | 'detect';
    /** The canary alarms' M of N (one-minute runs), from the config. */
    readonly canaryFailuresToAlarm: number;
    readonly canaryEvaluationPeriods: number;
  };
  readonly phases: PhaseResult[];
  /** Worst of reach and browse over all phases, in AWS seconds. */
  readonly worstCaseSeconds: number;
  readonly failures: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  explain: () => string = () => '',
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`drill: timed out waiting for ${what}${explain()}`);
    await sleep(25);
  }
}

/** Reads the synthesized app into the drill model. */
export function synthesizedModel(config: ShopConfig): DrillModel {
  const names = new Names(config);
  // Synthesized once per Jest run for the suites that read the default app (route53, drill).
  const templates = sharedTemplates(config);
  const regional = Object.fromEntries(
    config.regions.map((r) => [r.name, templates[names.regionalStack(r.name)].toJSON()]),
  );
  return readModel(templates[names.edgeStack()].toJSON(), regional);
}

/** Runs the drill; never leaves a process or a data directory behind. */
export async function runDrill(options: DrillOptions = {}): Promise<DrillResult> {
  const K = options.timeScale ?? 10;
  const log = options.log ?? (() => undefined);
  const config = options.config ?? loadConfig('default');
  const names = new Names(config);
  const [primary, standby] = config.regions.map((r) => r.name);
  const publicName = config.domainName;

  log(`synthesizing ${names.edgeStack()} and the regional stacks`);
  const model = synthesizedModel(config);
  const chain = chainOrder(model, publicName);
  const primaryRecord = model.records.find((r) => r.name === publicName && r.failover === 'PRIMARY');
  const regionCheck = primaryRecord?.healthCheckId;
  if (!regionCheck) throw new Error(`${publicName} has no PRIMARY failover record with a health check`);
  const standbyCheck = model.records.find(
    (r) => r.name === names.chainRecord(1) && r.failover === 'PRIMARY',
  )?.healthCheckId;
  if (!standbyCheck)
    throw new Error(`${names.chainRecord(1)} has no PRIMARY failover record with a health check`);
  const endpoint = Object.values(model.checks).find(
    (c) => c.kind === 'endpoint' && c.fqdn === names.regionRecord(primary),
  );
  if (!endpoint || endpoint.kind !== 'endpoint')
    throw new Error(`no endpoint check on ${names.regionRecord(primary)}`);

  const cleanups: (() => Promise<void> | void)[] = [];
  const events: { at: number; what: string }[] = [];
  try {
    const db = new LocalGlobalDatabase(config.database.databaseName, options.dataParentDir);
    cleanups.push(() => db.destroy());
    const promotion: WriterPromotion = db;
    log(`PostgreSQL: primary ${primary}, streaming standby ${standby}`);
    await db.createPrimary(primary);
    await db.sql(primary, `CREATE DATABASE ${config.database.databaseName}`);
    await migrate({
      host: DB_HOST,
      port: db.node(primary).port,
      user: DB_USER,
      database: config.database.databaseName,
    });
    // Enough stock that the load never sells a product out (a sold-out product leaves the catalogue).
    await db.sql(primary, 'UPDATE products SET stock = 1000000', [], config.database.databaseName);
    await db.createStandby(standby, primary);

    log('bundling and starting the shops');
    const work = tmpDir('drill-shop-');
    cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
    const bundle = await bundleShop(work);
    const shops: Record<string, ShopProcess> = {};
    for (const region of config.regions.map((r) => r.name)) {
      shops[region] = await ShopProcess.create({
        bundle,
        region,
        role: region === primary ? 'primary' : 'standby',
        dbPort: db.node(region).port,
        database: config.database.databaseName,
        contacts: config.contacts,
        restartDelayMs: 2000 / K,
        logFile: `${work}/${region}.log`,
      });
      shops[region].start();
      cleanups.push(() => shops[region].kill());
    }
    for (const s of Object.values(shops)) await waitForBody(s.base + HEALTH_PATH, HEALTH_MARKER, 20_000);

    const outageFiles = renderOutagePage(config);
    // CloudFront in front of the private bucket: a path with no object (any shop path, such as
    // /products/1) is S3's 403 or 404, which the distribution answers with its custom error response
    // as synthesized (the outage page with a 503); a status without one passes through, empty.
    const missing =
      model.outageErrorResponses.find((e) => e.errorCode === 403) ??
      model.outageErrorResponses.find((e) => e.errorCode === 404);
    const outage = http.createServer((req, res) => {
      const file = (req.url ?? '/').split('?')[0].replace(/^\//, '') || 'index.html';
      const body = outageFiles[file];
      if (body !== undefined) {
        res.writeHead(200, { 'content-type': contentTypeFor(file) }).end(body);
        return;
      }
      const page = missing && outageFiles[missing.pagePath.replace(/^\//, '')];
      if (!missing || page === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(missing.responseCode, { 'content-type': contentTypeFor(missing.pagePath) }).end(page);
    });
    await new Promise<void>((r) => outage.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          outage.close(() => r());
          outage.closeAllConnections(); // keep-alive connections of the clients would hold close() for 5 s
        }),
    );
    const outagePort = (outage.address() as { port: number }).port;

    const ports = (t: Answer['target']) => (t.kind === 'alb' ? shops[t.region]?.port : outagePort);
    const shopUp = (region: string) => shops[region];
    // Every holder publishes "serving" for the switch copies it holds, before Route 53 reads them
    // (a copy with no data reads as drained).
    const switches = new LocalSwitches(model, K);
    switches.start();
    cleanups.push(() => switches.stop());
    const route53 = new LocalRoute53({
      model,
      timeScale: K,
      metrics: switches.metrics,
      alarmReading: options.alarmReading ?? 'one-of-n',
      checkersPerRegion: options.checkersPerRegion,
      probe: async (check, _checker, timeoutMs) => {
        const port = ports(route53.resolve(check.fqdn).target);
        try {
          const res = await fetch(`http://127.0.0.1:${port}${check.path}`, {
            signal: AbortSignal.timeout(timeoutMs),
          });
          return judgeResponse(check, res.status, await res.text());
        } catch (e) {
          return { ok: false, reason: (e as Error).message };
        }
      },
      albProbe: async (region, tg, timeoutMs) => {
        try {
          const res = await fetch(`${shopUp(region).base}${tg.path}`, {
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.arrayBuffer();
          return res.status;
        } catch {
          return 0;
        }
      },
      onChange: (what, healthy, at) =>
        events.push({ at, what: `${what} ${healthy ? 'healthy' : 'unhealthy'}` }),
    });
    route53.start();
    cleanups.push(() => route53.stop());

    // The real canary handler, one per region, as synthesized (timeouts compressed, with a floor).
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const cloudwatch = new LocalCloudWatch(model.canaryAlarms, model.pagingAlarms, K);
    const canaryPeriodMs = Math.min(...model.canaryAlarms.map((a) => a.periodSeconds)) * (1000 / K);
    let canariesRunning = true;
    // Stopping wakes the canaries from their schedule wait instead of letting it run out.
    let wake = () => undefined as void;
    const stopped = new Promise<void>((r) => (wake = r));
    const canaryLoops = Object.entries(model.canaryConfigs).map(async ([region, raw]) => {
      const r = raw as { stepTimeoutMs: number; deadlineMs: number };
      const cfg = parseCanaryConfig({
        ...r,
        stepTimeoutMs: Math.max(1000, Math.round(r.stepTimeoutMs / K)),
        deadlineMs: Math.max(3000, Math.round(r.deadlineMs / K)),
      });
      const handler = createHandler({
        config: cfg,
        fetch: resolvingFetch(new CachingResolver(route53, K), ports),
        cloudWatchFor: (to) => cloudwatch.clientFor(to),
        logger: new Logger({ logLevel: 'SILENT' }),
      });
      while (canariesRunning) {
        const started = Date.now();
        // A lost region's canary is lost with it.
        if (!cloudwatch.down.has(region)) await handler().catch(() => undefined);
        await Promise.race([sleep(Math.max(0, canaryPeriodMs - (Date.now() - started))), stopped]);
      }
      log(`canary ${region} stopped`);
    });
    cleanups.push(async () => {
      canariesRunning = false;
      wake();
      await Promise.all(canaryLoops);
    });

    log('starting the canaries and the checkout load');
    // Where each customer's resolver last sent it (a region, or the outage page).
    const answeredBy = new Map<number, string>();
    const load = new CheckoutLoad({
      publicName,
      workers: options.workers ?? 4,
      fetchFor: (worker) => {
        const resolver = new CachingResolver(route53, K);
        return resolvingFetch(
          {
            lookup: (name) => {
              const a = resolver.lookup(name);
              answeredBy.set(worker, a.target.kind === 'alb' ? a.target.region : 'outage');
              return a;
            },
          },
          ports,
        );
      },
      pauseMs: options.pauseMs ?? 10,
      requestTimeoutMs: 2000,
      outageMarker: OUTAGE_MARKER,
    });
    load.start();
    cleanups.push(() => load.stop());
    // Enough acknowledged orders before the fault that "0 lost" says something (the legend prints N).
    const before = Math.max(options.workers ?? 4, options.ordersBeforeFault ?? 40);
    // A bound against a shop that never sells, not a speed test: on a busy machine (npm test beside
    // stress-ng) 40 orders took longer than 30 s.
    await until(
      `${before} orders acknowledged before the fault`,
      120_000,
      () => load.acknowledged.length >= before,
    );

    const phases: PhaseResult[] = [];
    const ordersIn = async (region: string, ids: string[]) =>
      (
        await db.sql<{ id: string }>(
          region,
          'SELECT id::text FROM orders WHERE id = ANY($1::uuid[])',
          [ids],
          config.database.databaseName,
        )
      ).length;
    const duplicates = async (region: string) => {
      const [r] = await db.sql<{ n: string }>(
        region,
        'SELECT count(*) AS n FROM (SELECT cart_id FROM orders GROUP BY cart_id HAVING count(*) > 1) d',
        [],
        config.database.databaseName,
      );
      const ids = load.acknowledged.map((a) => a.orderId);
      return Number(r.n) + (ids.length - new Set(ids).size);
    };
    const restarts = () => Object.values(shops).reduce((n, s) => n + s.restarts, 0);
    const everyWorkerBought = (after: number) => {
      const workers = new Set(
        load.samples.filter((s) => s.what === 'buy' && s.ok && s.at > after).map((s) => s.worker),
      );
      return workers.size === (options.workers ?? 4);
    };
    const lastFailures = () => {
      const last = new Map<number, string>();
      for (const s of load.samples)
        if (s.what === 'buy') last.set(s.worker, s.ok ? 'ok' : (s.detail ?? 'failed'));
      return `; last checkout per customer: ${[...last].map(([w, d]) => `#${w} ${d}`).join(', ')}; shop exits: ${Object.entries(
        shops,
      )
        .map(([r, s]) => `${r} ${s.exits.length}`)
        .join(', ')}`;
    };
    const pageFailures = (from: number, to: number) => {
      const groups = failureGroups(load.samples, 'page', from, to);
      for (const g of groups)
        log(
          `  page failures: ${g.count} × ${g.detail}, ${((g.first - from) / 1000).toFixed(2)}–${((g.last - from) / 1000).toFixed(2)} s into the phase`,
        );
      return groups;
    };
    const waitBudgetMs = ((config.failoverBudgetSeconds * 4) / K) * 1000 + 20_000;

    // shopctl's switch writes: every holder that answers (a region that is down cannot be written).
    const shopctlSwitch = (target: string, value: 'drained' | 'serving') => {
      for (const h of names.switchHolders(target)) if (switches.isUp(h)) switches.set(h, target, value);
    };
    const everyoneOn = (where: string) =>
      answeredBy.size === (options.workers ?? 4) && [...answeredBy.values()].every((r) => r === where);
    const stepCtx = {
      signal: new AbortController().signal,
      update: () => undefined,
      changed: () => undefined,
      warn: (t: string) => log(`warning: ${t}`),
    };
    // shopctl's steps against the local control plane; its /healthz reads go to the regions' shops
    // (https://<region record>/healthz), and its waits run compressed like everything else.
    const controlPlane = controlPlaneDeps(config, new LocalRoute53ControlPlane(model), {
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        );
        const region = config.regions.find((r) => names.regionRecord(r.name) === url.hostname)?.name;
        if (!region) throw new TypeError(`fetch failed: ${url.hostname} is not a region record`);
        return fetch(`${shops[region].base}${url.pathname}`, init);
      }) as typeof fetch,
      sleep: async (ms) => {
        await sleep(ms / K);
      },
      pollMs: 1000,
      verifyTimeoutMs: waitBudgetMs * K,
    });
    const statedFastSeconds = fastPathSeconds(controlPlane);

    // Phase 1: the fast path (Route 53 control plane) takes the primary out, then is undone.
    const restartsF = restarts();
    const unackedF = load.unacknowledgedCommits.length;
    log(
      `phase 1: shopctl's fast path takes ${primary} out (region check HealthThreshold above its children)`,
    );
    const tf0 = Date.now();
    log(`phase 1: ${await fastPathStep(controlPlane, primary, true).run(stepCtx)}`);
    const fastDetected = await until(
      `Route 53 to take ${primary} out`,
      waitBudgetMs,
      () => !route53.checkHealthy(regionCheck),
    );
    const moved = await until(`every customer on ${standby}`, waitBudgetMs, () => everyoneOn(standby));
    const dnsPathFast = route53.resolve(publicName).via.join(' → ');
    log(`phase 1: restoring the deployed threshold`);
    await fastPathStep(controlPlane, primary, false).run(stepCtx);
    const restored = Date.now();
    const tf1 = await until(
      `every customer back on ${primary}, buying`,
      waitBudgetMs,
      () => everyoneOn(primary) && everyWorkerBought(restored),
      lastFailures,
    );
    const ackedF = load.acknowledged.filter((x) => x.at >= tf0 && x.at <= tf1).map((x) => x.orderId);
    phases.push({
      name: `fast path: ${primary} out by the Route 53 control plane`,
      planned: true,
      detectSeconds: (fastDetected - tf0) / 1000,
      pageSeconds: null,
      moveSeconds: (moved - tf0) / 1000,
      reachSeconds: Math.max(...outageSeconds(load.samples, 'page', tf0, tf1)),
      pageFailures: pageFailures(tf0, tf1),
      browseSeconds: Math.max(...outageSeconds(load.samples, 'browse', tf0, tf1)),
      // the standby is read-only while the writer stays in the primary: checkouts wait for the return
      buySeconds: Math.max(...outageSeconds(load.samples, 'buy', tf0, tf1)),
      acknowledged: ackedF.length,
      acknowledgedLost: ackedF.length - (await ordersIn(primary, ackedF)),
      duplicates: await duplicates(primary),
      unacknowledgedCommits: load.unacknowledgedCommits.length - unackedF,
      shopRestarts: restarts() - restartsF,
      dnsPath: dnsPathFast,
    });

    // Phase 2: the primary region is lost.
    const restarts0 = restarts();
    const unacked0 = load.unacknowledgedCommits.length;
    const ackedBefore = () => load.acknowledged.filter((a) => a.at < t0).map((a) => a.orderId);
    log(`phase 2: losing ${primary} (shop SIGKILL + database immediate shutdown) under load`);
    const t0 = Date.now();
    await shops[primary].kill();
    db.crash(primary);
    // The region's switch publisher and CloudWatch go with it: its copies of the other regions'
    // switches fall silent (one vote for "drained" each, never enough alone).
    switches.setRegionUp(primary, false);
    cloudwatch.down.add(primary);
    // What an earlier drain of the standby left in the lost region's parameters: the failover's
    // undrain cannot reach it, and it comes back with the region.
    switches.leave(primary, standby, 'drained');
    const detected = await until(
      `Route 53 to see ${primary} down`,
      waitBudgetMs,
      () => !route53.checkHealthy(regionCheck),
    );
    const paged = await until('a page', waitBudgetMs, () =>
      options.promoteOn === 'detect' ? true : cloudwatch.paged(Date.now()).length > 0,
    );
    const pagedAt = options.promoteOn === 'detect' ? null : paged;
    log(
      `phase 2: shopctl failover --to ${standby} --unplanned (undrain ${standby}, drain ${primary}, promote)`,
    );
    shopctlSwitch(standby, 'serving');
    shopctlSwitch(primary, 'drained');
    await promotion.promote(standby, true);
    await promotion.waitForWriter(standby, () => undefined);
    const promoted = Date.now();
    const t1 = await until(
      'every customer to buy again',
      waitBudgetMs,
      () => everyWorkerBought(promoted),
      lastFailures,
    );
    const lost1 = ackedBefore();
    phases.push({
      name: `unplanned: ${primary} lost`,
      planned: false,
      detectSeconds: (detected - t0) / 1000,
      pageSeconds: pagedAt === null ? null : (pagedAt - t0) / 1000,
      reachSeconds: Math.max(...outageSeconds(load.samples, 'page', t0, t1)),
      pageFailures: pageFailures(t0, t1),
      browseSeconds: Math.max(...outageSeconds(load.samples, 'browse', t0, t1)),
      buySeconds: Math.max(...outageSeconds(load.samples, 'buy', t0, t1)),
      acknowledged: lost1.length,
      acknowledgedLost: lost1.length - (await ordersIn(standby, lost1)),
      duplicates: await duplicates(standby),
      unacknowledgedCommits: load.unacknowledgedCommits.length - unacked0,
      shopRestarts: restarts() - restarts0,
      dnsPath: route53.resolve(publicName).via.join(' → '),
    });

    // Phase 3: the primary comes back with its stale "drained" for the standby.
    const restartsB = restarts();
    const unackedB = load.unacknowledgedCommits.length;
    log(
      `phase 3: rebuilding ${primary} as a standby of ${standby}; its parameters still say ${standby} is drained`,
    );
    await db.createStandby(primary, standby);
    // The rebuild runs its tools synchronously (the event loop, and with it every local publisher,
    // checker and customer, stands still meanwhile): let each run again for a whole alarm window
    // and a detection before the region comes back, so the measurement sees the system, not the tool.
    const switchWindowMs =
      (Math.max(...Object.values(model.metricAlarms).map((a) => a.periodSeconds * a.evaluationPeriods)) *
        1000) /
      K;
    const detectionMs = (endpoint.intervalSeconds * endpoint.failureThreshold * 1000) / K;
    await sleep(switchWindowMs + detectionMs);
    const tb0 = Date.now();
    const standbyOut: { from: number; to?: number; causes: string[]; switchVote: boolean }[] = [];
    let watching = true;
    cleanups.push(() => {
      watching = false;
    });
    const watchStandby = (async () => {
      while (watching) {
        const out = !route53.checkHealthy(standbyCheck);
        const last = standbyOut[standbyOut.length - 1];
        if (out && (!last || last.to !== undefined)) {
          // Which votes took it out: a switch copy (the defect this phase is about) or the region's
          // own endpoint checks (its shop failed /healthz, e.g. starved of CPU on a loaded machine).
          const causes = unhealthyChildren(model, route53, standbyCheck);
          standbyOut.push({
            from: Date.now(),
            causes: causes.map((c) => c.label),
            switchVote: causes.some((c) => c.kind !== 'endpoint'),
          });
        }
        if (!out && last && last.to === undefined) last.to = Date.now();
        await sleep(10);
      }
    })();
    switches.setRegionUp(primary, true);
    cloudwatch.down.delete(primary);
    shops[primary].start();
    await until(`${primary} shop to answer`, 20_000, async () => {
      try {
        return (
          (await fetch(shops[primary].base + HEALTH_PATH, { signal: AbortSignal.timeout(1000) })).status > 0
        );
      } catch {
        return false;
      }
    });
    // Long enough for every copy the returning region publishes to count: the alarms' whole window,
    // and an alias TTL for customers' resolvers to ask again.
    const ttlMsB = (route53.resolve(publicName).ttlSeconds * 1000) / K;
    await sleep(switchWindowMs + ttlMsB);
    watching = false;
    await watchStandby;
    const tb1 = Date.now();
    for (const e of events.filter((x) => x.at >= tb0))
      log(`phase 3: ${((e.at - tb0) / 1000).toFixed(2)} s ${e.what}`);
    const ackedB = load.acknowledged.filter((x) => x.at >= tb0 && x.at <= tb1).map((x) => x.orderId);
    const outMs = standbyOut.reduce((n, o) => n + ((o.to ?? tb1) - o.from), 0);
    const drainedMs = standbyOut
      .filter((o) => o.switchVote)
      .reduce((n, o) => n + ((o.to ?? tb1) - o.from), 0);
    phases.push({
      name: `${primary} back, stale "drained" for ${standby}`,
      planned: false,
      detectSeconds: null,
      pageSeconds: null,
      servingOutSeconds: outMs / 1000,
      servingDrainedSeconds: drainedMs / 1000,
      servingOutCauses: standbyOut.map((o) => o.causes.join(' + ')),
      reachSeconds: Math.max(...outageSeconds(load.samples, 'page', tb0, tb1)),
      pageFailures: pageFailures(tb0, tb1),
      browseSeconds: Math.max(...outageSeconds(load.samples, 'browse', tb0, tb1)),
      buySeconds: Math.max(...outageSeconds(load.samples, 'buy', tb0, tb1)),
      acknowledged: ackedB.length,
      acknowledgedLost: ackedB.length - (await ordersIn(standby, ackedB)),
      duplicates: await duplicates(standby),
      unacknowledgedCommits: load.unacknowledgedCommits.length - unackedB,
      shopRestarts: restarts() - restartsB,
      dnsPath: route53.resolve(publicName).via.join(' → '),
    });

    // Phase 4: planned fail back (shopctl failback: switchover, verify, undrain the primary).
    const restarts1 = restarts();
    const unacked1 = load.unacknowledgedCommits.length;
    log(`phase 4: planned switchover back to ${primary}, then undrain it in every holder`);
    // Customers can only be affected from the switchover on: the rebuild serves no one.
    const t2 = Date.now();
    // shopctl failback: the serving region held in DNS while the switchover makes its database
    // unavailable (the primary is still drained), released once its /healthz is back.
    log(`phase 4: ${await holdInStep(controlPlane, standby).run(stepCtx)}`);
    await promotion.promote(primary, false);
    await promotion.waitForWriter(primary, () => undefined);
    const switched = Date.now();
    log(`phase 4: ${await releaseHoldStep(controlPlane, standby).run(stepCtx)}`);
    shopctlSwitch(primary, 'serving');
    const back = await until(`Route 53 to see ${primary} healthy`, waitBudgetMs, () =>
      route53.checkHealthy(regionCheck),
    );
    // Customers return once their cached answer expires.
    const ttlMs = (route53.resolve(publicName).ttlSeconds * 1000) / K;
    const t3 = await until(
      'every customer to buy on the primary again',
      waitBudgetMs,
      () => Date.now() > back + ttlMs && everyWorkerBought(back + ttlMs),
    );
    await load.stop();
    for (const e of events.filter((x) => x.at >= t2))
      log(`phase 4: ${((e.at - t2) / 1000).toFixed(2)} s ${e.what}`);
    const phase2Acked = load.acknowledged.filter((a) => a.at >= promoted).map((a) => a.orderId);
    phases.push({
      name: `planned: fail back to ${primary}`,
      planned: true,
      detectSeconds: (back - t2) / 1000,
      pageSeconds: null,
      reachSeconds: Math.max(...outageSeconds(load.samples, 'page', t2, t3)),
      pageFailures: pageFailures(t2, t3),
      buyFailures: failureGroups(load.samples, 'buy', t2, t3),
      browseSeconds: Math.max(...outageSeconds(load.samples, 'browse', t2, t3)),
      buySeconds: Math.max(...outageSeconds(load.samples, 'buy', t2, t3)),
      acknowledged: phase2Acked.length,
      acknowledgedLost: phase2Acked.length - (await ordersIn(primary, phase2Acked)),
      duplicates: await duplicates(primary),
      unacknowledgedCommits: load.unacknowledgedCommits.length - unacked1,
      shopRestarts: restarts() - restarts1,
      dnsPath: route53.resolve(publicName).via.join(' → '),
    });
    log(`phase 4: switchover ${((switched - t2) / 1000).toFixed(2)} s (local time, not compressed)`);

    const worst = Math.max(...phases.map((p) => Math.max(p.reachSeconds, p.browseSeconds))) * K;
    const failures: string[] = [];
    if (worst > config.failoverBudgetSeconds)
      failures.push(
        `worst case ${worst.toFixed(0)} s (reach/browse, AWS time) exceeds failoverBudgetSeconds = ${config.failoverBudgetSeconds}`,
      );
    for (const p of phases) {
      if (p.moveSeconds != null && p.moveSeconds * K > statedFastSeconds)
        failures.push(
          `${p.name}: customers moved in ${(p.moveSeconds * K).toFixed(0)} s, above the stated ${statedFastSeconds} s`,
        );
      if (p.servingDrainedSeconds)
        failures.push(
          `${p.name}: a switch vote took the serving region out of DNS for ${(p.servingDrainedSeconds * K).toFixed(0)} s (AWS time); unhealthy then: ${p.servingOutCauses?.join('; ')}`,
        );
      else if (p.servingOutSeconds)
        failures.push(
          `${p.name}: the serving region's own endpoint checks failed for ${(p.servingOutSeconds * K).toFixed(0)} s (AWS time), no switch vote among them (${p.servingOutCauses?.join('; ')}): its shop missed /healthz, look at the machine's load`,
        );
      if (p.planned && p.acknowledgedLost > 0)
        failures.push(`${p.name}: ${p.acknowledgedLost} acknowledged orders lost`);
      if (p.duplicates > 0) failures.push(`${p.name}: ${p.duplicates} duplicate orders`);
    }
    return {
      timeScale: K,
      alarmReading: options.alarmReading ?? 'one-of-n',
      budgetSeconds: config.failoverBudgetSeconds,
      facts: {
        chain,
        intervalSeconds: endpoint.intervalSeconds,
        failureThreshold: endpoint.failureThreshold,
        checkers: endpoint.checkerRegions.length,
        ttlSeconds: route53.resolve(publicName).ttlSeconds,
      },
      setup: {
        configName: config.configName,
        workers: options.workers ?? 4,
        promoteOn: options.promoteOn ?? 'page',
        canaryFailuresToAlarm: config.canary.failuresToAlarm,
        canaryEvaluationPeriods: config.canary.evaluationPeriods,
      },
      phases,
      worstCaseSeconds: worst,
      failures,
    };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // best effort: keep cleaning
      }
    }
  }
}

/** The per-phase table, compressed and AWS-time figures side by side. */
export function formatTable(r: DrillResult): string {
  const K = r.timeScale;
  const t = (s: number | null) => (s === null ? '—' : `${s.toFixed(2)} s / ${(s * K).toFixed(0)} s`);
  const rows: string[][] = [
    [
      'phase',
      'detect',
      'page (on-call)',
      'reach a page',
      'browse',
      'buy',
      'all customers moved',
      'serving region out',
      'lost (of acked)',
      'duplicates',
      'unacked commits',
      'shop restarts',
    ],
    ...r.phases.map((p) => [
      p.name,
      t(p.detectSeconds),
      t(p.pageSeconds),
      t(p.reachSeconds),
      t(p.browseSeconds),
      t(p.buySeconds),
      p.moveSeconds === undefined ? '' : t(p.moveSeconds),
      p.servingOutSeconds === undefined ? '' : t(p.servingOutSeconds),
      `${p.acknowledgedLost} of ${p.acknowledged}`,
      String(p.duplicates),
      String(p.unacknowledgedCommits),
      String(p.shopRestarts),
    ]),
  ];
  const md = rows.map((row) => `| ${row.join(' | ')} |`);
  md.splice(1, 0, `|${rows[0].map(() => '---').join('|')}|`);
  return [
    `time compressed ${K}×: figures are "measured / AWS-time equivalent (× ${K})"`,
    `Route 53 reads the switch alarms as ${r.alarmReading === 'all-of-n' ? 'N of N' : '1 of N'} breaching periods`,
    `chain: ${r.facts.chain.join(' → ')}; checks every ${r.facts.intervalSeconds} s × ${r.facts.failureThreshold} from ${r.facts.checkers} checker regions; TTL ${r.facts.ttlSeconds} s`,
    ...md,
    `worst case (reach/browse): ${r.worstCaseSeconds.toFixed(0)} s of a ${r.budgetSeconds} s budget → ${r.failures.length ? 'FAIL' : 'PASS'}`,
    ...r.failures.map((f) => `  - ${f}`),
  ].join('\n');
}

/**
 * What the table's columns and counts mean, for this run: the time scale, how many customers, when
 * the standby was promoted and why buying waits for it.
 */
export function formatLegend(r: DrillResult): string {
  const K = r.timeScale;
  const { workers, promoteOn, canaryFailuresToAlarm: m, canaryEvaluationPeriods: n } = r.setup;
  const unplanned = r.phases.find((p) => p.name.startsWith('unplanned'));
  const planned = r.phases.find((p) => p.name.startsWith('planned'));
  const promotedWhen =
    promoteOn === 'page'
      ? 'the on-call promotes the standby when the page arrives (DRILL_PROMOTE_ON=detect promotes at detection instead)'
      : 'the standby is promoted as soon as Route 53 detects the loss (DRILL_PROMOTE_ON=detect), not when the page arrives';
  return [
    `Legend (config "${r.setup.configName}", ${workers} customers shopping in a loop, time compressed ${K}×):`,
    `  every time is "measured / AWS-time equivalent (× ${K})", from the fault (unplanned) or from the switchover (planned), for the worst customer`,
    "  detect          Route 53's region check of the lost (or returning) region changed state",
    `  page (on-call)  the first paging alarm: "down from at least two vantage points", each failing ${m} of ${n} one-minute canary runs; the lost region's own canary is gone with it`,
    '  reach a page    until the customer got any page again: the shop in another region, or the outage page',
    '  browse          until a product page of the shop answered again (read-only is enough)',
    `  all customers moved  (fast path) until every customer's resolver sent it to the next region, from shopctl's fast-path step; above the stated bound is a failure`,
    '  serving region out   (primary back) how long Route 53 kept the serving region out of DNS while the old primary returned with a stale "drained" for it (must be 0)',
    `  buy             until a checkout succeeded again. Writes need the standby's database promoted to writer, and ${promotedWhen}: so buy comes after page, and the failover budget covers reach and browse, not buy`,
    `  lost (of acked) orders the shop acknowledged (201 with an order id) and that the writer does not have afterwards, out of the orders acknowledged in the window: before the fault for the unplanned phase${unplanned ? ` (${unplanned.acknowledged})` : ''}, after the promotion for the planned one${planned ? ` (${planned.acknowledged})` : ''}. An unplanned failover may lose what had not replicated; a planned switchover must lose none`,
    '  duplicates      carts with more than one order, plus order ids acknowledged twice (must be 0)',
    '  unacked commits checkouts that committed but answered an error (the retry said "already checked out"): the customer was not told their order went through',
    "  shop restarts   shop processes that exited on their own and were restarted by the supervisor (the web tier's systemd unit)",
  ].join('\n');
}
