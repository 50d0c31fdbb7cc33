/**
 * `shopctl drill payment-provider-outage`: a game day for one payment provider's outage in one region.
 *
 * AWS FIS cannot break a third party's service, and blocking a provider's addresses would need
 * addresses the providers do not publish (docs/payments-operations.md, "Game day: a provider outage").
 * So the drill makes the SHOP's calls to provider P fail as an outage would: it writes the region's
 * fault switch (`Names.paymentsFaultParameter()`, lib/contract/payments.ts `DrillFault`), which the
 * shop reads like the operator switch, and the shop's adapter for P refuses or stalls every call
 * before sending it. Nobody tells the routing: the circuit breaker must notice and route around P.
 *
 * Plan first (refusals, what customers lose, the commands to resume and restore), confirmation,
 * the fault written (read back when its answer is lost), a watch of the shop's `GET /payments/health` (fault applied,
 * breaker open, routing switched) until `--minutes` pass or Ctrl-C, the fault ALWAYS restored (also
 * on Ctrl-C and on any error; the fault's own `until` ends it in the shop if even that fails), the
 * shop's payment metrics of the window from CloudWatch, a markdown report and an audit record.
 */
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DRILL_FAULT_MODES,
  type DrillFault,
  type DrillFaultMode,
  formatDrillFault,
  NO_DRILL_FAULT,
  parseDrillFault,
  PAYMENT_DIMENSIONS,
  PAYMENT_METRICS,
} from '../../lib/contract/payments';
import { commandPrefix } from '../action/refusals';
import { writeAudit } from '../aws/audit';
import { bounded, type CallContext, withDeadline } from '../aws/deadline';
import type { Deps } from '../aws/deps';
import { aws, CliError, describeError, EXIT, UsageError } from '../aws/errors';
import { readSwitchParameter, type SwitchCodec, writeSwitchParameter } from '../aws/switchParameter';
import { PAYMENTS_HEALTH_PATH } from '../payments/status';

/** The scenario name on the command line. */
export const PAYMENT_OUTAGE_SCENARIO = 'payment-provider-outage';

/** Longest fault the drill writes (the fault's `until` bounds it in the shop as well). */
export const MAX_FAULT_MINUTES = 120;

/** Flags of `shopctl drill payment-provider-outage`. */
export interface PaymentOutageFlags {
  /** Region whose shop gets the fault. @default the config's primary region */
  readonly region?: string;
  /** Provider id to fail. @default the first provider of the config */
  readonly provider?: string;
  /** How long the fault stays in force. @default 10 */
  readonly minutes?: number;
  /** How the shop's calls fail: `refuse` (connection refused) or `stall` (no answer). @default refuse */
  readonly mode?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  /** Start although the other provider or method is already down, or the shop's health is unreadable. */
  readonly force?: boolean;
  /** Only clear the fault switch of the region (after an interrupted run). */
  readonly restore?: boolean;
  /** Report file. @default drill-payment-provider-outage-REGION-TIME.md */
  readonly report?: string;
}

/** What the drill needs besides Deps (tests pass their own). */
export interface PaymentOutageIo {
  /** Aborted on Ctrl-C: the watch ends and the fault is restored. */
  readonly signal: AbortSignal;
  readonly writeFile: (path: string, text: string) => void;
}

/** One provider+method lane as `GET /payments/health` reports it (the fields the drill reads). */
interface Lane {
  readonly provider: string;
  readonly method: string;
  readonly breaker: string;
  readonly disabled: boolean;
  readonly available: boolean;
}

/** The shop's payment health, reduced to what the drill reads. */
interface Health {
  readonly status: string;
  readonly methods: readonly { method: string; available: boolean; providers: readonly string[] }[];
  readonly providers: readonly Lane[];
  readonly unresolvedUnknowns: number | null;
  readonly drillFault: DrillFault | null;
}

