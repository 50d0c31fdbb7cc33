import { Command, Option } from 'commander';
import { executeAction } from '../action/action';
import { EXIT, UsageError } from '../aws/errors';
import {
  formatProblems,
  parseNoticeBackAt,
  parseNoticeEta,
  type TimeResult,
} from '../../lib/contract/notice-input';
import { applyNotice } from '../notice/apply';
import { parsePaymentsTarget, planPaymentsSwitch } from './switch';
import { paymentIncidentNotice, parseIncidentMethods } from './notice';
import { gatherPayments, renderPaymentsLines } from './status';
import type { Deps } from '../aws/deps';

/** Flags of `shopctl payments disable|enable`. */
export interface PaymentsSwitchFlags {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
}

/** `shopctl payments disable|enable <provider:ID|method:M>`. */
export async function paymentsSwitchCommand(
  d: Deps,
  action: 'disable' | 'enable',
  target: string,
  f: PaymentsSwitchFlags,
  args: readonly string[],
): Promise<number> {
  const spec = await planPaymentsSwitch(
    d,
    {
      action,
      target: parsePaymentsTarget(d.config, target),
      dryRun: !!f.dryRun,
      yes: !!f.yes,
      force: !!f.force,
    },
    args,
  );
  return executeAction(d, spec);
}

/**
 * `shopctl payments status`: exit 0 when payments are normal, 1 when something is switched off, down
 * or unsettled, 3 when nothing could be read.
 */
export async function paymentsStatusCommand(d: Deps, opts: { json?: boolean }): Promise<number> {
  const report = await gatherPayments(d);
  d.out(opts.json ? JSON.stringify(report, null, 2) : renderPaymentsLines(report).join('\n'));
  return report.verdict === 'ok' ? EXIT.ok : report.verdict === 'unknown' ? EXIT.unknown : EXIT.affected;
}

/** Flags of `shopctl notice payment-incident`. */
export interface PaymentIncidentFlags {
  readonly method: readonly string[];
  readonly eta?: string;
  /** When service is expected back, as `shopctl notice set --back-at`. */
  readonly backAt?: string;
  readonly severity?: 'info' | 'minor' | 'major';
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
}

/**
 * `shopctl notice payment-incident --method card`: the outage page's notice for a payment incident,
 * worded from the config and the switch, through the same write as `notice set` (plan, confirmation,
 * audit). The not-charged-twice promise is withheld while payments with an unknown outcome remain.
 */
export async function paymentIncidentCommand(
  d: Deps,
  f: PaymentIncidentFlags,
  args: readonly string[],
): Promise<number> {
  const methods = parseIncidentMethods(f.method);
  const report = await gatherPayments(d);
  const notice = paymentIncidentNotice(d.config, methods, report);
  d.out(notice.promiseNote);
  return applyNotice(d, {
    command: 'notice payment-incident',
    input: {
      severity: f.severity ?? 'minor',
      ko: notice.ko,
      en: notice.en,
      nextUpdateAt: f.eta ? etaOrRefuse(f.eta, d.now()) : null,
      ...(f.backAt ? { expectedBackAt: timeOrRefuse(parseNoticeBackAt(f.backAt, d.now())) } : {}),
      ...(notice.promises ? { promises: notice.promises } : {}),
    },
    dryRun: !!f.dryRun,
    yes: !!f.yes,
    force: !!f.force,
    args,
  });
}

type Run = (
  command: string | null,
  fn: (d: Deps, args: readonly string[]) => Promise<number>,
  fallback: number,
) => () => Promise<void>;

/**
 * Adds `shopctl payments status|disable|enable` and `shopctl notice payment-incident` to the
 * program (`notice` is the existing `notice` command).
 */
export function registerPaymentsCommands(program: Command, notice: Command, run: Run): void {
  const payments = program
    .command('payments')
    .description('payment providers and methods: health, and the operator switch in every region');
  payments
    .command('status')
    .description('switch, shop payment health, payment alarms and unsettled outcomes per region')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) =>
      run(null, (d) => paymentsStatusCommand(d, opts), EXIT.unknown)(),
    );
  for (const action of ['disable', 'enable'] as const) {
    payments
      .command(`${action} <target>`)
      .description(
        `${action} a provider (provider:ID) or a method (method:card|easy-pay|bank-transfer|phone) in every region's shop`,
      )
      .option('--dry-run', 'print the plan; change nothing')
      .option('--yes', 'do not ask for confirmation')
      .option('--force', 'override refusals (no way to pay left, another account)')
      .action(async (target: string, opts: PaymentsSwitchFlags) =>
        run(
          `payments ${action}`,
          (d, args) => paymentsSwitchCommand(d, action, target, opts, args),
          EXIT.failed,
        )(),
      );
  }
  notice
    .command('payment-incident')
    .description('notice naming the payment methods down and the other ways to pay')
    .requiredOption(
      '--method <methods...>',
      'online methods down: card, easy-pay (comma-separated or repeated)',
    )
    .option('--eta <time>', 'next update: ISO time or +30m / +2h')
    .option(
      '--back-at <time>',
      'when payments are expected back: ISO time or +2h (left out: the page says it is not known yet)',
    )
    .addOption(
      new Option('--severity <level>', 'severity').choices(['info', 'minor', 'major']).default('minor'),
    )
    .option('--dry-run', 'print the document; change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'override refusals (credentials for another account)')
    .action(async (opts: PaymentIncidentFlags) =>
      run('notice payment-incident', (d, args) => paymentIncidentCommand(d, opts, args), EXIT.failed)(),
    );
}

/** The notice's ETA, validated like `shopctl notice set --eta` (exit 2 with the fix, before any AWS call). */
function etaOrRefuse(value: string, now: Date): string {
  return timeOrRefuse(parseNoticeEta(value, now));
}

/** A parsed notice time, or exit 2 with the flag, value and fix. */
function timeOrRefuse(t: TimeResult): string {
  if (t.problem) throw new UsageError(formatProblems([t.problem]));
  return t.iso;
}
