import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { ShopConfig } from '../../lib/config/load';
import {
  formatSwitchValue,
  MANUAL_METHODS,
  ONLINE_METHODS,
  parseSwitchValue,
  PAYMENT_METHODS,
  SwitchEntry,
} from '../../lib/contract/payments';
import type { ActionSpec } from '../action/action';
import type { Refusal } from '../action/refusals';
import { aws, describeError, errorKind, StepFailure, UsageError } from '../aws/errors';
import { accountRefusal, commandPrefix } from '../action/refusals';
import type { Deps } from '../aws/deps';
import { readSwitchParameter } from '../aws/switchParameter';
import type { Step } from '../action/steps';

/**
 * The payments operator switch (`Names.paymentsSwitchParameter()`, one SSM parameter in every
 * region; lib/contract/payments.ts): read it, write it with a read-back, plan `shopctl payments
 * disable|enable` for the step runner.
 *
 * The shop in each region polls its own region's copy (every 15 s, keeping the last value when a
 * read fails), so every region that serves must hold the same value: a write goes to every region,
 * and a region that does not answer is named, with the command that completes it when it is back.
 */

/**
 * Parses `provider:<id>` or `method:<method>` against the config. A bare id or method is accepted
 * when it names exactly one thing.
 * @throws UsageError naming the allowed values.
 */
export function parsePaymentsTarget(config: ShopConfig, arg: string): SwitchEntry {
  const ids = config.payments.providers.map((p) => p.id);
  const allowed = [...ids.map((i) => `provider:${i}`), ...PAYMENT_METHODS.map((m) => `method:${m}`)];
  const [kind, value] = arg.includes(':') ? arg.split(':', 2) : [undefined, arg];
  const isProvider = ids.includes(value);
  const isMethod = (PAYMENT_METHODS as readonly string[]).includes(value);
  if (kind === 'provider' && isProvider) return `provider:${value}`;
  if (kind === 'method' && isMethod) return `method:${value}`;
  if (kind === undefined && isProvider !== isMethod)
    return isProvider ? `provider:${value}` : `method:${value}`;
  throw new UsageError(
    `"${arg}" is not a provider or method of this config. Use one of: ${allowed.join(', ')}`,
  );
}

/** The ways to pay left when `disabled` is in force. */
export interface RemainingWays {
  /** Online methods with at least one provider on. */
  readonly online: readonly string[];
  /** Online methods with no provider left, each with the providers that would take it. */
  readonly onlineDown: readonly string[];
  readonly manual: readonly string[];
}

/** What customers can still choose under `disabled` (the shop's own rule: a method needs a provider). */
export function remainingWays(config: ShopConfig, disabled: readonly SwitchEntry[]): RemainingWays {
  const off = new Set(disabled);
  const offered = ONLINE_METHODS.filter((m) => config.payments.providers.some((p) => p.methods.includes(m)));
  const online = offered.filter(
    (m) =>
      !off.has(`method:${m}`) &&
      config.payments.providers.some((p) => p.methods.includes(m) && !off.has(`provider:${p.id}`)),
  );
  const manualConfigured = MANUAL_METHODS.filter((m) =>
    m === 'bank-transfer' ? !!config.payments.manual.bankTransfer : config.payments.manual.phoneOrders,
  );
  return {
    online,
    onlineDown: offered.filter((m) => !online.includes(m)),
    manual: manualConfigured.filter((m) => !off.has(`method:${m}`)),
  };
}

/** One region's copy of the switch, as read. */
export interface RegionSwitch {
  readonly region: string;
  /** Absent when it could not be read (see `error`). */
  readonly entries?: readonly SwitchEntry[];
  /** The parameter does not exist (the region's stack predates payments): nothing is disabled there. */
  readonly missing?: boolean;
  readonly error?: string;
  readonly unreachable?: boolean;
}

/** Reads the switch in `region`; never throws (a value that is not the contract's JSON is an error). */
export async function readPaymentsSwitch(d: Deps, region: string): Promise<RegionSwitch> {
  const { value, ...rest } = await readSwitchParameter(
    d,
    region,
    d.names.paymentsSwitchParameter(),
    parseSwitchValue,
    [] as SwitchEntry[],
  );
  return { region, ...(value ? { entries: value } : {}), ...rest };
}