interface Event {
  readonly at: Date;
  readonly what: string;
  readonly kind?: 'fault-written' | 'applied' | 'detected' | 'switched' | 'restored' | 'cleared' | 'ended';
}

/** Totals of the shop's payment metrics for one provider and method over the drill's window. */
export interface LaneTotals {
  readonly provider: string;
  readonly method: string;
  readonly attempts: number;
  readonly approvals: number;
  readonly providerErrors: number;
  readonly unknowns: number;
}

const FAULT_METRICS = [
  ['attempts', PAYMENT_METRICS.attempts],
  ['approvals', PAYMENT_METRICS.approvals],
  ['providerErrors', PAYMENT_METRICS.providerErrors],
  ['unknowns', PAYMENT_METRICS.unknowns],
] as const;

const healthUrl = (d: Deps, region: string) =>
  `https://${d.names.regionRecord(region)}${PAYMENTS_HEALTH_PATH}`;

/** `GET /payments/health` of the region's shop within `httpTimeoutMs`; an Error when it fails. */
async function readHealth(d: Deps, region: string, ctx: CallContext): Promise<Health | Error> {
  try {
    return await withDeadline({ ...ctx, callTimeoutMs: d.httpTimeoutMs }, async (signal) => {
      const res = await d.fetch(healthUrl(d, region), { signal });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const body = (await bounded(res.json(), signal, () => new Error('body not received in time'))) as
        | Partial<Health>
        | undefined;
      if (!body || !Array.isArray(body.providers) || !Array.isArray(body.methods))
        throw new Error('not the payments health document');
      return {
        status: String(body.status),
        methods: body.methods,
        providers: body.providers,
        unresolvedUnknowns: typeof body.unresolvedUnknowns === 'number' ? body.unresolvedUnknowns : null,
        drillFault: body.drillFault ?? null,
      };
    });
  } catch (e) {
    return new Error(`${healthUrl(d, region)}: ${(e as Error).message}`);
  }
}

/** How the fault switch's value is read and written: `null` is no fault (`{}`). */
const DRILL_FAULT: SwitchCodec<DrillFault | null> = {
  parse: (value) => parseDrillFault(value) ?? null,
  format: (fault) => formatDrillFault(fault ?? undefined),
  empty: NO_DRILL_FAULT,
};

/** The region's fault switch: the fault in it (undefined for `{}`), or why it could not be read. */
async function readFault(
  d: Deps,
  region: string,
): Promise<{ fault?: DrillFault; error?: string; missing?: boolean }> {
  const r = await readSwitchParameter(d, region, d.names.paymentsFaultParameter(), DRILL_FAULT);
  return {
    ...(r.value ? { fault: r.value } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.missing ? { missing: true } : {}),
  };
}

/**
 * Writes the fault switch (Overwrite) under `ctx`, read back (twice, after a settle) when its answer
 * is lost (cli/aws/switchParameter.ts). `ok`: answered, or read back in effect; `failed`: refused,
 * or read back as not written; `unknown`: no answer and no read-back.
 */
async function writeFault(
  d: Deps,
  region: string,
  fault: DrillFault | undefined,
  ctx: CallContext,
): Promise<{ result: 'ok' | 'failed' | 'unknown'; error?: string }> {
  const name = d.names.paymentsFaultParameter();
  const w = await writeSwitchParameter(d, region, name, DRILL_FAULT, formatDrillFault(fault), ctx);
  const result = w.result === 'done' ? 'ok' : w.result === 'not-done' ? 'failed' : 'unknown';
  return { result, ...(w.error ? { error: w.error } : {}) };
}

