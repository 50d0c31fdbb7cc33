import { promises as dnsPromises } from 'node:dns';
import { setMaxListeners } from 'node:events';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { checkCommand } from './readiness/command';
import { registerDrillCommand } from './drill/command';
import type { DrillIo } from './drill/drill';
import { failbackCommand } from './failback/command';
import { failoverCommand } from './failover/command';
import { noticeClearCommand, noticeSetCommand } from './notice/command';
import { registerPaymentsCommands } from './payments/command';
import { registerChannelsCommands } from './channels/command';
import { statusCommand } from './status/command';
import { defaultAuditFile, osUser, writeAudit } from './aws/audit';
import { CapacityClientsFor, makeCapacityClientsFor } from './capacity/capacity';
import { ClientOptions, makeClientsFor } from './aws/clients';
import { interruptibleSleep, Timings, timingsFromEnv } from './aws/deadline';
import { CliError, describeError, errorKind, EXIT, UsageError } from './aws/errors';
import type { Deps, FetchLike } from './aws/deps';

export interface GlobalOptions {
  readonly config: string;
  readonly profile?: string;
  readonly region?: string;
  readonly verbose?: boolean;
  readonly color?: boolean;
}

/** What tests (or embedders) may replace; everything else comes from the environment. */
export type Overrides = Partial<
  Omit<Deps, 'config' | 'names' | 'globalRegion' | 'globalRegionFlag' | 'verbose' | 'profile'>
> & {
  /**
   * Auto Scaling, ACM and Secrets Manager clients for the capacity steps and `check` (#14). When a
   * caller injects `clients` but not these, failover and failback plans warn and do not pre-scale.
   */
  readonly capacityClients?: CapacityClientsFor;
  /** Use the Route 53 control plane fast path in failover and failback; default: unless `clients` were injected. */
  readonly fastSwitch?: boolean;
  /** FIS, the probe customer and the report writer of `drill` (tests). */
  readonly drillIo?: Partial<DrillIo>;
};

/** The runbook every help text points to. */
const RUNBOOK = 'docs/runbook.md';

/** Examples block of a command's help, each runnable as printed from a clone. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  npx shopctl ${l}`).join('\n')}\n\nExit codes and outcomes: npx shopctl --help; runbook: ${RUNBOOK}`;
}

const MAIN_HELP = `
Examples:
  npx shopctl status                          where customers are served, what is healthy
  npx shopctl check                           would a failover to each standby succeed now?
  npx shopctl failover --to ap-northeast-1 --dry-run
  npx shopctl notice set --ko '지연' --en 'Delayed' --eta +30m

Exit codes:
  0  done, or already in effect (status: normal)
  1  status: customers affected, failed over or at risk; check: not ready; drill: findings
  2  usage error or refusal: nothing changed (--force overrides the forceable refusals)
  3  unknown: the state could not be read, or a change got no answer and could not be read back
  4  partial: a change was started and not finished; run the printed resume or rollback command
  5  failed before changing anything
  6  invalid config
  130 interrupted (Ctrl-C); the run says what was done

Each step of a change ends DONE, NOT DONE or UNKNOWN (a write whose answer did not come is read back).
failover, failback, notice set and drill --dry-run without credentials print the plan from the config alone and
the live checks they skipped; status without credentials shows public DNS and each region's /healthz.
Runbook: ${RUNBOOK}   Reference: docs/shopctl.md`;

/** Handler settings of every SDK client of a run (the main clients and the capacity ones alike). */
function clientOptions(g: GlobalOptions, t: Timings = timingsFromEnv()): ClientOptions {
  return {
    ...(g.profile ? { profile: g.profile } : {}),
    connectionTimeoutMs: t.connectTimeoutMs,
    requestTimeoutMs: t.attemptTimeoutMs,
  };
}

const defaultFetch: FetchLike = (url, init) => fetch(url, init);