/** Reads the switch in every region of the config, in parallel. */
export function readPaymentsSwitches(d: Deps): Promise<RegionSwitch[]> {
  return Promise.all(d.config.regions.map((r) => readPaymentsSwitch(d, r.name)));
}

/**
 * What a write did in one region:
 * - `ok`: read back and equal to what was written (`answerLost`: the put's answer never came, the
 *   read-back found the value anyway);
 * - `failed`: not written (the region refused, or the read-back shows the old value);
 * - `unknown`: the put's answer never came and the value could not be read back: it may or may not
 *   be in force until a read settles it;
 * - `unreachable`: the region did not answer the first read: nothing was sent.
 */
export interface RegionWrite {
  readonly region: string;
  readonly result: 'ok' | 'failed' | 'unknown' | 'unreachable';
  readonly value?: string;
  readonly answerLost?: boolean;
  readonly error?: string;
}

/**
 * Applies `change` to the switch in `region`: reads the current list, writes the new one
 * (PutParameter, Overwrite), then reads it back. SSM has no compare-and-set on a parameter's value,
 * so two operators writing at once can lose one change; the read-back names what is in force.
 */
export async function writePaymentsSwitch(
  d: Deps,
  region: string,
  change: (current: readonly SwitchEntry[]) => SwitchEntry[],
): Promise<RegionWrite> {
  const before = await readPaymentsSwitch(d, region);
  if (!before.entries) {
    return { region, result: before.unreachable ? 'unreachable' : 'failed', error: before.error };
  }
  const value = formatSwitchValue(change(before.entries));
  let putError: unknown;
  try {
    await aws(d, region, 'ssm:PutParameter', (o) =>
      d.clients(region).ssm.send(
        new PutParameterCommand({
          Name: d.names.paymentsSwitchParameter(),
          Value: value,
          Type: 'String',
          Overwrite: true,
        }),
        o,
      ),
    );
  } catch (e) {
    if (errorKind(e) === 'interrupted') throw e;
    // An error answer means SSM refused it; only a missing answer leaves the outcome open.
    if (errorKind(e) !== 'unreachable')
      return { region, result: 'failed', error: describeError(e, d.profile) };
    putError = e;
  }
  const after = await readPaymentsSwitch(d, region);
  const lost = putError !== undefined;
  if (!after.entries) {
    return {
      region,
      result: lost ? 'unknown' : 'ok',
      value,
      ...(lost ? { answerLost: true } : {}),
      error: lost
        ? `the write's answer never came (${describeError(putError, d.profile)}) and the read-back failed (${after.error}): UNKNOWN whether it is in force`
        : `written, but not read back (${after.error})`,
    };
  }
  if (formatSwitchValue(after.entries) === value) {
    return { region, result: 'ok', value, ...(lost ? { answerLost: true } : {}) };
  }
  return {
    region,
    result: 'failed',
    value,
    ...(lost ? { answerLost: true } : {}),
    error: `read back ${formatSwitchValue(after.entries)} instead of ${value}${lost ? ' (the write did not arrive)' : ' (another writer at the same time?)'}`,
  };
}

