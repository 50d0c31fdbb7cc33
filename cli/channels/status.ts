import type { Deps } from '../aws/deps';
import { describeError, errorKind } from '../aws/errors';
import { unionOfLists } from '../aws/listSwitch';
import { getShopJson, type ShopJson } from '../shop/json';
import { type AlarmsInAlarm, alarmsInAlarm } from '../status/alarms';
import { configuredChannels, readChannelSwitches, type RegionChannelSwitch } from './switch';

/** Path of the shop's notice health (owned by the shop; NOTIFY-CONTRACT "Shop HTTP"). */
export const NOTIFY_HEALTH_PATH = '/notify/health';

/** One channel as a region's dispatcher reports it. */
export interface ShopChannelView {
  readonly channel: string;
  readonly breaker: string;
  readonly disabled: boolean;
  readonly sent: number;
  readonly failed: number;
  readonly fallbacks: number;
}

/** What a region's shop says of its notices (`GET /notify/health`), reduced to what shopctl shows. */
export interface ShopNotifyView {
  /** HTTP status, or null when nothing answered. */
  readonly status: number | null;
  readonly channels?: readonly ShopChannelView[];
  /** Age of the oldest unsent notice; null when the shop could not read its outbox. */
  readonly oldestUnsentAgeSeconds?: number | null;
  /** The switch as the dispatcher applies it (it may lag the parameter by one poll). */
  readonly switchApplied?: readonly string[];
  /** The dispatcher's last failed read of the switch, if any. */
  readonly switchError?: string;
  readonly error?: string;
}

/** Notices in one region. */
export interface RegionChannels {
  readonly region: string;
  /** Undefined when the switch could not be read for want of credentials. */
  readonly switch?: RegionChannelSwitch;
  readonly shop: ShopNotifyView;
  /** Notify alarms of this region in ALARM (null: not read or could not be read). */
  readonly alarms: readonly string[] | null;
  readonly alarmsError?: string;
}

/** The channels part of `shopctl status` and `shopctl channels status`. */
export interface ChannelsReport {
  readonly parameter: string;
  /** The config's channels in fallback order. */
  readonly channels: readonly string[];
  readonly regions: readonly RegionChannels[];
  /** Every channel any region's switch holds. */
  readonly disabled: readonly string[];
  /** The regions' switches differ (a region was down during a write). */
  readonly switchesDisagree: boolean;
  /** Configured channels not switched off anywhere (breakers not counted). */
  readonly on: readonly string[];
  /** Oldest unsent notice any shop reports; null when no shop could say. */
  readonly oldestUnsentAgeSeconds: number | null;
  /** The switch could not be read for want of credentials: only the shops' own reports are shown. */
  readonly withoutCredentials?: string;
  /** `ok`: nothing off, every breaker closed, no alarm; `degraded`; `unknown`: nothing could be read. */
  readonly verdict: 'ok' | 'degraded' | 'unknown';
  readonly reasons: readonly string[];
}

/** GET /notify/health of one region within `httpTimeoutMs`; never throws. */
export function getShopNotify(d: Deps, region: string): Promise<ShopNotifyView> {
  const url = `https://${d.names.regionRecord(region)}${NOTIFY_HEALTH_PATH}`;
  return getShopJson(d, url, (status, body): ShopNotifyView => {
    if (!body) return { status, error: 'not JSON' };
    const sw = (body.switch ?? {}) as ShopJson;
    const channels = Array.isArray(body.channels)
      ? body.channels
          .filter((c): c is ShopJson => !!c && typeof c === 'object')
          .map((c) => ({
            channel: String(c.channel),
            breaker: String(c.breaker),
            disabled: c.disabled === true,
            sent: Number(c.sent ?? 0),
            failed: Number(c.failed ?? 0),
            fallbacks: Number(c.fallbacks ?? 0),
          }))
      : undefined;
    return {
      status,
      ...(channels ? { channels } : {}),
      ...(body.oldestUnsentAgeSeconds === null || typeof body.oldestUnsentAgeSeconds === 'number'
        ? { oldestUnsentAgeSeconds: body.oldestUnsentAgeSeconds }
        : {}),
      ...(Array.isArray(sw.disabled) ? { switchApplied: sw.disabled.map(String) } : {}),
      ...(typeof sw.error === 'string' && sw.error ? { switchError: sw.error } : {}),
    };
  });
}

/**
 * Reads every region's switch and shop notice health and, unless `cloudwatch` is false, its notify
 * alarms, all in parallel. Without credentials it still reads the shops (public HTTPS) and says
 * the switch is unknown: an operator on a laptop without a session sees what the dispatchers report.
 */
