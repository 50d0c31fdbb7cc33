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
import { commandPrefix, type Refusal } from '../action/refusals';
import type { Deps } from '../aws/deps';
import { UsageError } from '../aws/errors';
import { planListSwitch, readListSwitches, type RegionList } from '../aws/listSwitch';
import type { SwitchCodec } from '../aws/switchParameter';

/**
 * The payments operator switch (`Names.paymentsSwitchParameter()`, one SSM parameter in every
 * region; lib/contract/payments.ts), a regional list switch (cli/aws/listSwitch.ts) like the
 * notifications switch: what a target is, what customers keep, and the plan of `shopctl payments
 * disable|enable`.
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

/** How the payments switch's value is read and written (lib/contract/payments.ts). */
export const PAYMENTS_SWITCH: SwitchCodec<readonly SwitchEntry[]> = {
  parse: parseSwitchValue,
  format: formatSwitchValue,
  empty: '[]',
};

/** One region's copy of the switch, as read. */
export type RegionSwitch = RegionList<SwitchEntry>;

/** Reads the switch in every region of the config, in parallel; never throws but for credentials and Ctrl-C. */
export function readPaymentsSwitches(d: Deps): Promise<RegionSwitch[]> {
  return readListSwitches(d, d.names.paymentsSwitchParameter(), PAYMENTS_SWITCH);
}

/** Options of {@link planPaymentsSwitch}. */
export interface PaymentsSwitchOptions {
  readonly action: 'disable' | 'enable';
  readonly target: SwitchEntry;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

/**
 * The action `shopctl payments disable|enable <target>` (a regional list switch,
 * cli/aws/listSwitch.ts). A change that leaves customers no way to pay at all is refused unless
 * `--force`; methods it leaves without a provider, or every online method going, are warned about.
 */
export function planPaymentsSwitch(
  d: Deps,
  o: PaymentsSwitchOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  return planListSwitch(
    d,
    {
      command: 'payments',
      action: o.action,
      entry: o.target,
      label: o.target,
      parameter: d.names.paymentsSwitchParameter(),
      codec: PAYMENTS_SWITCH,
      reader: 'shop',
      feature: 'payments',
      judge: (beforeOff, afterOff) => {
        const left = remainingWays(d.config, afterOff);
        const before = remainingWays(d.config, beforeOff);
        const refusals: Refusal[] = [];
        const warnings: string[] = [];
        if (o.action === 'disable' && left.online.length === 0 && left.manual.length === 0) {
          refusals.push({
            reason: `disabling ${o.target} leaves customers no way to pay at all (no online method, no manual way)`,
            forceable: true,
          });
        }
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
        return {
          refusals,
          warnings,
          leaves: `Customers then see: online ${left.online.join(', ') || 'NONE'}; manual ${left.manual.join(', ') || 'none'}`,
        };
      },
      dryRun: o.dryRun,
      yes: o.yes,
      force: o.force,
    },
    args,
  );
}