/** Sums of the shop's payment metrics per provider and method in `region` over [start, end]. */
async function laneTotals(
  d: Deps,
  region: string,
  lanes: readonly { provider: string; method: string }[],
  start: Date,
  end: Date,
  ctx: CallContext,
): Promise<LaneTotals[]> {
  const queries: MetricDataQuery[] = lanes.flatMap((l, i) =>
    FAULT_METRICS.map(([key, name]) => ({
      Id: `${key.toLowerCase()}${i}`,
      MetricStat: {
        Metric: {
          Namespace: d.names.paymentsNamespace(),
          MetricName: name,
          Dimensions: [
            { Name: PAYMENT_DIMENSIONS.region, Value: region },
            { Name: PAYMENT_DIMENSIONS.provider, Value: l.provider },
            { Name: PAYMENT_DIMENSIONS.method, Value: l.method },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
    })),
  );
  const sums = new Map<string, number>();
  let token: string | undefined;
  do {
    const NextToken = token;
    // The shop publishes once a minute: the window is widened to whole minutes either side.
    const res = await aws(ctx, region, 'cloudwatch:GetMetricData', (o) =>
      d.clients(region).cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(Math.floor(start.getTime() / 60_000) * 60_000),
          EndTime: new Date(Math.ceil(end.getTime() / 60_000) * 60_000 + 60_000),
          MetricDataQueries: queries,
          ...(NextToken && { NextToken }),
        }),
        o,
      ),
    );
    for (const r of res.MetricDataResults ?? [])
      if (r.Id) sums.set(r.Id, (sums.get(r.Id) ?? 0) + (r.Values ?? []).reduce((a, b) => a + b, 0));
    token = res.NextToken;
  } while (token);
  return lanes.map((l, i) => {
    const get = (key: string) => sums.get(`${key.toLowerCase()}${i}`) ?? 0;
    return {
      provider: l.provider,
      method: l.method,
      attempts: get('attempts'),
      approvals: get('approvals'),
      providerErrors: get('providerErrors'),
      unknowns: get('unknowns'),
    };
  });
}

/** Refusals (overridden by --force) and warnings of a fault on `provider` given the shop's health. */
export function judgeHealth(
  provider: string,
  health: Health,
): { refusals: string[]; warnings: string[]; sharedMethods: string[]; loses: string[] } {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const mine = health.providers.filter((l) => l.provider === provider);
  const down = (l: Lane) =>
    `${l.provider}/${l.method} (${l.disabled ? 'switched off' : `breaker ${l.breaker}`})`;
  for (const l of mine.filter((x) => !x.available))
    refusals.push(`${down(l)} is already down: the drill would measure nothing`);
  const sharedMethods: string[] = [];
  const loses: string[] = [];
  for (const m of [...new Set(mine.map((l) => l.method))]) {
    const others = health.providers.filter((l) => l.method === m && l.provider !== provider);
    if (others.length === 0) {
      loses.push(m);
      continue;
    }
    sharedMethods.push(m);
    const otherDown = others.filter((l) => !l.available);
    if (otherDown.length === others.length)
      refusals.push(
        `the other provider of ${m} is already down: ${otherDown.map(down).join(', ')}; the fault would leave customers without ${m}`,
      );
  }
  const left = health.methods.filter(
    (m) => m.available && m.providers.some((p) => p !== provider) && !loses.includes(m.method),
  );
  if (left.length === 0)
    refusals.push('no online method would be left: customers could pay only by the manual ways');
  if (loses.length)
    warnings.push(
      `${loses.join(' and ')}: only ${provider} takes ${loses.length > 1 ? 'them' : 'it'}; customers lose ${loses.length > 1 ? 'them' : 'it'} once the breaker opens (they see the other ways first)`,
    );
  return { refusals, warnings, sharedMethods, loses };
}

const seconds = (from: Date | undefined, to: Date | undefined) =>
  from && to ? `${Math.round((to.getTime() - from.getTime()) / 1000)} s` : 'not seen';

