import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { ShopConfig } from '../../lib/config/load';
import { formatNotifySwitchValue, parseNotifySwitchValue } from '../../lib/contract/notify';
import type { ActionSpec } from '../action/action';
import { confirmedWrite, LATE, NotInEffect, OutcomeUnknown } from '../action/readBack';
import { accountRefusal, commandPrefix, type Refusal } from '../action/refusals';
import type { Step } from '../action/steps';
import type { CallContext } from '../aws/deadline';
import type { Deps } from '../aws/deps';
import { readSwitchParameter } from '../aws/switchParameter';
import { aws, describeError, errorKind, StepFailure, UsageError } from '../aws/errors';

/**
 * The notifications operator switch (`Names.notifySwitchParameter()`, one SSM parameter in every
 * region; lib/contract/notify.ts): read it, write it with a read-back, plan `shopctl channels
 * disable|enable` for the step runner. Built like the payments switch (cli/payments/switch.ts).
 *
 * The dispatcher in each region polls its own region's copy (every 15 s, keeping the last value when a
 * read fails), so every region that dispatches must hold the same value: a write goes to every
 * region, and a region that does not answer is named, with the command that completes it.
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

/** Reads the switch in `region`; never throws but for credentials and Ctrl-C. */
export async function readChannelSwitch(d: Deps, region: string): Promise<RegionChannelSwitch> {
  const { value, ...rest } = await readSwitchParameter<readonly string[]>(
    d,
    region,
    d.names.notifySwitchParameter(),
    parseNotifySwitchValue,
    [],
  );
  return { region, ...(value ? { disabled: value } : {}), ...rest };
}

/** Reads the switch in every region of the config, in parallel. */
export function readChannelSwitches(d: Deps): Promise<RegionChannelSwitch[]> {
  return Promise.all(d.config.regions.map((r) => readChannelSwitch(d, r.name)));
}

/**
 * What a write did in one region, as the step runner words it: `done` (its answer came, or it was
 * lost and the read-back found the value: `late`), `not-done` (refused, not reachable, or read back as
 * not written), `unknown` (no answer and the read-back could not tell).
 */
export interface RegionChannelWrite {
  readonly region: string;
  readonly result: 'done' | 'not-done' | 'unknown';
  readonly value: string;
  readonly late?: boolean;
  readonly error?: string;
}

/**
 * Writes `value` to the switch in `region` (PutParameter, Overwrite) through `confirmedWrite`: a
 * write whose answer does not come is read back before it is reported. SSM has no compare-and-set
 * on a parameter's value, so two operators writing at once can lose one change; the plan's read and
 * the read-back name what is in force.
 */
export async function writeChannelSwitch(
  d: Deps,
  region: string,
  value: string,
): Promise<RegionChannelWrite> {
  const name = d.names.notifySwitchParameter();
  const c = d.clients(region);
  try {
    const how = await confirmedWrite(
      d,
      () =>
        aws(d, region, 'ssm:PutParameter', (o) =>
          c.ssm.send(
            new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
            o,
          ),
        ),
      async (ctx: CallContext) => {
        const res = await aws(ctx, region, 'ssm:GetParameter', (o) =>
          c.ssm.send(new GetParameterCommand({ Name: name }), o),
        ).catch((e: unknown) => {
          if (errorKind(e) === 'not-found') return { Parameter: { Value: '[]' } };
          throw e;
        });
        return formatNotifySwitchValue(parseNotifySwitchValue(res.Parameter?.Value ?? '[]')) === value;
      },
    );
    return { region, result: 'done', value, ...(how === 'read-back' ? { late: true } : {}) };
  } catch (e) {
    if (e instanceof OutcomeUnknown) return { region, result: 'unknown', value, error: e.message };
    if (!(e instanceof NotInEffect) && errorKind(e) === 'interrupted') throw e;
    return {
      region,
      result: 'not-done',
      value,
      error: e instanceof NotInEffect ? e.message : describeError(e, d.profile),
    };
  }
}

