import { worstCaseFailoverSeconds } from '../report/failover-time';
import { PROVIDER_KIND_METHODS } from '../contract/payments';
import { NOTIFY_CHANNEL_KINDS, NOTIFY_NOTICE_KINDS, sesFromIdentities } from '../contract/notify';
import { HEALTH_CHECKER_REGIONS, KNOWN_REGIONS } from './schema';
import { nearest } from './suggest';

/** One problem found in a config: where, what was there, and how to fix it. */
export interface ConfigProblem {
  /** Dotted path of the key, e.g. `regions[1].name`. */
  readonly key: string;
  /** The value found there (undefined when the key is missing). */
  readonly value: unknown;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/**
 * The region of the edge stack (CloudFront's certificate and WAF, Route 53 health-check metrics
 * and their alarms). Kept here, not imported from names.ts, so that the rules stay free of the
 * construct code.
 */
const EDGE_REGION = 'us-east-1';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Rules that span several keys, run on the raw config so that they report together with the schema's
 * problems (a rule skips the values that are missing or of the wrong type: the schema reports those).
 */
export function crossFieldProblems(raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, value: unknown, message: string) => problems.push({ key, value, message });
  const c = obj(raw);
  if (!c) return problems;
  const web = obj(c.web) ?? {};
  const network = obj(c.network) ?? {};
  const regions = list(c.regions).map((r) => obj(r) ?? {});
  const regionNames = regions.map((r) => str(r.name));

  if (Array.isArray(c.regions) && regions.length < 2) {
    add(
      'regions',
      regionNames,
      'needs at least 2 regions (the first is the primary). Fix: add a standby, e.g. { "name": "ap-northeast-1" }',
    );
  }
  const seen = new Map<string, number>();
  const cidrs = new Map<string, number>();
  regions.forEach((r, i) => {
    const name = str(r.name);
    if (name !== undefined) {
      if (!(KNOWN_REGIONS as readonly string[]).includes(name)) {
        add(
          `regions[${i}].name`,
          name,
          `is not a known AWS region. Fix: did you mean ${nearest(
            name,
            KNOWN_REGIONS.filter((k) => k !== EDGE_REGION),
            3,
          ).join(', ')}? (every region this project knows: KNOWN_REGIONS in lib/config/schema.ts)`,
        );
      } else if (name === EDGE_REGION) {
        add(
          `regions[${i}].name`,
          name,
          `is the edge stack's region (CloudFront certificate and WAF, Route 53 health checks and their alarms); a regional stack there would create the same alarm topic (${str(c.appName) ?? '<appName>'}-alarms) as the edge stack, and the second deploy would fail. Fix: run the shop in another region, e.g. us-east-2`,
        );
      }
      if (seen.has(name)) {
        add(
          `regions[${i}].name`,
          name,
          `duplicates regions[${seen.get(name)}]. Fix: list each region once; order is failover order`,
        );
      } else {
        seen.set(name, i);
      }
    }
    const rw = obj(r.web);
    const merged = { ...web, ...rw };
    const where = (field: string) => (rw && field in rw ? `regions[${i}].web` : 'web');
    const min = num(merged.minCapacity);
    const max = num(merged.maxCapacity);
    const warm = num(merged.warmPoolMinSize);
    const label = name ?? `regions[${i}]`;
    if (min !== undefined && max !== undefined && min > max) {
      add(
        `${where('minCapacity')}.minCapacity`,
        min,
        `is greater than maxCapacity (${max}) in region ${label}. Fix: raise maxCapacity or lower minCapacity`,
      );
    }
    if (i === 0 && min === 0) {
      add(
        `${where('minCapacity')}.minCapacity`,
        min,
        `is 0 in the primary region ${label}: the primary would run no instance, so its health check fails and customers are sent to a read-only standby or the outage page, and nothing in the primary scales up by itself. Fix: set minCapacity to 1 or more for ${label} (a standby may run none as "posture": "pilot-light")`,
      );
    }
    if (warm !== undefined && max !== undefined && warm > max) {
      add(
        `${where('warmPoolMinSize')}.warmPoolMinSize`,
        warm,
        `is greater than maxCapacity (${max}) in region ${label}: EC2 Auto Scaling sizes the warm pool from the group's maximum, so it could never hold that many. Fix: lower warmPoolMinSize to ${max} or less, or raise maxCapacity`,
      );
    }
    if (r.posture === 'pilot-light' && warm === 0) {
      add(
        `regions[${i}].posture`,
        r.posture,
        `needs a warm pool (web.warmPoolMinSize is 0 in region ${label}): a pilot-light standby runs no instances. Fix: set warmPoolMinSize to 1 or more, or use "warm"`,
      );
    }
    const rn = obj(r.network);
    const net = { ...network, ...rn };
    const nat = num(net.natGateways);
    const azs = num(net.azCount);
    if (nat !== undefined && azs !== undefined && nat > azs) {
      add(
        `${rn && 'natGateways' in rn ? `regions[${i}].network` : 'network'}.natGateways`,
        nat,
        `exceeds azCount (${azs}) in region ${label}. Fix: use 1 (cost) or ${azs} (one per AZ)`,
      );
    }
    const cidr = str(net.cidr);
    if (cidr !== undefined) {
      if (cidrs.has(cidr)) {
        add(
          `regions[${i}].network.cidr`,
          cidr,
          `is also used by regions[${cidrs.get(cidr)}]. Fix: give each region its own /16, e.g. "10.${i + 1}.0.0/16"`,
        );
      } else {
        cidrs.set(cidr, i);
      }
    }
  });

