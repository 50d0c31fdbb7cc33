import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PAYMENT_DIMENSIONS, PAYMENT_METRICS, SwitchEntry } from '../../lib/contract/payments';
import { aws, describeError, errorKind } from '../aws/errors';
import { unionOfLists } from '../aws/listSwitch';
import { getShopJson, type ShopJson } from '../shop/json';
import { type AlarmsInAlarm, alarmsInAlarm } from '../status/alarms';
import { readPaymentsSwitches, RegionSwitch, remainingWays, RemainingWays } from './switch';
import type { Deps } from '../aws/deps';

/** Path of the shop's payment health (owned by the shop; see docs/payments-operations.md). */
export const PAYMENTS_HEALTH_PATH = '/payments/health';

/** What a region's shop says of its payments (`GET /payments/health`), reduced to what shopctl shows. */
export interface ShopPaymentsView {
  /** HTTP status, or null when nothing answered. */
  readonly status: number | null;
  /** `ok`, `degraded` or `all-online-down` as the shop judges it. */
  readonly verdict?: string;
  readonly onlineAvailable?: number;
  readonly onlineMethods?: number;
  /** Online methods the shop cannot offer now. */
  readonly methodsDown?: readonly string[];
  /** `provider/method` lanes whose breaker is not closed, with the state. */
  readonly breakers?: readonly string[];
  /** The switch as the shop applies it (it may lag the parameter by one poll). */
  readonly switchApplied?: readonly string[];
  readonly unresolvedUnknowns?: number | null;
  readonly error?: string;
}

/** Payments in one region. */
export interface RegionPayments {
  readonly region: string;
  readonly switch: RegionSwitch;
  readonly shop: ShopPaymentsView;
  /** Payment alarms of this region in ALARM (null: could not be read). */
  readonly alarms: readonly string[] | null;
  /** Latest `UnresolvedUnknowns` published in this region in the last 10 minutes (null: none or unread). */
  readonly unknownsMetric: number | null;
  readonly alarmsError?: string;
  readonly metricError?: string;
}

/** The payments part of `shopctl status` and `shopctl payments status`. */
export interface PaymentsReport {
  readonly parameter: string;
  readonly regions: readonly RegionPayments[];
  /** Every entry any region's switch holds. */
  readonly disabled: readonly SwitchEntry[];
  /** The regions' switches differ (a region was down during a write). */
  readonly switchesDisagree: boolean;
  /** What customers can choose under the union of the switches (breakers not counted). */
  readonly ways: RemainingWays;
  /**
   * Highest count of payments whose outcome is not settled, from the metric and the shops; null when
   * no source answered (then nobody may promise "not charged twice").
   */
  readonly unresolvedUnknowns: number | null;
  /** `ok`: nothing disabled, no alarm, no unknown; `degraded`; `unknown`: nothing could be read. */
  readonly verdict: 'ok' | 'degraded' | 'all-online-down' | 'unknown';
  readonly reasons: readonly string[];
}

function shopPaymentsUrl(d: Deps, region: string): string {
  return `https://${d.names.regionRecord(region)}${PAYMENTS_HEALTH_PATH}`;
}

/** GET /payments/health of one region within `httpTimeoutMs`; never throws. */
export function getShopPayments(d: Deps, region: string): Promise<ShopPaymentsView> {
  return getShopJson(d, shopPaymentsUrl(d, region), (status, body): ShopPaymentsView => {
    if (!body) return { status, error: 'not JSON' };
    const list = (v: unknown): ShopJson[] =>
      Array.isArray(v) ? v.filter((x): x is ShopJson => !!x && typeof x === 'object') : [];
    const sw = (body.switch ?? {}) as ShopJson;
    return {
      status,
      ...(typeof body.status === 'string' ? { verdict: body.status } : {}),
      ...(typeof body.onlineMethodsAvailable === 'number'
        ? { onlineAvailable: body.onlineMethodsAvailable }
        : {}),
      ...(typeof body.onlineMethods === 'number' ? { onlineMethods: body.onlineMethods } : {}),
      methodsDown: list(body.methods)
        .filter((m) => m.available === false)
        .map((m) => String(m.method)),
      breakers: list(body.providers)
        .filter((l) => typeof l.breaker === 'string' && l.breaker !== 'closed')
        .map((l) => `${String(l.provider)}/${String(l.method)} ${String(l.breaker)}`),
      ...(Array.isArray(sw.disabled) ? { switchApplied: sw.disabled.map(String) } : {}),
      ...(body.unresolvedUnknowns === null || typeof body.unresolvedUnknowns === 'number'
        ? { unresolvedUnknowns: body.unresolvedUnknowns }
        : {}),
    };
  });
}

/** Latest `UnresolvedUnknowns` (Maximum per minute) of `region` over the last 10 minutes. */
export async function readUnknownsMetric(
  d: Deps,
  region: string,
): Promise<{ value: number | null; error?: string }> {
  const end = d.now();
  try {
    const res = await aws(d, region, 'cloudwatch:GetMetricData', (o) =>
      d.clients(region).cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(end.getTime() - 10 * 60_000),
          EndTime: end,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'unknowns',
              MetricStat: {
                Metric: {
                  Namespace: d.names.paymentsNamespace(),
                  MetricName: PAYMENT_METRICS.unresolvedUnknowns,
                  Dimensions: [{ Name: PAYMENT_DIMENSIONS.region, Value: region }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        }),
        o,
      ),
    );
    const values = res.MetricDataResults?.find((r) => r.Id === 'unknowns')?.Values ?? [];
    return { value: values.length > 0 ? values[0] : null };
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    return { value: null, error: describeError(e, d.profile) };
  }
}