/** Options of {@link planChannelSwitch}. */
export interface ChannelSwitchOptions {
  readonly action: 'disable' | 'enable';
  readonly channel: string;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

const WORD = { done: 'DONE', 'not-done': 'NOT DONE', unknown: 'UNKNOWN' } as const;

/** `ap-northeast-2 DONE`, `ap-northeast-1 NOT DONE: Access denied…` */
export function describeChannelWrite(w: RegionChannelWrite): string {
  return `${w.region} ${WORD[w.result]}${w.late ? ` (${LATE})` : ''}${w.error ? `: ${w.error}` : ''}`;
}

/**
 * The action `shopctl channels disable|enable <channel>`: one step that writes every region in
 * parallel, each write read back when its answer does not come. Every region DONE: exit 0. A region
 * UNKNOWN: the step is UNKNOWN (exit 3), since that region's dispatcher may or may not act on it. A
 * region NOT DONE: the change is partial (exit 4) with the command that completes it.
 * Disabling the last channel left on is refused unless `--force`: no notice would be sent at all.
 */
export async function planChannelSwitch(
  d: Deps,
  o: ChannelSwitchOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  const [regions, account] = await Promise.all([readChannelSwitches(d), accountRefusal(d)]);
  const apply = (current: readonly string[]): string =>
    formatNotifySwitchValue(
      o.action === 'disable' ? [...current, o.channel] : current.filter((c) => c !== o.channel),
    );
  const inForce = (r: RegionChannelSwitch) =>
    !!r.disabled && (o.action === 'disable') === r.disabled.includes(o.channel);
  const warnings = regions
    .filter((r) => !r.disabled)
    .map((r) => `could not read the switch in ${r.region}: ${r.error}`);
  for (const r of regions.filter((x) => x.missing)) {
    warnings.push(
      `${r.region} has no ${d.names.notifySwitchParameter()} yet (its stack predates notifications); this writes it`,
    );
  }
  // What stays on, judged on the union of every region's list after the change.
  const union = [...new Set(regions.flatMap((r) => r.disabled ?? []))];
  const after = JSON.parse(apply(union)) as string[];
  const channels = configuredChannels(d.config);
  const left = channels.filter((c) => !after.includes(c));
  const refusals: Refusal[] = account ? [account] : [];
  if (o.action === 'disable' && left.length === 0) {
    refusals.push({
      reason: `disabling ${o.channel} leaves no channel on: no customer notice would be sent at all (they wait in the outbox until a channel is enabled)`,
      forceable: true,
    });
  }
  if (o.action === 'disable' && left.length > 0) {
    const unreached = unreachedContacts(channels, left);
    if (unreached) {
      warnings.push(
        `no channel left reaches ${unreached}: customers who gave only that get no notice until ${o.channel} is enabled (their notices wait in the outbox)`,
      );
    }
  }
  const parameter = d.names.notifySwitchParameter();
  const regionNames = regions.map((r) => r.region);
  const inverse = o.action === 'disable' ? 'enable' : 'disable';
  const step: Step = {
    title: `${o.action === 'disable' ? 'Disable' : 'Enable'} channel ${o.channel} in every region`,
    region: regionNames.join(', '),
    changes: `SSM ${parameter} (${o.action === 'disable' ? 'add' : 'remove'} "${o.channel}"), read back when an answer is lost`,
    expected: 'seconds; each dispatcher applies it within its 15 s poll',
    kind: 'change',
    done: regions.every(inForce),
    async run(ctx) {
      const writes = await Promise.all(
        regions.map((r) =>
          inForce(r)
            ? Promise.resolve<RegionChannelWrite>({
                region: r.region,
                result: 'done',
                value: formatNotifySwitchValue(r.disabled!),
              })
            : r.disabled
              ? writeChannelSwitch(d, r.region, apply(r.disabled))
              : Promise.resolve<RegionChannelWrite>({
                  region: r.region,
                  result: 'not-done',
                  value: '',
                  error: `not written: its switch could not be read (${r.error})`,
                }),
        ),
      );
      if (writes.some((w) => w.result !== 'not-done')) ctx.changed();
      for (const w of writes.filter((x) => x.late)) ctx.warn(`${w.region}: ${LATE}`);
      const summary = writes.map(describeChannelWrite).join('; ');
      if (writes.some((w) => w.result === 'unknown')) {
        throw new OutcomeUnknown(
          `${summary}. A region UNKNOWN may or may not have the change; npx shopctl channels status reads it`,
          d.signal.aborted,
        );
      }
      if (writes.some((w) => w.result === 'not-done')) {
        throw new StepFailure(
          `${summary}. A region left out keeps its old value and its dispatcher acts on it`,
        );
      }
      return writes.map((w) => `${w.region} ${w.value}`).join('; ');
    },
  };
  const command = (action: string) =>
    `${commandPrefix(d)} channels ${action} ${o.channel} --yes${o.force ? ' --force' : ''}`;
  return {
    command: `channels ${o.action}`,
    args,
    title: `Plan: ${o.action} channel ${o.channel} in the shops of ${regionNames.join(', ')}. Notices then go through: ${left.join(' → ') || 'NONE'}`,
    steps: [step],
    refusals,
    warnings,
    dryRun: o.dryRun,
    yes: o.yes,
    force: o.force,
    alreadyInEffect: `${o.channel} is already ${o.action}d in every region`,
    resume: command(o.action),
    rollback: command(inverse),
    rollbackNote: `${inverse}s ${o.channel} again in every region`,
  };
}
