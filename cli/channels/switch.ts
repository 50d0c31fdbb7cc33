import type { ShopConfig } from '../../lib/config/load';
import { formatNotifySwitchValue, parseNotifySwitchValue } from '../../lib/contract/notify';
import type { ActionSpec } from '../action/action';
import type { Refusal } from '../action/refusals';
import type { Deps } from '../aws/deps';
import { UsageError } from '../aws/errors';
import { planListSwitch, readListSwitches } from '../aws/listSwitch';
import type { SwitchCodec } from '../aws/switchParameter';

/**
 * The notifications operator switch (`Names.notifySwitchParameter()`, one SSM parameter in every
 * region; lib/contract/notify.ts), a regional list switch (cli/aws/listSwitch.ts) like the payments
 * switch: what a channel is, what its loss leaves, and the plan of `shopctl channels disable|enable`.
 */

/** The channel ids of the config, in fallback order. */
export function configuredChannels(config: ShopConfig): string[] {
  return (config.notifications?.channels ?? []).map((c) => c.id);
}

/**
 * Checks a channel id against the config.
 * @throws UsageError naming the channels there are (or saying the config has none).
 */
export function parseChannel(config: ShopConfig, arg: string): string {
  const ids = configuredChannels(config);
  if (ids.length === 0) {
    throw new UsageError(
      `config "${config.configName}" has no notifications key: there is no channel to switch. Add "notifications" to the config (docs/notifications.md)`,
    );
  }
  if (ids.includes(arg)) return arg;
  throw new UsageError(`"${arg}" is not a channel of this config. Use one of: ${ids.join(', ')}`);
}

/** Channels that reach a customer by phone number (알림톡, SMS); the others need an e-mail address. */
const PHONE_CHANNELS: readonly string[] = ['alimtalk', 'sms'];

/**
 * The kind of contact no channel in `left` reaches although the config has a channel for it
 * ("a phone number", "an e-mail address"), or undefined.
 */
export function unreachedContacts(
  configured: readonly string[],
  left: readonly string[],
): string | undefined {
  const phone = (ids: readonly string[]) => ids.some((c) => PHONE_CHANNELS.includes(c));
  const email = (ids: readonly string[]) => ids.some((c) => !PHONE_CHANNELS.includes(c));
  if (phone(configured) && !phone(left)) return 'a phone number';
  if (email(configured) && !email(left)) return 'an e-mail address';
  return undefined;
}

/** How the notifications switch's value is read and written (lib/contract/notify.ts). */
export const NOTIFY_SWITCH: SwitchCodec<readonly string[]> = {
  parse: parseNotifySwitchValue,
  format: formatNotifySwitchValue,
  empty: '[]',
};

/** One region's copy of the switch, as read. */
export interface RegionChannelSwitch {
  readonly region: string;
  /** Channel ids switched off; absent when it could not be read (see `error`). */
  readonly disabled?: readonly string[];
  /** The parameter does not exist (the region's stack predates notifications): nothing is off there. */
  readonly missing?: boolean;
  readonly error?: string;
  readonly unreachable?: boolean;
}

/** Reads the switch in every region of the config, in parallel; never throws but for credentials and Ctrl-C. */
export async function readChannelSwitches(d: Deps): Promise<RegionChannelSwitch[]> {
  const regions = await readListSwitches(d, d.names.notifySwitchParameter(), NOTIFY_SWITCH);
  return regions.map(({ region, entries, ...rest }) => ({
    region,
    ...(entries ? { disabled: entries } : {}),
    ...rest,
  }));
}

/** Options of {@link planChannelSwitch}. */
export interface ChannelSwitchOptions {
  readonly action: 'disable' | 'enable';
  readonly channel: string;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

/**
 * The action `shopctl channels disable|enable <channel>` (a regional list switch,
 * cli/aws/listSwitch.ts). Disabling the last channel left on is refused unless `--force`: no notice
 * would be sent at all; a channel whose loss leaves a kind of contact unreached is warned about.
 */
export function planChannelSwitch(
  d: Deps,
  o: ChannelSwitchOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  const channels = configuredChannels(d.config);
  return planListSwitch(
    d,
    {
      command: 'channels',
      action: o.action,
      entry: o.channel,
      label: `channel ${o.channel}`,
      parameter: d.names.notifySwitchParameter(),
      codec: NOTIFY_SWITCH,
      reader: 'dispatcher',
      feature: 'notifications',
      judge: (_before, after) => {
        const left = channels.filter((c) => !after.includes(c));
        const refusals: Refusal[] = [];
        const warnings: string[] = [];
        if (o.action === 'disable' && left.length === 0) {
          refusals.push({
            reason: `disabling ${o.channel} leaves no channel on: no customer notice would be sent at all (they wait in the outbox until a channel is enabled)`,
            forceable: true,
          });
        }
        const unreached = o.action === 'disable' && left.length > 0 && unreachedContacts(channels, left);
        if (unreached) {
          warnings.push(
            `no channel left reaches ${unreached}: customers who gave only that get no notice until ${o.channel} is enabled (their notices wait in the outbox)`,
          );
        }
        return { refusals, warnings, leaves: `Notices then go through: ${left.join(' → ') || 'NONE'}` };
      },
      dryRun: o.dryRun,
      yes: o.yes,
      force: o.force,
    },
    args,
  );
}
