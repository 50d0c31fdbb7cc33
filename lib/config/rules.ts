import { worstCaseFailoverSeconds } from '../report/failover-time';
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