  const promotions = list(c.promotions).map((p) => obj(p) ?? {});
  promotions.forEach((p, i) => {
    const start = str(p.start);
    const end = str(p.end);
    if (start && end && Date.parse(end) <= Date.parse(start)) {
      add(
        `promotions[${i}].end`,
        end,
        `is not after start (${start}). Fix: end the promotion after it starts`,
      );
    }
    const only = Array.isArray(p.regions) ? p.regions.map(str) : undefined;
    only?.forEach((r, j) => {
      if (r !== undefined && !seen.has(r)) {
        add(
          `promotions[${i}].regions[${j}]`,
          r,
          `is not one of the configured regions. Fix: use one of ${[...seen.keys()].join(', ')}`,
        );
      }
    });
    const minCapacity = num(p.minCapacity);
    regions.forEach((r, ri) => {
      const max = num(obj(r.web)?.maxCapacity) ?? num(web.maxCapacity);
      const name = str(r.name) ?? `regions[${ri}]`;
      if (
        minCapacity !== undefined &&
        max !== undefined &&
        (only ?? [name]).includes(name) &&
        minCapacity > max
      ) {
        add(
          `promotions[${i}].minCapacity`,
          minCapacity,
          `is greater than maxCapacity (${max}) in region ${name}. Fix: raise web.maxCapacity or lower the promotion's minCapacity`,
        );
      }
    });
  });
  const promotionNames = promotions.map((p) => str(p.name));
  promotionNames.forEach((n, i) => {
    if (n !== undefined && promotionNames.indexOf(n) !== i)
      add(`promotions[${i}].name`, n, 'is used twice. Fix: give each promotion its own name');
  });