function buildDeps(g: GlobalOptions, o: Overrides, signal: AbortSignal): Deps {
  const config = loadConfig(g.config);
  const ttyOut = o.ttyOut ?? !!process.stdout.isTTY;
  let t: Timings;
  try {
    t = timingsFromEnv();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    config,
    names: new Names(config),
    clients: o.clients ?? makeClientsFor(clientOptions(g, t)),
    globalRegion: g.region ?? Names.EDGE_REGION,
    ...(g.region ? { globalRegionFlag: g.region } : {}),
    signal,
    callTimeoutMs: o.callTimeoutMs ?? t.callTimeoutMs,
    auditTimeoutMs: o.auditTimeoutMs ?? t.auditTimeoutMs,
    statusBudgetMs: o.statusBudgetMs ?? t.statusBudgetMs,
    fetch: o.fetch ?? defaultFetch,
    resolve4: o.resolve4 ?? ((host) => dnsPromises.resolve4(host)),
    now: o.now ?? (() => new Date()),
    sleep: o.sleep ?? interruptibleSleep(signal),
    pollMs: o.pollMs ?? t.pollMs,
    dbTimeoutMs: o.dbTimeoutMs ?? t.dbTimeoutMs,
    verifyTimeoutMs: o.verifyTimeoutMs ?? t.verifyTimeoutMs,
    httpTimeoutMs: o.httpTimeoutMs ?? t.httpTimeoutMs,
    confirm:
      o.confirm ??
      (async (message, abort) => {
        const { confirm } = await import('@inquirer/prompts');
        return confirm({ message, default: false }, { signal: abort });
      }),
    interactive: o.interactive ?? !!process.stdin.isTTY,
    ttyOut,
    color: o.color ?? (g.color !== false && ttyOut && !process.env.NO_COLOR),
    verbose: !!g.verbose,
    ...(g.profile ? { profile: g.profile } : {}),
    out: o.out ?? ((s) => process.stdout.write(s + '\n')),
    err: o.err ?? ((s) => process.stderr.write(s + '\n')),
    write: o.write ?? ((s) => process.stdout.write(s)),
    auditFile: o.auditFile ?? defaultAuditFile(),
    osUser: o.osUser ?? osUser(),
  };
}

function parseMs(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of milliseconds');
  return n;
}

function errorExit(e: unknown, fallback: number): number {
  if (e instanceof UsageError || e instanceof CliError) return e.exitCode;
  if (e instanceof ConfigError) return EXIT.config;
  return fallback;
}

/**
 * Ctrl-C handling for one run: the first SIGINT aborts the run's signal (calls in flight are cancelled,
 * the step runner prints what is done and not done, and the audit record is written under its own
 * deadline); a second one exits at once. Returns the remover.
 */