/** Runs the drill; returns the exit code. Every run that reaches AWS is audited. */
export async function paymentOutageDrill(
  d: Deps,
  io: PaymentOutageIo,
  f: PaymentOutageFlags,
  args: readonly string[],
): Promise<number> {
  const region = f.region ?? d.config.primaryRegion;
  if (!d.config.regions.some((r) => r.name === region))
    throw new UsageError(
      `--region ${region} is not a region of the config. Fix: use one of ${d.config.regions.map((r) => r.name).join(', ')}`,
    );
  const ids = d.config.payments.providers.map((p) => p.id);
  const provider = f.provider ?? ids[0];
  if (!provider || !ids.includes(provider))
    throw new UsageError(
      `--provider ${f.provider ?? '(none)'} is not a payment provider of the config. Fix: use one of ${ids.join(', ') || '(the config has none: add "payments.providers")'}`,
    );
  const minutes = f.minutes ?? 10;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_FAULT_MINUTES)
    throw new UsageError(`--minutes ${minutes}: use a whole number from 1 to ${MAX_FAULT_MINUTES}`);
  const mode = (f.mode ?? 'refuse') as DrillFaultMode;
  if (!DRILL_FAULT_MODES.includes(mode))
    throw new UsageError(`--mode ${f.mode}: use one of ${DRILL_FAULT_MODES.join(', ')}`);
  const parameter = d.names.paymentsFaultParameter();
  const prefix = `${commandPrefix(d)} drill ${PAYMENT_OUTAGE_SCENARIO} --region ${region}`;
  const rollback = `${prefix} --restore --yes`;
  const resume = `${prefix} --provider ${provider} --minutes ${minutes} --mode ${mode} --yes`;
  const audit = (result: string, detail: string) =>
    writeAudit(d, { command: 'drill', args, result, steps: [], detail });

  if (f.restore) {
    const w = await writeFault(d, region, undefined, d);
    d.out(
      `Restore ${parameter} in ${region} to {}: ${w.result.toUpperCase()}${w.error ? `: ${w.error}` : ''}`,
    );
    await audit(w.result === 'ok' ? 'ok' : 'failed', `${PAYMENT_OUTAGE_SCENARIO} restore in ${region}`);
    return w.result === 'ok' ? EXIT.ok : w.result === 'unknown' ? EXIT.unknown : EXIT.failed;
  }

  // Preflight: the switch exists and holds no fault, the shop answers and has something to lose.
  const current = await readFault(d, region);
  if (current.missing)
    throw new CliError(
      `${parameter} does not exist in ${region}. Fix: deploy the regional stack of ${region} (it creates the fault switch).`,
      EXIT.failed,
    );
  if (current.error)
    throw new CliError(`${parameter} in ${region} could not be read: ${current.error}`, EXIT.failed);
  if (current.fault && Date.parse(current.fault.until) > d.now().getTime())
    throw new CliError(
      `A payment drill fault is already in force in ${region} (${formatDrillFault(current.fault)}). ` +
        `Fix: let it end, or restore it: ${rollback}`,
      EXIT.usage,
    );
  const health = await readHealth(d, region, d);
  const refusals: string[] = [];
  let judged: ReturnType<typeof judgeHealth> = { refusals: [], warnings: [], sharedMethods: [], loses: [] };
  if (health instanceof Error) {
    refusals.push(
      `the shop's payment health could not be read (${health.message}): nothing could be measured`,
    );
  } else {
    if (!health.providers.some((l) => l.provider === provider))
      throw new UsageError(
        `The shop in ${region} does not offer ${provider} (its health lists ${[...new Set(health.providers.map((l) => l.provider))].join(', ') || 'no provider'}). Fix: choose another --provider.`,
      );
    judged = judgeHealth(provider, health);
    refusals.push(...judged.refusals);
  }
  const breaker = d.config.payments.breaker;
  const until = new Date(d.now().getTime() + minutes * 60_000);
  const fault: DrillFault = { provider, mode, until: until.toISOString(), by: d.osUser };
  d.out(`Game day: ${PAYMENT_OUTAGE_SCENARIO} in ${region}`);
  d.out(
    `  fault: the shop in ${region} makes every call to ${provider} ${mode === 'refuse' ? 'fail as a refused connection' : 'hang until its timeout'}, for ${minutes} min`,
  );
  d.out(
    `  write: SSM ${parameter} = ${formatDrillFault(fault)} (read back when an answer is lost; the shop applies it within its 15 s poll and ignores it after "until")`,
  );
  d.out(
    `  expect: the breaker opens after ${breaker.minimumAttempts} failures in a row or ${breaker.failureRatePercent} % of at least ${breaker.minimumAttempts} calls in ${breaker.windowSeconds} s; ` +
      (judged.sharedMethods.length
        ? `then ${judged.sharedMethods.join(', ')} go through the other provider`
        : 'no other provider takes its methods'),
  );
  d.out(
    `  measure: ${healthUrl(d, region)} every ${Math.round(d.pollMs / 1000)} s (fault applied, breaker open, routing switched); CloudWatch ${d.names.paymentsNamespace()} for the window`,
  );
  d.out(`  the drill sends no payment itself: the breaker needs traffic (real checkouts in ${region})`);
  d.out(`  restore (always, also on Ctrl-C): ${rollback}`);
  for (const w of judged.warnings) d.out(`warning: ${w}`);
  if (refusals.length && !f.force) {
    await audit('refused', `${PAYMENT_OUTAGE_SCENARIO} ${provider} in ${region}: ${refusals.join('; ')}`);
    throw new CliError(
      `Refused: ${refusals.join('; ')}. Fix: restore the other provider or method first (npx shopctl payments status), or pass --force.`,
      EXIT.usage,
    );
  }
  for (const r of refusals) d.err(`warning: ${r}; starting anyway (--force)`);
  if (f.dryRun) {
    d.out('Dry run: nothing written.');
    await audit('dry-run', `${PAYMENT_OUTAGE_SCENARIO} ${provider} in ${region} for ${minutes} min`);
    return EXIT.ok;
  }
  if (!f.yes) {
    if (!d.interactive)
      throw new UsageError(
        'Refusing to start a payment provider outage without --yes in a non-interactive shell.',
      );
    if (
      !(await d.confirm(
        `Fail the shop's calls to ${provider} in ${region} for ${minutes} min now?`,
        d.signal,
      ))
    ) {
      d.out('Not started; nothing changed.');
      return EXIT.ok;
    }
  }

  const events: Event[] = [];
  const note = (what: string, kind?: Event['kind'], at = d.now()) => {
    events.push({ at, what, ...(kind && { kind }) });
    d.out(`${at.toISOString()}  ${what}`);
  };
  // Writes after the start are bounded by the call deadline but NOT cancelled by Ctrl-C: the restore
  // must still go out (a second Ctrl-C exits at once, main.ts).
  const after: CallContext = { signal: new AbortController().signal, callTimeoutMs: d.callTimeoutMs };
  const start = d.now();
  let restored: { result: 'ok' | 'failed' | 'unknown'; error?: string } | undefined;
  let interrupted = false;
  let seen: { applied?: Date; detected?: Date; switched?: Date; cleared?: Date } = {};
  let lastHealth: Health | Error = health;
  try {
    const w = await writeFault(d, region, fault, after);
    if (w.result !== 'ok') throw new CliError(`fault not written in ${region}: ${w.error}`, EXIT.failed);
    note(`fault written: ${provider} ${mode} until ${fault.until}`, 'fault-written');
    const deadline = until.getTime();
    for (;;) {
      if (io.signal.aborted) {
        interrupted = true;
        note('operator pressed Ctrl-C: restoring');
        break;
      }
      if (d.now().getTime() >= deadline) {
        note(`${minutes} min passed: restoring`, 'ended');
        break;
      }
      const h = await readHealth(d, region, after);
      lastHealth = h;
      if (h instanceof Error) d.err(`could not read the shop's payment health (${h.message}); retrying`);
      else seen = observe(h, provider, judged.sharedMethods, seen, d.now(), note);
      await pause(d, io.signal, d.pollMs);
    }
  } finally {
    // Always: the fault is cleared whatever happened above. Three tries under the call deadline.
    for (let i = 0; i < 3 && restored?.result !== 'ok'; i++) {
      try {
        restored = await writeFault(d, region, undefined, after);
      } catch (e) {
        restored = { result: 'unknown', error: describeError(e, d.profile) };
      }
    }
    if (restored?.result === 'ok') note(`fault switch restored to {} in ${region}`, 'restored');
    else
      d.err(
        `FAULT NOT RESTORED in ${region} (${restored?.error}). The shop ignores it after ${fault.until}; restore now: ${rollback}`,
      );
  }

  // The shop lets go of the fault within its poll: watched for two polls of the shop at most.
  if (restored?.result === 'ok') {
    const until2 = d.now().getTime() + 35_000;
    while (d.now().getTime() < until2) {
      const h = await readHealth(d, region, after);
      if (!(h instanceof Error)) {
        lastHealth = h;
        if (!h.drillFault) {
          seen = { ...seen, cleared: d.now() };
          note(`the shop in ${region} no longer applies the fault`, 'cleared');
          break;
        }
      }
      await pause(d, new AbortController().signal, d.pollMs);
    }
  }
  const end = d.now();
  const lanes = lastHealth instanceof Error ? [] : lastHealth.providers;
  let totals: LaneTotals[] | Error;
  try {
    totals = await laneTotals(d, region, lanes, start, end, after);
  } catch (e) {
    totals = new Error(describeError(e, d.profile));
  }
  const unknowns = lastHealth instanceof Error ? null : lastHealth.unresolvedUnknowns;
  const findings: string[] = [];
  if (!seen.applied) findings.push(`the shop in ${region} never reported the fault as applied`);
  else if (!seen.detected)
    findings.push(
      `the breaker of ${provider} did not open within the drill (too few checkouts in ${region}, or thresholds too high)`,
    );
  else if (judged.sharedMethods.length && !seen.switched)
    findings.push(`routing did not move ${judged.sharedMethods.join(', ')} to the other provider`);
  if (unknowns)
    findings.push(`${unknowns} payment(s) with an unknown outcome remain (the reconciler settles them)`);
  const report = renderReport({
    region,
    provider,
    mode,
    minutes,
    start,
    end,
    events,
    seen,
    totals,
    unknowns,
    findings,
    interrupted,
    restored: restored?.result === 'ok',
    rollback,
    resume,
  });
  const file =
    f.report ?? `drill-${PAYMENT_OUTAGE_SCENARIO}-${region}-${start.toISOString().replace(/[:.]/g, '-')}.md`;
  io.writeFile(file, report);
  d.out(`Report: ${file}`);
  for (const x of findings) d.err(`FINDING: ${x}`);
  const result =
    restored?.result !== 'ok' ? 'partial' : interrupted ? 'interrupted' : findings.length ? 'findings' : 'ok';
  await audit(
    result,
    `${PAYMENT_OUTAGE_SCENARIO} ${provider} ${mode} in ${region}: detected ${seconds(seen.applied, seen.detected)}, switched ${seconds(seen.applied, seen.switched)}; restored ${restored?.result}`,
  );
  if (restored?.result !== 'ok') {
    d.err(`Resume: ${resume}`);
    d.err(`Rollback: ${rollback}`);
    return EXIT.partial;
  }
  if (interrupted) return EXIT.interrupted;
  return findings.length ? EXIT.affected : EXIT.ok;
}