  const domainName = str(c.domainName);
  const zoneName = str(obj(c.hostedZone)?.name);
  if (domainName && zoneName && domainName !== zoneName && !domainName.endsWith(`.${zoneName}`)) {
    add(
      'domainName',
      domainName,
      `is not inside hostedZone.name (${zoneName}). Fix: use a name ending in ".${zoneName}" or the zone that holds it`,
    );
  }
  const db = obj(c.database) ?? {};
  const minAcu = num(db.minCapacityAcu);
  const maxAcu = num(db.maxCapacityAcu);
  if (minAcu !== undefined && maxAcu !== undefined && minAcu > maxAcu) {
    add(
      'database.minCapacityAcu',
      minAcu,
      `is greater than database.maxCapacityAcu (${maxAcu}). Fix: lower it or raise the maximum`,
    );
  }
  const canary = obj(c.canary) ?? {};
  const m = num(canary.failuresToAlarm);
  const n = num(canary.evaluationPeriods);
  if (m !== undefined && n !== undefined && m > n) {
    add('canary.failuresToAlarm', m, `cannot exceed canary.evaluationPeriods (${n}): M of N needs M <= N`);
  }
  const healthCheck = obj(c.healthCheck) ?? {};
  const checkers = Array.isArray(healthCheck.checkerRegions) ? healthCheck.checkerRegions : undefined;
  if (checkers && new Set(checkers).size !== checkers.length) {
    add(
      'healthCheck.checkerRegions',
      checkers,
      `lists a region twice. Fix: list each once, from ${HEALTH_CHECKER_REGIONS.join(', ')}`,
    );
  }
  const budgetProblem = failoverBudgetProblem(
    num(c.failoverBudgetSeconds),
    num(healthCheck.intervalSeconds),
    num(healthCheck.failureThreshold),
  );
  if (budgetProblem) problems.push(budgetProblem);
  paymentProblems(obj(c.payments), str(c.appName) ?? '<appName>', add);
  notificationProblems(obj(c.notifications), str(c.appName) ?? '<appName>', add);
  // A rule on a shared key (web.*, network.*) fires once per region; say it once.
  return problems.filter(
    (p, i) =>
      problems.findIndex((q) => q.key === p.key && JSON.stringify(q.value) === JSON.stringify(p.value)) === i,
  );
}

/**
 * The health checks must be able to fail over within the budget: worst case = interval × threshold
 * + the alias TTL (lib/report/failover-time.ts, the same arithmetic the resilience report grades).
 */
function failoverBudgetProblem(
  budget: number | undefined,
  interval: number | undefined,
  threshold: number | undefined,
): ConfigProblem | undefined {
  if (budget === undefined || threshold === undefined || (interval !== 10 && interval !== 30))
    return undefined;
  const worst = worstCaseFailoverSeconds(interval, threshold);
  if (worst <= budget) return undefined;
  const fixes = [`raise failoverBudgetSeconds to ${worst}`];
  for (const i of interval === 30 ? [30, 10] : [10]) {
    const fitting = Math.floor((budget - worstCaseFailoverSeconds(i, 0)) / i);
    if (fitting >= 1) {
      fixes.push(
        i === interval
          ? `lower healthCheck.failureThreshold to ${fitting}`
          : `use healthCheck.intervalSeconds 10 (fast checks, billed extra) with failureThreshold ${Math.min(fitting, threshold)}`,
      );
    }
  }
  return {
    key: 'failoverBudgetSeconds',
    value: budget,
    message: `is shorter than the worst-case automatic failover the health checks allow: ${worst} s (healthCheck.intervalSeconds ${interval} × failureThreshold ${threshold} + ${worstCaseFailoverSeconds(0, 0)} s alias TTL). Fix: ${fixes.join(', or ')}`,
  };
}

/**
 * Rules across the `payments` keys: provider ids unique (they name secrets and switch entries), every
 * method one the provider's kind can take, https only (the shop sends its secret key there), a call's
 * timeout inside the breaker's window (else a timed-out call is never counted), and a manual way to
 * pay for when every online method is down.
 */