/** Options of {@link planPaymentsSwitch}. */
export interface PaymentsSwitchOptions {
  readonly action: 'disable' | 'enable';
  readonly target: SwitchEntry;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

const describeWrite = (w: RegionWrite): string =>
  `${w.region} ${w.result.toUpperCase()}${w.answerLost && w.result === 'ok' ? ' (answer lost; confirmed by read-back)' : ''}${w.error && w.result !== 'ok' ? `: ${w.error}` : ''}`;

/**
 * The action `shopctl payments disable|enable <target>`: one step that writes every region in
 * parallel and reads each back. It succeeds when every region confirmed; a region that refused or
 * did not answer leaves the change partial (exit 4) with the same command to complete it.
 */
export async function planPaymentsSwitch(
  d: Deps,
  o: PaymentsSwitchOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  const [regions, account] = await Promise.all([readPaymentsSwitches(d), accountRefusal(d)]);
  const apply = (current: readonly SwitchEntry[]): SwitchEntry[] =>
    o.action === 'disable' ? [...current, o.target] : current.filter((e) => e !== o.target);
  const inForce = (r: RegionSwitch) =>
    !!r.entries && (o.action === 'disable') === r.entries.includes(o.target);
  const warnings = regions
    .filter((r) => !r.entries)
    .map((r) => `could not read the switch in ${r.region}: ${r.error}`);
  for (const r of regions.filter((x) => x.missing)) {
    warnings.push(
      `${r.region} has no ${d.names.paymentsSwitchParameter()} yet (its stack predates payments); this writes it`,
    );
  }
  // What customers keep, judged on the union of every region's list after the change.
  const after = apply([...new Set(regions.flatMap((r) => r.entries ?? []))]);
  const left = remainingWays(d.config, after);
  const refusals: Refusal[] = account ? [account] : [];
  if (o.action === 'disable' && left.online.length === 0 && left.manual.length === 0) {
    refusals.push({
      reason: `disabling ${o.target} leaves customers no way to pay at all (no online method, no manual way)`,
      forceable: true,
    });
  }
  const before = remainingWays(d.config, [...new Set(regions.flatMap((r) => r.entries ?? []))]);
  const lost = before.online.filter((m) => !left.online.includes(m));
  if (o.action === 'disable' && lost.length > 0 && left.online.length > 0) {
    warnings.push(
      `${lost.join(' and ')} will be unavailable: no other provider takes ${lost.length > 1 ? 'them' : 'it'} (customers see the other ways first)`,
    );
  }
  if (o.action === 'disable' && left.online.length === 0 && left.manual.length > 0) {
    warnings.push(
      `every online method will be off: customers can pay only by ${left.manual.join(' or ')}; consider: ${commandPrefix(d)} notice payment-incident --method ${left.onlineDown.join(',')}`,
    );
  }
  const parameter = d.names.paymentsSwitchParameter();
  const regionNames = regions.map((r) => r.region);
  const inverse = o.action === 'disable' ? 'enable' : 'disable';
  const step: Step = {
    title: `${o.action === 'disable' ? 'Disable' : 'Enable'} ${o.target} in every region`,
    region: regionNames.join(', '),
    changes: `SSM ${parameter} (${o.action === 'disable' ? 'add' : 'remove'} "${o.target}"), read back`,
    expected: 'seconds; each shop applies it within its 15 s poll',
    kind: 'change',
    done: regions.every(inForce),
    async run(ctx) {
      const writes = await Promise.all(
        regions.map((r) =>
          inForce(r)
            ? Promise.resolve<RegionWrite>({
                region: r.region,
                result: 'ok',
                value: formatSwitchValue(r.entries!),
              })
            : writePaymentsSwitch(d, r.region, apply),
        ),
      );
      if (writes.some((w) => w.result === 'ok' || w.result === 'unknown')) ctx.changed();
      for (const w of writes.filter((x) => x.result === 'ok' && x.error)) ctx.warn(`${w.region}: ${w.error}`);
      const bad = writes.filter((w) => w.result !== 'ok');
      if (bad.length > 0) {
        throw new StepFailure(
          `${writes.map(describeWrite).join('; ').replace(/\.$/, '')}. A region left out keeps its old value and its shop acts on it`,
        );
      }
      return writes.map((w) => `${w.region} ${w.value}`).join('; ');
    },
  };
  const command = (action: string) =>
    `${commandPrefix(d)} payments ${action} ${o.target} --yes${o.force ? ' --force' : ''}`;
  return {
    command: `payments ${o.action}`,
    args,
    title: `Plan: ${o.action} ${o.target} in the shops of ${regionNames.join(', ')}. Customers then see: online ${left.online.join(', ') || 'NONE'}; manual ${left.manual.join(', ') || 'none'}`,
    steps: [step],
    refusals,
    warnings,
    dryRun: o.dryRun,
    yes: o.yes,
    force: o.force,
    alreadyInEffect: `${o.target} is already ${o.action}d in every region`,
    resume: command(o.action),
    rollback: command(inverse),
    rollbackNote: `${inverse}s ${o.target} again in every region`,
  };
}
