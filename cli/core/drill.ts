/**
 * `shopctl drill SCENARIO`: a game day in a real account. Preflight (the template exists, its stop
 * conditions and the shop's paging alarms are OK), confirmation, StartExperiment, then a watch of
 * the experiment, the canary alarms, the paging alarms and the Route 53 alarms (us-east-1) that
 * records a timeline; Ctrl-C stops the experiment; the end is a markdown report ready to become the
 * postmortem.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { SCENARIO_IDS, SCENARIO_TAG } from '../../lib/fis/scenarios';
import type { Deps } from './deps';
import type { FisApi, FisExperiment, FisTemplate } from './drill-fis';
import { aws, CliError, EXIT, UsageError } from './errors';
import { renderDrillReport } from './drill-report';

export interface DrillFlags {
  /** Region whose experiment runs. @default the config's primary region */
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  /** Start although an alarm is already in ALARM. */
  readonly force?: boolean;
  /** Report file. @default drill-SCENARIO-REGION-TIME.md in the working directory */
  readonly report?: string;
  /** Give up watching (and stop the experiment) after this long. @default 60 */
  readonly maxMinutes?: number;
}

export interface DrillIo {
  readonly fis: (region: string) => FisApi;
  /** Aborted on Ctrl-C: the experiment is stopped. */
  readonly signal: AbortSignal;
  readonly writeFile: (path: string, text: string) => void;
}

export interface TimelineEvent {
  readonly at: Date;
  readonly what: string;
  /** Which measure this event marks (the report compares them with the budget). */
  readonly kind?: 'started' | 'fault' | 'canary' | 'page' | 'dns' | 'recovered' | 'ended';
}

export interface DrillRun {
  readonly scenario: string;
  readonly region: string;
  readonly template: FisTemplate;
  readonly experimentId: string;
  readonly outcome: string;
  readonly timeline: TimelineEvent[];
  readonly budgetSeconds: number;
  readonly operator: string;
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
async function alarmStates(d: Deps, region: string): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  let token: string | undefined;
  do {
    const NextToken = token;
    // Under the run's deadline and Ctrl-C, like every other shopctl call.
    const r = await aws(d, region, 'cloudwatch:DescribeAlarms', (o) =>
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
  if (name.startsWith(`${app}-down-`)) return 'page';
  if (name.startsWith(`${app}-canary-`) && !name.includes('not-running')) return 'canary';
  return undefined;
}

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
  const fis = io.fis(region);

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
  for (const line of describePlan(scenario, region, template)) d.out(line);
  if (missing.length) {
    throw new CliError(
      `Stop-condition alarm(s) not found: ${missing.join(', ')}. Fix: deploy the regional stack of ${region}.`,
      EXIT.failed,
    );
  }
  if (firing.length && !f.force) {
    throw new CliError(
      `Not a clean baseline, in ALARM: ${firing.join(', ')}. Fix: resolve them first (shopctl status), or pass --force to start anyway.`,
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

  const timeline: TimelineEvent[] = [];
  const note = (what: string, kind?: TimelineEvent['kind']) => {
    const e = { at: d.now(), what, ...(kind && { kind }) };
    timeline.push(e);
    d.out(`${e.at.toISOString()}  ${what}`);
  };
  const started = await fis.startExperiment({
    experimentTemplateId: template.id,
    clientToken: `${scenario}-${d.now().getTime()}`,
    tags: { Name: `${d.config.appName} game day ${scenario}`, [SCENARIO_TAG]: scenario, operator: d.osUser },
  });
  note(`experiment ${started.id} started`, 'started');

  let experiment: FisExperiment = started;
  let stopRequested = false;
  const seen = new Map(baseline);
  const deadline = d.now().getTime() + (f.maxMinutes ?? 60) * 60_000;
  let faultNoted = false;
  for (;;) {
    if (io.signal.aborted && !stopRequested) {
      stopRequested = true;
      note('operator pressed Ctrl-C: stopping the experiment');
      experiment = await fis.stopExperiment(started.id);
    } else if (!stopRequested && d.now().getTime() > deadline) {
      stopRequested = true;
      note(`still running after ${f.maxMinutes ?? 60} minutes: stopping the experiment`);
      experiment = await fis.stopExperiment(started.id);
    }
    try {
      experiment = await fis.getExperiment(started.id);
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
        states = await alarmStates(d, r);
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
          const label =
            kind === 'page'
              ? 'page sent'
              : kind === 'canary'
                ? 'canary failing'
                : kind === 'dns'
                  ? 'Route 53 check unhealthy (DNS moves)'
                  : 'alarm';
          note(`${label}: ${name} (${r})`, kind);
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
    await d.sleep(d.pollMs);
  }

  const run: DrillRun = {
    scenario,
    region,
    template,
    experimentId: started.id,
    outcome: stopRequested ? `stopped by the operator (${experiment.state.status})` : experiment.state.status,
    timeline,
    budgetSeconds: d.config.failoverBudgetSeconds,
    operator: d.osUser,
  };
  const file =
    f.report ?? `drill-${scenario}-${region}-${timeline[0].at.toISOString().replace(/[:.]/g, '-')}.md`;
  io.writeFile(file, renderDrillReport(run));
  d.out(`Report: ${file}`);
  return experiment.state.status === 'completed' && !stopRequested ? EXIT.ok : EXIT.failed;
}
