/**
 * `shopctl drill SCENARIO`: a game day in a real account. Preflight (the template exists, its stop
 * conditions and the shop's paging alarms are OK, every failover target passes the readiness check
 * of `shopctl check`), confirmation, a baseline journey of the probe customer, StartExperiment,
 * then a watch of the experiment, the canary alarms, the paging alarms, the Route 53 alarms
 * (us-east-1) and the probe customer that records a timeline; Ctrl-C stops the experiment; after it,
 * the probe waits for the shop to take orders again and reads every acknowledged order back; the
 * end is a markdown report ready to become the postmortem.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DRILL_HEADER } from '../../lib/contract/shop';
import {
  LAMBDA_SCENARIO_IDS,
  SCENARIO_IDS,
  SCENARIO_TAG,
  type ScenarioId,
  WRITER_SCENARIO_IDS,
} from '../../lib/fis/scenarios';
import { renderReadiness } from '../readiness/render';
import type { CapacityClientsFor } from '../capacity/capacity';
import type { SyntheticCheckouts } from './payment-checkouts';
import type { CallContext } from '../aws/deadline';
import type { Deps } from '../aws/deps';
import type { FisApi, FisExperiment, FisTemplate } from './fis';
import { PROBE_STEPS, type Probe, type ProbeStep, type ProbeTransition } from './probe';
import { aws, CliError, EXIT, UsageError } from '../aws/errors';
import { drillFindings, renderDrillReport } from './report';
import type { DrillRun, TimelineEvent } from './run';
import { checkReadiness } from '../readiness/readiness';

export interface DrillFlags {
  /** Region whose experiment runs. @default the config's primary region */
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  /** Start although an alarm is in ALARM, a failover target is not ready or the probe cannot buy. */
  readonly force?: boolean;
  /** Report file. @default drill-SCENARIO-REGION-TIME.md in the working directory */
  readonly report?: string;
  /** Give up watching (and stop the experiment) after this long. @default 60 */
  readonly maxMinutes?: number;
  /** After the experiment, wait this long for the shop to take the probe's order again. @default 10 */
  readonly settleMinutes?: number;
}

/** The probe's two contexts: during the experiment (Ctrl-C cuts it) and after (read-back). */
export interface ProbeContexts {
  readonly live: CallContext;
  readonly after: CallContext;
}

export interface DrillIo {
  /** FIS of `region`, its calls bounded by `ctx` (the run before the start; after it, Ctrl-C must not cancel StopExperiment). */
  readonly fis: (region: string, ctx: CallContext) => FisApi;
  /** Aborted on Ctrl-C: the experiment is stopped. */
  readonly signal: AbortSignal;
  readonly writeFile: (path: string, text: string) => void;
  /** Clients for the readiness check of the failover targets (as `shopctl check`). */
  readonly capacity: CapacityClientsFor;
  /** The probe customer on the shop's public name. */
  readonly probe: (ctx: ProbeContexts) => Probe;
  /**
   * The payment drill's synthetic checkouts against a region's shop (cli/drill/payment-checkouts.ts);
   * default: real fetch, signed with the test-signing key.
   */
  readonly paymentCheckouts?: (o: { baseUrl: string; timeoutMs: number }) => SyntheticCheckouts;
}

const TERMINAL = new Set(['completed', 'stopped', 'failed', 'cancelled']);
const alarmName = (arn: string) => arn.split(':alarm:')[1] ?? arn;

/** The experiment template of `scenario` in `region` (found by its scenario tag). */
export async function findTemplate(fis: FisApi, scenario: string, region: string): Promise<FisTemplate> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await fis.listExperimentTemplates(token);
    for (const t of page.templates) {
      const tag = t.tags?.[SCENARIO_TAG];
      if (tag) found.push(tag);
      if (tag === scenario) return fis.getExperimentTemplate(t.id);
    }
    token = page.nextToken;
  } while (token);
  throw new UsageError(
    `No experiment template for "${scenario}" in ${region} (found: ${found.length ? found.join(', ') : 'none'}). ` +
      `Fix: deploy the regional stack of ${region} (its GameDays construct creates the templates).`,
  );
}