export async function gatherChannels(d: Deps, o: { cloudwatch?: boolean } = {}): Promise<ChannelsReport> {
  const cloudwatch = o.cloudwatch ?? true;
  const channels = configuredChannels(d.config);
  const shopsP = Promise.all(d.config.regions.map((r) => getShopNotify(d, r.name)));
  let withoutCredentials: string | undefined;
  const awsSide = async (): Promise<{
    switches: (RegionChannelSwitch | undefined)[];
    alarms: AlarmsInAlarm[];
  }> => {
    const skipped = d.config.regions.map(() => ({ alarms: null, error: 'not read' }));
    try {
      const [switches, alarms] = await Promise.all([
        readChannelSwitches(d),
        cloudwatch
          ? Promise.all(
              d.config.regions.map((r) =>
                alarmsInAlarm(d, r.name, `${d.names.alarmPrefix()}notify-`, [
                  'MetricAlarm',
                  'CompositeAlarm',
                ]),
              ),
            )
          : skipped,
      ]);
      return { switches, alarms };
    } catch (e) {
      if (errorKind(e) !== 'credentials') throw e;
      withoutCredentials = describeError(e, d.profile);
      return { switches: d.config.regions.map(() => undefined), alarms: skipped };
    }
  };
  const [shops, { switches, alarms }] = await Promise.all([shopsP, awsSide()]);
  const regions: RegionChannels[] = d.config.regions.map((r, i) => ({
    region: r.name,
    ...(switches[i] ? { switch: switches[i] } : {}),
    shop: shops[i],
    alarms: alarms[i].alarms,
    ...(alarms[i].error ? { alarmsError: alarms[i].error } : {}),
  }));
  const read = switches.flatMap((s) => (s?.disabled ? [s.disabled] : []));
  const { union: disabled, disagree: switchesDisagree } = unionOfLists(read);
  const on = channels.filter((c) => !disabled.includes(c));
  const ages = regions
    .map((r) => r.shop.oldestUnsentAgeSeconds)
    .filter((v): v is number => typeof v === 'number');
  const oldestUnsentAgeSeconds = ages.length > 0 ? Math.max(...ages) : null;
  const threshold = d.config.notifications?.alarms.oldestUnsentSeconds;

  const reasons: string[] = [];
  if (withoutCredentials) reasons.push('no AWS credentials: the switch and the alarms are unknown');
  if (disabled.length) reasons.push(`switched off by an operator: ${disabled.join(', ')}`);
  if (on.length === 0 && channels.length > 0) reasons.push('NO channel is on: no notice is sent');
  if (switchesDisagree)
    reasons.push('the regions hold different switch values: re-run the last shopctl channels command');
  for (const r of regions) {
    const open = (r.shop.channels ?? []).filter((c) => c.breaker !== 'closed');
    if (open.length)
      reasons.push(`${r.region} breakers: ${open.map((c) => `${c.channel} ${c.breaker}`).join(', ')}`);
    if (r.shop.switchError)
      reasons.push(`${r.region} dispatcher cannot read the switch: ${r.shop.switchError}`);
    if (r.alarms?.length) reasons.push(`${r.region} alarms: ${r.alarms.join(', ')}`);
  }
  if (oldestUnsentAgeSeconds !== null && threshold !== undefined && oldestUnsentAgeSeconds > threshold)
    reasons.push(`the oldest unsent notice is ${oldestUnsentAgeSeconds} s old (alarm above ${threshold} s)`);
  const nothingRead = read.length === 0 && regions.every((r) => r.shop.status === null);
  const verdict =
    nothingRead || (withoutCredentials && regions.every((r) => r.shop.status === null))
      ? 'unknown'
      : reasons.length
        ? 'degraded'
        : 'ok';
  return {
    parameter: d.names.notifySwitchParameter(),
    channels,
    regions,
    disabled,
    switchesDisagree,
    on,
    oldestUnsentAgeSeconds,
    ...(withoutCredentials ? { withoutCredentials } : {}),
    verdict,
    reasons: nothingRead ? ['no region answered (switch or shop)', ...reasons] : reasons,
  };
}

/** One line per region, for `shopctl status` and `shopctl channels status`. */
export function renderChannelsLines(c: ChannelsReport): string[] {
  const shopText = (s: ShopNotifyView) => {
    if (s.status === null) return `shop no answer (${s.error ?? 'unknown'})`;
    if (!s.channels) return `shop ${s.status}${s.error ? ` (${s.error})` : ''}`;
    const chans = s.channels
      .map((x) => `${x.channel} ${x.disabled ? 'off' : x.breaker} ${x.sent}/${x.failed}/${x.fallbacks}`)
      .join(', ');
    const age = s.oldestUnsentAgeSeconds === null ? 'unknown' : `${s.oldestUnsentAgeSeconds ?? '?'} s`;
    return `shop ${chans}; oldest unsent ${age}`;
  };
  const switchText = (s?: RegionChannelSwitch) =>
    !s
      ? 'unknown (no credentials)'
      : s.disabled
        ? s.disabled.length
          ? `off ${s.disabled.join(' ')}`
          : 'nothing off'
        : `unknown (${s.error})`;
  return [
    `Channels        ${c.verdict.toUpperCase()}: on ${c.on.join(' → ') || 'NONE'}; oldest unsent ${c.oldestUnsentAgeSeconds === null ? 'unknown' : `${c.oldestUnsentAgeSeconds} s`}`,
    ...c.regions.map(
      (r) =>
        `  ${r.region.padEnd(16)}switch ${switchText(r.switch)}; ${shopText(r.shop)}${r.alarmsError === 'not read' ? '' : `; alarms ${r.alarms === null ? 'unknown' : r.alarms.length ? r.alarms.join(', ') : 'none'}`}`,
    ),
    ...c.reasons.map((x) => `  - ${x}`),
  ];
}