function paymentProblems(
  payments: Obj | undefined,
  appName: string,
  add: (key: string, value: unknown, message: string) => void,
): void {
  if (!payments) return;
  const providers = list(payments.providers).map((p) => obj(p) ?? {});
  const windowSeconds = num(obj(payments.breaker)?.windowSeconds);
  const ids = new Map<string, number>();
  providers.forEach((p, i) => {
    const at = `payments.providers[${i}]`;
    const id = str(p.id);
    if (id !== undefined) {
      if (ids.has(id)) {
        add(
          `${at}.id`,
          id,
          `duplicates payments.providers[${ids.get(id)}].id: the id names the provider's secret and its switch entry "provider:${id}". Fix: give each provider its own id, e.g. "${id}-2"`,
        );
      } else {
        ids.set(id, i);
      }
    }
    const baseUrl = str(p.baseUrl);
    const url = baseUrl !== undefined && URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
    if (url && url.protocol !== 'https:') {
      add(
        `${at}.baseUrl`,
        baseUrl,
        `is not https: the shop sends the provider's secret key with every call. Fix: use "https://${url.host}${url.pathname === '/' ? '' : url.pathname}"`,
      );
    }
    if (url && (url.username || url.password)) {
      add(
        `${at}.baseUrl`,
        baseUrl,
        `carries credentials: secret keys live in Secrets Manager (${appName}/payments/${id ?? '<id>'}), never in the config. Fix: remove "${url.username}${url.password ? ':…' : ''}@" from the URL`,
      );
    }
    const canTake = PROVIDER_KIND_METHODS[str(p.kind) ?? ''];
    const methods = list(p.methods);
    methods.forEach((m, j) => {
      if (typeof m !== 'string') return;
      if (methods.indexOf(m) !== j) {
        add(`${at}.methods[${j}]`, m, 'is listed twice. Fix: list each method once');
      } else if (canTake && (m === 'card' || m === 'easy-pay') && !canTake.includes(m)) {
        add(
          `${at}.methods[${j}]`,
          m,
          `is not a method a ${String(p.kind)} provider takes (it takes ${canTake.join(', ')}). Fix: remove it, or offer it through a provider of another kind`,
        );
      }
    });
    if (p.windowUrl !== undefined && p.kind !== 'toss-payments') {
      add(
        `${at}.windowUrl`,
        p.windowUrl,
        `is only used by toss-payments providers (this one is ${String(p.kind)}). Fix: remove it`,
      );
    }
    const timeoutMs = num(p.timeoutMs);
    if (timeoutMs !== undefined && windowSeconds !== undefined && timeoutMs >= windowSeconds * 1000) {
      add(
        `${at}.timeoutMs`,
        timeoutMs,
        `is not shorter than payments.breaker.windowSeconds (${windowSeconds} s): a call that times out would end after the window that should count it, so the breaker could not open on timeouts. Fix: lower timeoutMs below ${windowSeconds * 1000} or raise windowSeconds`,
      );
    }
  });
  if (Array.isArray(payments.providers) && providers.length === 0) {
    add(
      'payments.providers',
      [],
      'lists no provider, so the shop has no online way to pay. Fix: add one, e.g. { "id": "toss", "kind": "toss-payments", "baseUrl": "https://api.tosspayments.com", "methods": ["card", "easy-pay"], "timeoutMs": 8000 }',
    );
  }
  const manual = obj(payments.manual);
  if (manual && manual.bankTransfer === undefined && manual.phoneOrders === false) {
    add(
      'payments.manual',
      manual,
      'offers no manual way to pay: when every online method is down the shop could not sell at all. Fix: add "bankTransfer": { "bank", "account", "holder", "holdHours" } or set "phoneOrders": true',
    );
  }
}

/** Keys of a notification channel, and the kinds each belongs to. */
const CHANNEL_KEYS_BY_KIND: Readonly<Record<string, readonly string[]>> = {
  baseUrl: ['nhn-alimtalk', 'nhn-sms'],
  appKey: ['nhn-alimtalk', 'nhn-sms'],
  senderKey: ['nhn-alimtalk'],
  templates: ['nhn-alimtalk'],
  sendNo: ['nhn-sms'],
  from: ['ses'],
  configurationSet: ['ses'],
};