/**
 * Reads every region's switch and shop payment health and, unless `cloudwatch` is false, its payment
 * alarms and unknowns metric, all in parallel. `shopctl status` reads without CloudWatch: the shop's
 * own report carries the same count, and status keeps its calls to what it needs to say where
 * customers are served.
 */
export async function gatherPayments(d: Deps, o: { cloudwatch?: boolean } = {}): Promise<PaymentsReport> {
  const cloudwatch = o.cloudwatch ?? true;
  const skipped: AlarmsInAlarm = { alarms: null, error: 'not read' };
  const noMetric: { value: number | null; error?: string } = { value: null };
  const [switches, perRegion] = await Promise.all([
    readPaymentsSwitches(d),
    Promise.all(
      d.config.regions.map(async (r) => {
        const [shop, alarms, metric] = await Promise.all([
          getShopPayments(d, r.name),
          cloudwatch
            ? alarmsInAlarm(d, r.name, `${d.names.alarmPrefix()}payments-`, ['MetricAlarm'])
            : skipped,
          cloudwatch ? readUnknownsMetric(d, r.name) : noMetric,
        ]);
        return { shop, alarms, metric };
      }),
    ),
  ]);
  const regions: RegionPayments[] = switches.map((s, i) => ({
    region: s.region,
    switch: s,
    shop: perRegion[i].shop,
    alarms: perRegion[i].alarms.alarms,
    unknownsMetric: perRegion[i].metric.value,
    ...(perRegion[i].alarms.error ? { alarmsError: perRegion[i].alarms.error } : {}),
    ...(perRegion[i].metric.error ? { metricError: perRegion[i].metric.error } : {}),
  }));
  const read = switches.flatMap((s) => (s.entries ? [s.entries] : []));
  const { union: disabled, disagree: switchesDisagree } = unionOfLists(read);
  const ways = remainingWays(d.config, disabled);
  const unknownSources = regions.flatMap((r) => [
    r.unknownsMetric,
    typeof r.shop.unresolvedUnknowns === 'number' ? r.shop.unresolvedUnknowns : null,
  ]);
  const answered = unknownSources.filter((v): v is number => v !== null);
  const unresolvedUnknowns = answered.length > 0 ? Math.max(...answered) : null;

  const reasons: string[] = [];
  if (disabled.length) reasons.push(`switched off by an operator: ${disabled.join(', ')}`);
  if (switchesDisagree)
    reasons.push('the regions hold different switch values: re-run the last shopctl payments command');
  for (const r of regions) {
    if (r.shop.verdict && r.shop.verdict !== 'ok') {
      reasons.push(
        `${r.region} shop: ${r.shop.verdict} (${[...(r.shop.methodsDown ?? []).map((m) => `${m} down`), ...(r.shop.breakers ?? [])].join(', ')})`,
      );
    }
    if (r.alarms?.length) reasons.push(`${r.region} alarms: ${r.alarms.join(', ')}`);
  }
  if (unresolvedUnknowns)
    reasons.push(`${unresolvedUnknowns} payments with an unknown outcome not settled yet`);
  const nothingRead = read.length === 0 && regions.every((r) => r.shop.status === null);
  const allDown = ways.online.length === 0 || regions.some((r) => r.shop.verdict === 'all-online-down');
  const verdict = nothingRead ? 'unknown' : allDown ? 'all-online-down' : reasons.length ? 'degraded' : 'ok';
  return {
    parameter: d.names.paymentsSwitchParameter(),
    regions,
    disabled,
    switchesDisagree,
    ways,
    unresolvedUnknowns,
    verdict,
    reasons: nothingRead ? ['no region answered (switch or shop)'] : reasons,
  };
}

/** One line per region, for `shopctl status` and `shopctl payments status`. */
export function renderPaymentsLines(p: PaymentsReport): string[] {
  const shopText = (s: ShopPaymentsView) =>
    s.status === null
      ? `shop no answer (${s.error ?? 'unknown'})`
      : s.verdict
        ? `shop ${s.verdict} ${s.onlineAvailable ?? '?'}/${s.onlineMethods ?? '?'} online${s.breakers?.length ? ` [${s.breakers.join(', ')}]` : ''}`
        : `shop ${s.status}${s.error ? ` (${s.error})` : ''}`;
  const switchText = (s: RegionSwitch) =>
    s.entries ? (s.entries.length ? s.entries.join(' ') : 'nothing off') : `unknown (${s.error})`;
  return [
    `Payments        ${p.verdict.toUpperCase()}: online ${p.ways.online.join(', ') || 'NONE'}; manual ${p.ways.manual.join(', ') || 'none'}; unknown outcomes ${p.unresolvedUnknowns ?? 'unknown'}`,
    ...p.regions.map(
      (r) =>
        `  ${r.region.padEnd(16)}switch ${switchText(r.switch)}; ${shopText(r.shop)}${r.alarmsError === 'not read' ? '' : `; alarms ${r.alarms === null ? 'unknown' : r.alarms.length ? r.alarms.join(', ') : 'none'}`}`,
    ),
    ...p.reasons.map((x) => `  - ${x}`),
  ];
}