/** Alarm states, by name, of the alarms whose names start with the app's prefix in `region`. */
async function alarmStates(d: Deps, region: string, ctx: CallContext = d): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  let token: string | undefined;
  do {
    const NextToken = token;
    // Under the run's deadline and Ctrl-C, like every other shopctl call.
    const r = await aws(ctx, region, 'cloudwatch:DescribeAlarms', (o) =>
      d.clients(region).cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${d.config.appName}-`,
          AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
          ...(NextToken && { NextToken }),
        }),
        o,
      ),
    );
    for (const a of [...(r.MetricAlarms ?? []), ...(r.CompositeAlarms ?? [])])
      if (a.AlarmName) states.set(a.AlarmName, a.StateValue ?? 'INSUFFICIENT_DATA');
    token = r.NextToken;
  } while (token);
  return states;
}

/** What an alarm going to ALARM means on the timeline. */
function classify(d: Deps, region: string, name: string): TimelineEvent['kind'] | undefined {
  const app = d.config.appName;
  // The edge stack's alarms on the Route 53 region checks (lib/failover/dns-failover.ts).
  if (region === d.globalRegion) return name.startsWith(`${app}-route53-`) ? 'dns' : undefined;
  if (name === d.names.gameDayBrakeAlarm()) return 'brake';
  if (name.startsWith(`${app}-down-`)) return 'page';
  if (name.startsWith(`${app}-canary-`) && !name.includes('not-running')) return 'canary';
  return undefined;
}

/** What an alarm going to ALARM means, by the kind `classify` gives it. */
const ALARM_LABEL: Partial<Record<NonNullable<TimelineEvent['kind']>, string>> = {
  page: 'page sent',
  canary: 'canary failing',
  dns: 'Route 53 check unhealthy (DNS moves)',
  brake: 'stop condition fired (customers failing from two vantage points): FIS stops the experiment',
};

/** Regions a failover would move customers to when `region` is hit: the other standbys. */
function failoverTargets(d: Deps, region: string): string[] {
  return d.config.regions.filter((r) => r.name !== region && r.role === 'standby').map((r) => r.name);
}

const STEP_WORDS: Record<ProbeStep, [down: string, up: string]> = {
  reach: ['cannot reach a page', 'reaches a page again'],
  browse: ['cannot browse', 'browses again'],
  buy: ['cannot buy', 'buys again'],
};

function describePlan(scenario: string, region: string, t: FisTemplate): string[] {
  return [
    `Game day: ${scenario} in ${region}`,
    `  template ${t.id}: ${t.description ?? ''}`,
    ...Object.entries(t.actions ?? {}).map(
      ([id, a]) =>
        `  action ${id}: ${a.actionId}${a.parameters ? ` ${JSON.stringify(a.parameters)}` : ''}${a.description ? ` (${a.description})` : ''}`,
    ),
    ...(t.stopConditions ?? []).map(
      (s) => `  stops when ${s.value ? alarmName(s.value) : s.source} goes to ALARM`,
    ),
  ];
}

/** Runs `shopctl drill`; returns the exit code. */
export async function drill(d: Deps, io: DrillIo, scenario: string, f: DrillFlags): Promise<number> {
  if (!(SCENARIO_IDS as readonly string[]).includes(scenario)) {
    throw new UsageError(`Unknown scenario "${scenario}". Fix: use one of ${SCENARIO_IDS.join(', ')}`);
  }
  const region = f.region ?? d.config.regions[0].name;
  if (!d.config.regions.some((r) => r.name === region)) {
    throw new UsageError(
      `--region ${region} is not a region of the config. Fix: use one of ${d.config.regions.map((r) => r.name).join(', ')}`,
    );
  }
  // Scenarios the config does not deploy in this region: say why, before any AWS call.
  if (LAMBDA_SCENARIO_IDS.includes(scenario as ScenarioId) && !d.config.gameDays.lambdaFaultInjection) {
    throw new UsageError(
      `"${scenario}" needs FIS's Lambda extension on the functions, and the config has gameDays.lambdaFaultInjection off. ` +
        'Fix: set "gameDays": { "lambdaFaultInjection": true } in the config and deploy the regional stacks (docs/runbook.md, "Scenarios").',
    );
  }
  if (WRITER_SCENARIO_IDS.includes(scenario as ScenarioId) && region !== d.config.primaryRegion) {
    throw new UsageError(
      `"${scenario}" exists only where the Aurora writer lives in normal operation. Fix: --region ${d.config.primaryRegion}`,
    );
  }
  const fis = io.fis(region, d);

  // Preflight.
  const template = await findTemplate(fis, scenario, region);
  const stopAlarms = (template.stopConditions ?? []).filter((s) => s.value).map((s) => alarmName(s.value!));
  if (stopAlarms.length === 0) {
    throw new CliError(
      `Template ${template.id} has no stop condition: refusing to run a game day without a brake.`,
      EXIT.failed,
    );
  }
  const baseline = new Map([...(await alarmStates(d, region)), ...(await alarmStates(d, d.globalRegion))]);
  const missing = stopAlarms.filter((n) => !baseline.has(n));
  const firing = [...baseline].filter(([, s]) => s === 'ALARM').map(([n]) => n);
  // The same checks as `shopctl check`, for where customers would go.
  const targets = failoverTargets(d, region);
  const readiness = targets.length ? await checkReadiness(d, io.capacity, targets) : [];
  const settleMinutes = f.settleMinutes ?? 10;
  // The after-start context: bounded by the call deadline, not cancelled by Ctrl-C (which must reach
  // StopExperiment). A second Ctrl-C still exits at once (main.ts).
  const after: CallContext = { signal: new AbortController().signal, callTimeoutMs: d.callTimeoutMs };
  const probe = io.probe({
    live: { signal: io.signal, callTimeoutMs: d.httpTimeoutMs },
    after: { ...after, callTimeoutMs: d.httpTimeoutMs },
  });
  for (const line of describePlan(scenario, region, template)) d.out(line);
  if (readiness.length) {
    d.out(`  failover target readiness (npx shopctl check):`);
    for (const line of renderReadiness(readiness, d.color).split('\n')) d.out(`    ${line}`);
  } else {
    d.out(`  failover target readiness: no standby besides ${region}`);
  }
  d.out(
    `  probe customer: ${probe.baseUrl} (reach a page, browse, buy: real drill orders marked ${DRILL_HEADER}), ` +
      `then waits up to ${settleMinutes} min for orders to be taken again and reads every acknowledged order back`,
  );
  if (missing.length) {
    throw new CliError(
      `Stop-condition alarm(s) not found: ${missing.join(', ')}. Fix: deploy the regional stack of ${region}.`,
      EXIT.failed,
    );
  }
  if (firing.length && !f.force) {
    throw new CliError(
      `Not a clean baseline, in ALARM: ${firing.join(', ')}. Fix: resolve them first (npx shopctl status), or pass --force to start anyway.`,
      EXIT.failed,
    );
  }
  const unready = readiness.filter((r) => r.ready !== true);
  if (unready.length && !f.force) {
    const what = unready
      .map((r) =>
        r.ready === null
          ? `${r.region} UNKNOWN (${r.error ?? 'not judged'})`
          : `${r.region} NOT READY (${r.checks
              .filter((c) => !c.ok)
              .map((c) => `${c.check}: ${c.detail}`)
              .join('; ')})`,
      )
      .join(', ');
    throw new CliError(
      `Failover target not ready: ${what}. A failover during the game day could fail. ` +
        `Fix: make it READY first ("npx shopctl check" shows every check; docs/runbook.md, 2b. Readiness), ` +
        `or pass --force to start anyway.`,
      EXIT.failed,
    );
  }
  if (f.dryRun) {
    d.out('Dry run: nothing started.');
    return EXIT.ok;
  }
  if (!f.yes) {
    if (!d.interactive)
      throw new UsageError('Refusing to start a fault experiment without --yes in a non-interactive shell.');
    if (!(await d.confirm(`Inject "${scenario}" into ${region} now?`, d.signal))) {
      d.out('Not started; nothing changed.');
      return EXIT.ok;
    }
  }

  // The probe's baseline: a customer can buy before the fault, or the drill measures nothing.
  const base = await probe.round();
  if (base.servedBy) d.out(`Probe customer served by ${base.servedBy} before the fault.`);
  const broken = PROBE_STEPS.filter((s) => base[s]?.ok === false);
  if (broken.length) {
    const why = broken.map((s) => `${s}: ${base[s]!.reason ?? 'failed'}`).join('; ');
    if (!f.force)
      throw new CliError(
        `The probe customer fails before the fault (${why}) on ${probe.baseUrl}. Fix: check that the ` +
          `shop answers there from this machine (npx shopctl status), or pass --force to start anyway (the ` +
          `customer measures will then be wrong).`,
        EXIT.failed,
      );
    d.err(`probe customer fails before the fault (${why}); starting anyway (--force)`);
  }

  const timeline: TimelineEvent[] = [];
  const note = (what: string, kind?: TimelineEvent['kind'], at = d.now()) => {
    const e = { at, what, ...(kind && { kind }) };
    timeline.push(e);
    d.out(`${e.at.toISOString()}  ${what}`);
  };
  const live = io.fis(region, after);
  const started = await live.startExperiment({
    experimentTemplateId: template.id,
    clientToken: `${scenario}-${d.now().getTime()}`,
    tags: { Name: `${d.config.appName} game day ${scenario}`, [SCENARIO_TAG]: scenario, operator: d.osUser },
  });
  note(`experiment ${started.id} started`, 'started');
  const transitions: ProbeTransition[] = [];
  probe.start(
    (t) => {
      transitions.push(t);
      const [down, up] = STEP_WORDS[t.step];
      if (t.step === 'buy' && t.ok) note('writes restored: the probe customer buys again', 'writes', t.at);
      else note(`probe customer ${t.ok ? up : down}${t.reason ? `: ${t.reason}` : ''}`, 'customer', t.at);
    },
    (s) =>
      note(`probe customer served by ${s.servedBy}${s.before ? ` (was ${s.before})` : ''}`, 'served', s.at),
  );

  let experiment: FisExperiment = started;
  let stopRequested = false;
  let interrupted = false;
  // d.sleep ends early on Ctrl-C (so the stop is sent at once) and, once interrupted, at once every
  // time: from then on a plain timer paces the polls.
  const pause = (ms: number) =>
    d.sleep(ms).catch(() => (interrupted ? new Promise<void>((r) => setTimeout(r, ms)) : undefined));
  const seen = new Map(baseline);
  const deadline = d.now().getTime() + (f.maxMinutes ?? 60) * 60_000;
  let faultNoted = false;
  try {
    for (;;) {
      if (io.signal.aborted && !stopRequested) {
        stopRequested = true;
        interrupted = true;
        note('operator pressed Ctrl-C: stopping the experiment');
        experiment = await live.stopExperiment(started.id);
      } else if (!stopRequested && d.now().getTime() > deadline) {
        stopRequested = true;
        note(`still running after ${f.maxMinutes ?? 60} minutes: stopping the experiment`);
        experiment = await live.stopExperiment(started.id);
      }
      try {
        experiment = await live.getExperiment(started.id);
      } catch (e) {
        d.err(`could not read the experiment (${(e as Error).message}); retrying`);
      }
      if (!faultNoted && experiment.state.status === 'running') {
        faultNoted = true;
        note('fault injected (experiment running)', 'fault');
      }
      for (const r of [region, d.globalRegion]) {
        let states: Map<string, string>;
        try {
          states = await alarmStates(d, r, after);
        } catch (e) {
          d.err(`could not read alarms in ${r} (${(e as Error).message}); retrying`);
          continue;
        }
        for (const [name, state] of states) {
          const before = seen.get(name);
          seen.set(name, state);
          if (state === before) continue;
          if (state === 'ALARM') {
            const kind = classify(d, r, name);
            note(`${(kind && ALARM_LABEL[kind]) ?? 'alarm'}: ${name} (${r})`, kind);
          } else if (before === 'ALARM' && state === 'OK') {
            note(`back to OK: ${name} (${r})`, 'recovered');
          }
        }
      }
      if (TERMINAL.has(experiment.state.status)) {
        note(
          `experiment ${experiment.state.status}${experiment.state.reason ? `: ${experiment.state.reason}` : ''}`,
          'ended',
        );
        break;
      }
      await pause(d.pollMs);
    }
  } finally {
    await probe.stop();
  }

  // Orders again, then every acknowledged order read back (also after Ctrl-C: reads only, bounded).
  const writesAfter = await probe.settle(interrupted ? 0 : settleMinutes * 60_000);
  const afterExperiment = writesAfter ? 'orders-taken' : interrupted ? 'not-waited' : 'no-orders';
  if (!writesAfter)
    note(
      interrupted
        ? 'interrupted: not waiting for the shop to take orders again'
        : `the shop did not take the probe's order within ${settleMinutes} min after the experiment`,
      'writes',
    );
  const verdict = await probe.verify();
  note(
    `read back ${verdict.acknowledged} acknowledged drill order(s): ${verdict.lost.length} lost, ` +
      `${verdict.duplicated.length} duplicated, ${verdict.unverified.length} unverified`,
    'orders',
  );

  const run: DrillRun = {
    scenario,
    region,
    template,
    experimentId: started.id,
    outcome: stopRequested ? `stopped by the operator (${experiment.state.status})` : experiment.state.status,
    timeline,
    budgetSeconds: d.config.failoverBudgetSeconds,
    operator: d.osUser,
    readiness,
    probe: { baseUrl: probe.baseUrl, transitions, afterExperiment, settleMinutes, verdict },
  };
  const file =
    f.report ?? `drill-${scenario}-${region}-${timeline[0].at.toISOString().replace(/[:.]/g, '-')}.md`;
  io.writeFile(file, renderDrillReport(run));
  d.out(`Report: ${file}`);
  const findings = drillFindings(run);
  for (const x of findings) d.err(`FINDING: ${x}`);
  if (findings.length) return EXIT.affected;
  return experiment.state.status === 'completed' && !stopRequested ? EXIT.ok : EXIT.failed;
}