/** Keys a channel of each kind must have, with an example value for the fix. */
const REQUIRED_CHANNEL_KEYS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  'nhn-alimtalk': [
    ['baseUrl', '"https://kakaotalk-bizmessage.api.nhncloudservice.com"'],
    ['appKey', '"<app key from the NHN Cloud console>"'],
    ['senderKey', '"<sender key of the KakaoTalk channel>"'],
    ['templates', '{ "order-received": "ORD01", ... }'],
  ],
  'nhn-sms': [
    ['baseUrl', '"https://sms.api.nhncloudservice.com"'],
    ['appKey', '"<app key from the NHN Cloud console>"'],
    ['sendNo', '"0212345678"'],
  ],
  ses: [['from', '"\\"Shop\\" <orders@shop.example.com>"']],
};

/**
 * Rules across the `notifications` keys: one channel per id, the kind that id's adapter is, the keys
 * each kind needs (and none it does not use), https base URLs without credentials (the shop sends the
 * secret key there), a template for every notice for 알림톡, a sender number in digits, an SES From
 * address in a domain, a lease long enough that a slow sender is never declared dead, and an alarm
 * that does not fire on the dispatcher's ordinary recovery.
 */
function notificationProblems(
  notifications: Obj | undefined,
  appName: string,
  add: (key: string, value: unknown, message: string) => void,
): void {
  if (!notifications) return;
  const channels = list(notifications.channels).map((ch) => obj(ch) ?? {});
  if (Array.isArray(notifications.channels) && channels.length === 0) {
    add(
      'notifications.channels',
      [],
      'lists no channel, so no notice could ever be sent. Fix: add one, e.g. { "id": "email", "kind": "ses", "from": "orders@shop.example.com" }, or remove the notifications key',
    );
  }
  const ids = new Map<string, number>();
  channels.forEach((ch, i) => {
    const at = `notifications.channels[${i}]`;
    const id = str(ch.id);
    const kind = str(ch.kind);
    if (id !== undefined) {
      if (ids.has(id)) {
        add(
          `${at}.id`,
          id,
          `duplicates notifications.channels[${ids.get(id)}].id: the id names the channel's secret, its switch entry and its metric dimension, and a notice is sent at most once per channel. Fix: list each channel once`,
        );
      } else {
        ids.set(id, i);
      }
    }
    const expected = id !== undefined ? (NOTIFY_CHANNEL_KINDS as Record<string, string>)[id] : undefined;
    if (expected !== undefined && kind !== undefined && kind !== expected) {
      add(
        `${at}.kind`,
        kind,
        `is not the adapter of channel "${id}" (it is ${expected}). Fix: use "${expected}"`,
      );
    }
    // What the channel is, for the key rules: its kind when known, else the one its id implies.
    const effective = kind !== undefined && kind in REQUIRED_CHANNEL_KEYS ? kind : expected;
    if (effective === undefined) return;
    for (const [key, example] of REQUIRED_CHANNEL_KEYS[effective]) {
      if (ch[key] === undefined) {
        add(
          `${at}.${key}`,
          undefined,
          `is required for a ${effective} channel. Fix: add "${key}": ${example}`,
        );
      }
    }
    for (const [key, kinds] of Object.entries(CHANNEL_KEYS_BY_KIND)) {
      if (ch[key] !== undefined && !kinds.includes(effective)) {
        add(
          `${at}.${key}`,
          ch[key],
          `is only used by ${kinds.join(' and ')} channels (this one is ${effective}). Fix: remove it`,
        );
      }
    }
    const baseUrl = str(ch.baseUrl);
    const url = baseUrl !== undefined && URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
    if (url && url.protocol !== 'https:') {
      add(
        `${at}.baseUrl`,
        baseUrl,
        `is not https: the shop sends the channel's secret key with every message. Fix: use "https://${url.host}${url.pathname === '/' ? '' : url.pathname}"`,
      );
    }
    if (url && (url.username || url.password)) {
      add(
        `${at}.baseUrl`,
        baseUrl,
        `carries credentials: secret keys live in Secrets Manager (${appName}/notify/${id ?? '<id>'}), never in the config. Fix: remove "${url.username}${url.password ? ':…' : ''}@" from the URL`,
      );
    }
    const templates = obj(ch.templates);
    if (effective === 'nhn-alimtalk' && templates) {
      const missing = NOTIFY_NOTICE_KINDS.filter((k) => templates[k] === undefined);
      if (missing.length > 0) {
        add(
          `${at}.templates`,
          templates,
          `has no template for ${missing.map((k) => `"${k}"`).join(', ')}: 알림톡 sends only approved templates, so those notices would always fall back to the next channel. Fix: add ${missing.map((k) => `"${k}": "<template code>"`).join(', ')}`,
        );
      }
    }
    const sendNo = ch.sendNo;
    if (
      effective === 'nhn-sms' &&
      sendNo !== undefined &&
      !(typeof sendNo === 'string' && /^\d{8,12}$/.test(sendNo))
    ) {
      const digits =
        typeof sendNo === 'string' || typeof sendNo === 'number' ? String(sendNo).replace(/\D/g, '') : '';
      add(
        `${at}.sendNo`,
        sendNo,
        `must be the registered sender number as 8 to 12 digits in quotes, without "-", spaces or "+82". Fix: ${
          /^\d{8,12}$/.test(digits) ? `use "${digits}"` : 'write it like "0212345678"'
        }`,
      );
    }
    const from = ch.from;
    if (effective === 'ses' && from !== undefined) {
      if (typeof from !== 'string' || sesFromIdentities(from) === undefined) {
        add(
          `${at}.from`,
          from,
          'is not an e-mail address in a domain: SES sends only from a verified address or domain identity. Fix: write it like "\\"Shop\\" <orders@shop.example.com>" or "orders@shop.example.com"',
        );
      }
    }
  });

  const deadlineMs = num(notifications.deadlineMs);
  const leaseSeconds = notifications.leaseSeconds === undefined ? 60 : num(notifications.leaseSeconds);
  if (deadlineMs !== undefined && leaseSeconds !== undefined && deadlineMs * 3 >= leaseSeconds * 1000) {
    add(
      notifications.leaseSeconds === undefined ? 'notifications.deadlineMs' : 'notifications.leaseSeconds',
      notifications.leaseSeconds === undefined ? deadlineMs : leaseSeconds,
      `leaves the lease (${leaseSeconds} s${notifications.leaseSeconds === undefined ? ', the default' : ''}) no more than 3 × deadlineMs (${deadlineMs} ms): a sender that is slow but alive could be declared dead and its notice sent again by the next channel. Fix: set notifications.leaseSeconds to ${Math.floor((deadlineMs * 3) / 1000) + 1} or more, or lower deadlineMs below ${Math.ceil((leaseSeconds * 1000) / 3)}`,
    );
  }
  const every = num(notifications.dispatchEverySeconds);
  const threshold = num(obj(notifications.alarms)?.oldestUnsentSeconds);
  if (
    deadlineMs !== undefined &&
    leaseSeconds !== undefined &&
    every !== undefined &&
    threshold !== undefined
  ) {
    const recovery = oldestUnsentRecoverySeconds(
      every,
      leaseSeconds,
      deadlineMs,
      Math.max(1, channels.length),
    );
    if (threshold <= recovery) {
      add(
        'notifications.alarms.oldestUnsentSeconds',
        threshold,
        `is not above the age a notice reaches in an ordinary recovery (${recovery} s: a pass every ${every} s, a dead sender's lease of ${leaseSeconds} s and a deadline of ${deadlineMs} ms on each of ${Math.max(1, channels.length)} channel(s)), so the alarm would fire when one instance stops. Fix: raise it to ${recovery + 60} or more`,
      );
    }
  }
}

/**
 * The age a notice can reach while nothing is wrong that the dispatcher does not heal by itself: it
 * waits for the next pass, its first sender dies and the lease runs out, then every channel times
 * out in turn before the last one sends. Whole seconds, rounded up.
 */
export function oldestUnsentRecoverySeconds(
  dispatchEverySeconds: number,
  leaseSeconds: number,
  deadlineMs: number,
  channels: number,
): number {
  return Math.ceil(dispatchEverySeconds + leaseSeconds + (channels * deadlineMs) / 1000);
}
