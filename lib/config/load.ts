import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  configSchema,
  KNOWN_REGIONS,
  HEALTH_CHECKER_REGIONS,
  NetworkSettings,
  ParsedConfig,
  Posture,
  WebSettings,
} from './schema';

/** One problem found in a config: where, what was there, and how to fix it. */
export interface ConfigProblem {
  /** Dotted path of the key, e.g. `regions[1].name`. */
  readonly key: string;
  /** The value found there (undefined when the key is missing). */
  readonly value: unknown;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Thrown when a config file does not validate; the message lists every problem with its fix. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `Invalid config ${source}:\n` +
        problems.map((p) => `  - ${p.key} = ${show(p.value)}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** The role a region plays in normal operation. */
export type RegionRole = 'primary' | 'standby';

/** A region with its shared settings merged with its overrides. */
export interface RegionConfig {
  readonly name: string;
  /** 0 for the primary, 1.. for standbys in failover order. */
  readonly index: number;
  readonly role: RegionRole;
  readonly web: WebSettings;
  readonly network: NetworkSettings;
  /** DR posture while standing by; `warm` unless configured (the primary's is its posture after a failover). */
  readonly posture: Posture;
}

/** A scheduled capacity raise, already resolved to the regions it applies to. */
export interface Promotion {
  readonly name: string;
  readonly start: Date;
  readonly end: Date;
  readonly minCapacity: number;
  readonly regions: readonly string[];
}

/** The validated, typed config every construct receives. Nothing else reads the config file. */
export interface ShopConfig extends Omit<ParsedConfig, 'regions' | 'promotions' | 'healthCheck'> {
  /** Name of the config (file name without `.json`). */
  readonly configName: string;
  readonly regions: readonly RegionConfig[];
  readonly primaryRegion: string;
  readonly promotions: readonly Promotion[];
  readonly healthCheck: Omit<ParsedConfig['healthCheck'], 'checkerRegions'> & {
    readonly checkerRegions: readonly string[];
  };
}

const DEFAULT_CHECKER_REGIONS = ['ap-northeast-1', 'ap-southeast-1', 'us-west-2', 'us-east-1', 'eu-west-1'];

/** Directory holding `<name>.json` configs. */
export const CONFIG_DIR = path.join(__dirname, '..', '..', 'config');

/**
 * Reads `config/<name>.json`, validates it and returns typed values.
 * @throws ConfigError naming every bad key, its value and the fix.
 */
export function loadConfig(name = 'default', dir = CONFIG_DIR): ShopConfig {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new ConfigError(`"${name}"`, [
      {
        key: 'config',
        value: name,
        message: 'config names use letters, digits, "-" and "_"; pass e.g. -c config=prod',
      },
    ]);
  }
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    const available = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.replace(/\.json$/, ''))
      : [];
    throw new ConfigError(`"${name}" (${file})`, [
      {
        key: 'config',
        value: name,
        message: `no such file. Fix: pass one of ${available.join(', ') || '(none)'} with -c config=NAME, or create ${file}`,
      },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`"${name}" (${file})`, [
      {
        key: '(file)',
        value: undefined,
        message: `is not valid JSON (${(e as Error).message}). Fix the syntax`,
      },
    ]);
  }
  return parseConfig(raw, name, `"${name}" (${path.relative(process.cwd(), file) || file})`);
}

/**
 * Validates an already-parsed config object.
 * @param source how the config is named in error messages.
 */
export function parseConfig(raw: unknown, configName = 'inline', source = configName): ShopConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => fromZodIssue(i, raw)),
    );
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return resolve(result.data, configName);
}

function resolve(c: ParsedConfig, configName: string): ShopConfig {
  const regions: RegionConfig[] = c.regions.map((r, index) => ({
    name: r.name,
    index,
    role: index === 0 ? 'primary' : 'standby',
    // A pilot-light standby runs no instances, only its warm pool (see lib/capacity/posture.ts).
    web: { ...c.web, ...r.web, ...(index > 0 && r.posture === 'pilot-light' ? { minCapacity: 0 } : {}) },
    network: { ...c.network, ...r.network },
    posture: r.posture ?? 'warm',
  }));
  return {
    ...c,
    configName,
    regions,
    primaryRegion: regions[0].name,
    promotions: c.promotions.map((p) => ({
      name: p.name,
      start: new Date(p.start),
      end: new Date(p.end),
      minCapacity: p.minCapacity,
      regions: p.regions ?? regions.map((r) => r.name),
    })),
    healthCheck: {
      ...c.healthCheck,
      checkerRegions: c.healthCheck.checkerRegions ?? DEFAULT_CHECKER_REGIONS,
    },
  };
}

/** Rules that span several keys, which a schema cannot express. */
function crossCheck(c: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, value: unknown, message: string) => problems.push({ key, value, message });

  if (c.regions.length < 2) {
    add(
      'regions',
      c.regions.map((r) => r.name),
      'needs at least 2 regions (the first is the primary). Fix: add a standby, e.g. { "name": "ap-northeast-1" }',
    );
  }
  const seen = new Map<string, number>();
  const cidrs = new Map<string, number>();
  c.regions.forEach((r, i) => {
    if (!(KNOWN_REGIONS as readonly string[]).includes(r.name)) {
      add(
        `regions[${i}].name`,
        r.name,
        `is not a known AWS region. Fix: use one of ${KNOWN_REGIONS.join(', ')}`,
      );
    }
    if (seen.has(r.name)) {
      add(
        `regions[${i}].name`,
        r.name,
        `duplicates regions[${seen.get(r.name)}]. Fix: list each region once; order is failover order`,
      );
    } else {
      seen.set(r.name, i);
    }
    const web = { ...c.web, ...r.web };
    const where = r.web ? `regions[${i}].web` : 'web';
    if (web.minCapacity > web.maxCapacity) {
      add(
        `${where}.minCapacity`,
        web.minCapacity,
        `is greater than maxCapacity (${web.maxCapacity}) in region ${r.name}. Fix: raise maxCapacity or lower minCapacity`,
      );
    }
    const net = { ...c.network, ...r.network };
    if (net.natGateways > net.azCount) {
      add(
        `${r.network?.natGateways !== undefined ? `regions[${i}].network` : 'network'}.natGateways`,
        net.natGateways,
        `exceeds azCount (${net.azCount}) in region ${r.name}. Fix: use 1 (cost) or ${net.azCount} (one per AZ)`,
      );
    }
    if (cidrs.has(net.cidr)) {
      add(
        `regions[${i}].network.cidr`,
        net.cidr,
        `is also used by regions[${cidrs.get(net.cidr)}]. Fix: give each region its own /16, e.g. "10.${i + 1}.0.0/16"`,
      );
    } else {
      cidrs.set(net.cidr, i);
    }
  });

  c.promotions.forEach((p, i) => {
    if (Date.parse(p.end) <= Date.parse(p.start)) {
      add(
        `promotions[${i}].end`,
        p.end,
        `is not after start (${p.start}). Fix: end the promotion after it starts`,
      );
    }
    (p.regions ?? []).forEach((r, j) => {
      if (!seen.has(r)) {
        add(
          `promotions[${i}].regions[${j}]`,
          r,
          `is not one of the configured regions. Fix: use one of ${[...seen.keys()].join(', ')}`,
        );
      }
    });
    c.regions.forEach((r) => {
      const max = r.web?.maxCapacity ?? c.web.maxCapacity;
      if ((p.regions ?? [r.name]).includes(r.name) && p.minCapacity > max) {
        add(
          `promotions[${i}].minCapacity`,
          p.minCapacity,
          `is greater than maxCapacity (${max}) in region ${r.name}. Fix: raise web.maxCapacity or lower the promotion's minCapacity`,
        );
      }
    });
  });
  const names = c.promotions.map((p) => p.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      add(`promotions[${i}].name`, n, 'is used twice. Fix: give each promotion its own name');
  });

  if (c.domainName !== c.hostedZone.name && !c.domainName.endsWith(`.${c.hostedZone.name}`)) {
    add(
      'domainName',
      c.domainName,
      `is not inside hostedZone.name (${c.hostedZone.name}). Fix: use a name ending in ".${c.hostedZone.name}" or the zone that holds it`,
    );
  }
  if (c.database.minCapacityAcu > c.database.maxCapacityAcu) {
    add(
      'database.minCapacityAcu',
      c.database.minCapacityAcu,
      `is greater than database.maxCapacityAcu (${c.database.maxCapacityAcu}). Fix: lower it or raise the maximum`,
    );
  }
  if (c.canary.failuresToAlarm > c.canary.evaluationPeriods) {
    add(
      'canary.failuresToAlarm',
      c.canary.failuresToAlarm,
      `cannot exceed canary.evaluationPeriods (${c.canary.evaluationPeriods}): M of N needs M <= N`,
    );
  }
  c.regions.forEach((r, i) => {
    if (r.posture === 'pilot-light' && (r.web?.warmPoolMinSize ?? c.web.warmPoolMinSize) === 0) {
      add(
        `regions[${i}].posture`,
        r.posture,
        `needs a warm pool (web.warmPoolMinSize is 0 in region ${r.name}): a pilot-light standby runs no instances. Fix: set warmPoolMinSize to 1 or more, or use "warm"`,
      );
    }
  });
  const checkers = c.healthCheck.checkerRegions;
  if (checkers && new Set(checkers).size !== checkers.length) {
    add(
      'healthCheck.checkerRegions',
      checkers,
      `lists a region twice. Fix: list each once, from ${HEALTH_CHECKER_REGIONS.join(', ')}`,
    );
  }
  return problems;
}

function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem {
  const key = formatPath(issue.path);
  const value = valueAt(raw, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (key ? `${key}.${k}` : k));
    return {
      key: keys.join(', '),
      value: undefined,
      message: `unknown key${keys.length > 1 ? 's' : ''}. Fix: remove ${keys.length > 1 ? 'them' : 'it'} or check the spelling against the config reference in README.md`,
    };
  }
  if (value === undefined) {
    return { key: key || '(root)', value, message: `is required (${issue.message}). Fix: add it` };
  }
  return { key: key || '(root)', value, message: `${issue.message}. Fix: correct the value` };
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