/** Notes, at `at`, what one health reading shows that was not seen before. */
function observe(
  h: Health,
  provider: string,
  shared: readonly string[],
  seen: { applied?: Date; detected?: Date; switched?: Date },
  at: Date,
  note: (what: string, kind: Event['kind'], at: Date) => void,
) {
  const next = { ...seen };
  if (!next.applied && h.drillFault?.provider === provider) {
    next.applied = at;
    note(`the shop applies the fault (${provider} ${h.drillFault.mode})`, 'applied', at);
  }
  const tripped = h.providers.filter((l) => l.provider === provider && l.breaker !== 'closed');
  if (next.applied && !next.detected && tripped.length) {
    next.detected = at;
    note(
      `breaker detected the outage: ${tripped.map((l) => `${l.provider}/${l.method} ${l.breaker}`).join(', ')}`,
      'detected',
      at,
    );
  }
  const routed = (m: string) => {
    const choice = h.methods.find((x) => x.method === m);
    return !!choice?.available && !choice.providers.includes(provider) && choice.providers.length > 0;
  };
  if (next.detected && !next.switched && shared.length && shared.every(routed)) {
    next.switched = at;
    const via = shared.map((m) => `${m} via ${h.methods.find((x) => x.method === m)!.providers.join(', ')}`);
    note(`routing switched: ${via.join('; ')}`, 'switched', at);
  }
  return next;
}