function onInterrupt(ctrl: AbortController, err: (s: string) => void): () => void {
  const handler = () => {
    if (!ctrl.signal.aborted) {
      err(
        '\nInterrupted (Ctrl-C): cancelling the call in flight, then saying what was done and recording it. Ctrl-C again exits at once.',
      );
      ctrl.abort();
      return;
    }
    err('Interrupted twice: exiting now; the audit record may be missing (see the local audit file).');
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}

/**
 * Runs `shopctl` with `argv` (arguments only, without node and script) and returns the exit code.
 * Never calls process.exit (so tests drive it directly), except on a second Ctrl-C.
 */
export async function main(argv: readonly string[], o: Overrides = {}): Promise<number> {
  const out = o.out ?? ((s: string) => process.stdout.write(s + '\n'));
  const err = o.err ?? ((s: string) => process.stderr.write(s + '\n'));
  const ctrl = new AbortController();
  // every call in flight listens on it (a status run has dozens at once): not a leak
  setMaxListeners(0, ctrl.signal);
  // an embedder's signal interrupts the run like Ctrl-C (linked by hand: see deadline.ts on AbortSignal.any)
  if (o.signal?.aborted) ctrl.abort();
  o.signal?.addEventListener('abort', () => ctrl.abort(), { once: true });
  const signal = ctrl.signal;
  let code: number = EXIT.ok;
  const program = new Command('shopctl')
    .description('Incident responder CLI for resilient-shop: status, failover, failback, outage notice.')
    .option('-c, --config <name>', 'config name (config/<name>.json)', 'default')
    .option('--profile <profile>', 'AWS named profile')
    .option('--region <region>', 'region for global reads and writes (Route 53, outage bucket, CloudFront)')
    .option('--verbose', 'show stack traces and SDK details')
    .option('--no-color', 'plain output without colors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .showHelpAfterError('(run npx shopctl --help for usage)')
    .addHelpText('after', MAIN_HELP);

  /** Capacity clients for failover and failback (#14): injected, or real unless `clients` were injected. */
  const capacityFor = (): CapacityClientsFor | undefined =>
    o.capacityClients ??
    (o.clients ? undefined : makeCapacityClientsFor(clientOptions(program.opts<GlobalOptions>())));
  const extras = () => {
    const capacity = capacityFor();
    return { ...(capacity ? { capacity } : {}), fastSwitch: o.fastSwitch ?? !o.clients };
  };

  /** Runs one command with shared error handling and, for actions, an audit record on failure. */
  const run =
    (command: string | null, fn: (d: Deps, args: readonly string[]) => Promise<number>, fallback: number) =>
    async () => {
      const g = program.opts<GlobalOptions>();
      let d: Deps | undefined;
      try {
        d = buildDeps(g, o, signal);
        code = await fn(d, argv);
      } catch (e) {
        if (e instanceof ConfigError) {
          // every problem, in full: the operator fixes them all at once
          err(e.message);
          code = EXIT.config;
          return;
        }
        const interrupted = signal.aborted || errorKind(e) === 'interrupted';
        err(
          interrupted
            ? `Interrupted (Ctrl-C) before any change was made: nothing changed.${command ? ' Re-run the same command when ready.' : ''}`
            : describeError(e, g.profile),
        );
        if (g.verbose && e instanceof Error)
          err(
            String(e.stack ?? e) + (e.cause ? `\ncause: ${String((e.cause as Error).stack ?? e.cause)}` : ''),
          );
        code = interrupted ? EXIT.interrupted : errorExit(e, fallback);
        if (d && command) {
          // A usage error or missing credentials happened before any AWS call could work: keep the
          // record local rather than add a second failure (and a warning) about the audit.
          const remote = !(e instanceof UsageError) && errorKind(e) !== 'credentials';
          await writeAudit(
            d,
            {
              command,
              args: argv,
              result: interrupted ? 'interrupted' : code === EXIT.usage ? 'refused' : 'failed',
              steps: [],
              detail: interrupted ? 'interrupted before any change' : describeError(e, g.profile),
            },
            { remote },
          ).catch(() => undefined);
        }
      }
    };

  program
    .command('status')
    .description('where customers are served, health checks, switches, database, canaries, notice')
    .option('--json', 'print one JSON document')
    .addHelpText('after', examples('status', 'status --json'))
    .action(async (opts: { json?: boolean }) => run(null, (d) => statusCommand(d, opts), EXIT.unknown)());

  program
    .command('check')
    .description('would a failover to each standby succeed now? (the scheduled readiness checks, run here)')
    .option('--json', 'print one JSON document')
    .option('--target <region...>', 'regions to check (default: every standby)')
    .addHelpText('after', examples('check', 'check --target ap-northeast-1 --json'))
    .action(async (opts: { json?: boolean; target?: string[] }) =>
      run(
        null,
        (d) =>
          checkCommand(
            d,
            o.capacityClients ?? makeCapacityClientsFor(clientOptions(program.opts<GlobalOptions>())),
            opts,
          ),
        EXIT.unknown,
      )(),
    );

  program
    .command('failover')
    .description('move customers and the database writer to REGION')
    .requiredOption('--to <region>', 'target region (required)')
    .addOption(new Option('--planned', 'switchover without data loss (default)'))
    .addOption(
      new Option('--unplanned', 'failover allowing DATA LOSS (old primary down)').conflicts('planned'),
    )
    .option('--dry-run', 'print the plan; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'override refusals (unhealthy target, replication lag, another account)')
    .option(
      '--max-lag-ms <ms>',
      'highest replication lag accepted (default 2 x replicationLagAlarmMs)',
      parseMs,
    )
    .addHelpText(
      'after',
      examples(
        'failover --to ap-northeast-1 --dry-run',
        'failover --to ap-northeast-1',
        'failover --to ap-northeast-1 --unplanned --yes',
      ),
    )
    .action(async (opts) =>
      run('failover', (d, args) => failoverCommand(d, opts, args, extras()), EXIT.failed)(),
    );

  program
    .command('failback')
    .description(`planned return to the primary region: switchover, verify, then undrain`)
    .option('--dry-run', 'print the plan; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'override refusals (primary not answering, replication lag, another account)')
    .option('--max-lag-ms <ms>', 'highest replication lag accepted', parseMs)
    .addHelpText('after', examples('failback --dry-run', 'failback'))
    .action(async (opts) =>
      run('failback', (d, args) => failbackCommand(d, opts, args, extras()), EXIT.failed)(),
    );

  const notice = program.command('notice').description('the notice on the outage page (status.json)');
  notice
    .command('set')
    .description('show a notice on the outage page')
    .requiredOption('--ko <text>', 'message in Korean (required)')
    .requiredOption('--en <text>', 'message in English (required)')
    .option('--eta <time>', 'next update: ISO time or +30m / +2h')
    .option(
      '--back-at <time>',
      'when service is expected back: ISO time or +2h (left out: the page says it is not known yet)',
    )
    .addOption(
      new Option('--severity <level>', 'severity').choices(['info', 'minor', 'major']).default('major'),
    )
    .option(
      '--withhold <promise...>',
      'say nothing of a standing promise of the page: data-safe, not-charged-twice (comma-separated or repeated)',
    )
    .option('--promise-data-safe-ko <text>', 'replace the "your data is safe" promise (Korean)')
    .option('--promise-data-safe-en <text>', 'replace the "your data is safe" promise (English)')
    .option('--promise-not-charged-twice-ko <text>', 'replace the "not charged twice" promise (Korean)')
    .option('--promise-not-charged-twice-en <text>', 'replace the "not charged twice" promise (English)')
    .option(
      '--compensation <offers>',
      'announce compensation: coupon, extended-delivery, points (comma-separated)',
    )
    .option('--compensation-ko <text>', 'who gets the compensation, how much, how to claim it (Korean)')
    .option('--compensation-en <text>', 'who gets the compensation, how much, how to claim it (English)')
    .option('--dry-run', 'print the document; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'override refusals (credentials for another account)')
    .addHelpText(
      'after',
      examples(
        "notice set --ko '결제가 지연되고 있습니다' --en 'Payments are delayed' --eta +30m --dry-run",
        "notice set --ko '결제가 지연되고 있습니다' --en 'Payments are delayed' --severity minor",
      ),
    )
    .action(async (opts) => run('notice set', (d, args) => noticeSetCommand(d, opts, args), EXIT.failed)());
  notice
    .command('clear')
    .description('clear the notice (writes severity "none")')
    .option('--dry-run', 'print the document; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'override refusals (credentials for another account)')
    .action(async (opts) =>
      run('notice clear', (d, args) => noticeClearCommand(d, opts, args), EXIT.failed)(),
    );

  registerPaymentsCommands(program, notice, run);
  registerChannelsCommands(program, run);

  registerDrillCommand(
    program,
    run,
    EXIT.failed,
    () => o.capacityClients ?? makeCapacityClientsFor(clientOptions(program.opts<GlobalOptions>())),
    o.drillIo,
  );

  const removeInterrupt = onInterrupt(ctrl, err);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    err(describeError(e));
    return EXIT.failed;
  } finally {
    removeInterrupt();
  }
  return code;
}