/** Sleeps `ms`, ending early when `signal` aborts; never throws (the loop checks the signal). */
async function pause(d: Deps, signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    d.sleep(ms).then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
    );
  });
}

interface ReportInput {
  region: string;
  provider: string;
  mode: string;
  minutes: number;
  start: Date;
  end: Date;
  events: Event[];
  seen: { applied?: Date; detected?: Date; switched?: Date; cleared?: Date };
  totals: LaneTotals[] | Error;
  unknowns: number | null;
  findings: string[];
  interrupted: boolean;
  restored: boolean;
  rollback: string;
  resume: string;
}

/** The markdown report: the postmortem's first draft. */
export function renderReport(r: ReportInput): string {
  const faultAt = r.events.find((e) => e.kind === 'fault-written')?.at;
  const lines = [
    `# Game day: ${r.provider} outage in ${r.region}`,
    '',
    `- fault: the shop's calls to ${r.provider} ${r.mode === 'refuse' ? 'refused' : 'stalled'}, planned ${r.minutes} min${r.interrupted ? ' (interrupted by the operator)' : ''}`,
    `- window: ${r.start.toISOString()} to ${r.end.toISOString()}`,
    `- fault switch restored: ${r.restored ? 'yes' : `NO: run ${r.rollback}`}`,
    '',
    '## Measures',
    '',
    '| measure | value |',
    '|---|---|',
    `| fault written → applied by the shop | ${seconds(faultAt, r.seen.applied)} |`,
    `| applied → breaker open (detection) | ${seconds(r.seen.applied, r.seen.detected)} |`,
    `| applied → routing on the other provider (switch-over) | ${seconds(r.seen.applied, r.seen.switched)} |`,
    `| payments with an unknown outcome at the end | ${r.unknowns ?? 'not read'} |`,
    '',
    '## Payments in the window (CloudWatch, the shop publishes once a minute)',
    '',
  ];
  if (r.totals instanceof Error) lines.push(`not read: ${r.totals.message}`);
  else {
    lines.push(
      '| provider | method | attempts | approvals | provider errors | unknowns |',
      '|---|---|---|---|---|---|',
    );
    for (const t of r.totals)
      lines.push(
        `| ${t.provider} | ${t.method} | ${t.attempts} | ${t.approvals} | ${t.providerErrors} | ${t.unknowns} |`,
      );
  }
  lines.push('', '## Timeline', '', ...r.events.map((e) => `- ${e.at.toISOString()} ${e.what}`), '');
  lines.push('## Findings', '', ...(r.findings.length ? r.findings.map((x) => `- ${x}`) : ['- none']), '');
  return lines.join('\n');
}
