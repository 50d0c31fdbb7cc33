import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { jsonErrorPosition } from './json-position';
import { ConfigProblem, crossFieldProblems } from './rules';
import {
  configSchema,
  CUSTOMER_LANGUAGES,
  NetworkSettings,
  ParsedConfig,
  Posture,
  WebSettings,
} from './schema';
import { didYouMean } from './suggest';

export type { ConfigProblem } from './rules';

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
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const at = jsonErrorPosition(text);
    const where = at ? `line ${at.line}, column ${at.column}` : 'somewhere';
    throw new ConfigError(`"${name}" (${file})`, [
      {
        key: '(file)',
        value: undefined,
        message: `is not valid JSON at ${where} (${(e as Error).message.split('\n')[0]}). Fix the syntax there (a missing or extra comma, quote or bracket)`,
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
  // Cross-field rules run even when the schema fails, so that every problem is listed at once.
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => fromZodIssue(i, raw))),
    ...crossFieldProblems(raw),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);
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

function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigProblem {
  const key = formatPath(issue.path);
  const value = valueAt(raw, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(issue.path);
    if (known.length > 0 && known.every((k) => CUSTOMER_LANGUAGES.includes(k))) {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return {
        key: formatPath([...issue.path, issue.keys[0]]),
        value: valueAt(raw, [...issue.path, issue.keys[0]]),
        message: `${keys} ${issue.keys.length > 1 ? 'are languages' : 'is a language'} the shop and the outage page do not show. Fix: remove ${issue.keys.length > 1 ? 'them' : 'it'}; they show ${known.map((k) => `"${k}"`).join(' and ')}`,
      };
    }
    const keys = issue.keys.map((k) => (key ? `${key}.${k}` : k));
    const hints = issue.keys
      .map((k) => [k, didYouMean(k, known)])
      .filter(([, s]) => s !== undefined)
      .map(([k, s]) => `"${k}" → "${s}"`);
    return {
      key: keys.join(', '),
      value: issue.keys.length === 1 ? valueAt(raw, [...issue.path, issue.keys[0]]) : undefined,
      message:
        `unknown key${keys.length > 1 ? 's' : ''}. ` +
        (hints.length ? `Did you mean ${hints.join(', ')}? ` : '') +
        `Fix: ${hints.length ? 'correct the spelling' : `remove ${keys.length > 1 ? 'them' : 'it'}`}; the keys allowed here are ${known.join(', ')}`,
    };
  }
  if (value === undefined) {
    return { key: key || '(root)', value, message: `is required (${issue.message}). Fix: add it` };
  }
  const message = /\bFix:/.test(issue.message) ? issue.message : `${issue.message}. Fix: ${fixFor(issue)}`;
  return { key: key || '(root)', value, message };
}

/** How to write a JSON value of each type zod expects, for "Fix:" of a value of the wrong type. */
const HOW_TO_WRITE: Record<string, string> = {
  number: 'write a number, without quotes',
  int: 'write a whole number, without quotes',
  string: 'write a text in double quotes',
  boolean: 'write true or false, without quotes',
  array: 'write a list in [ ]',
  object: 'write an object in { }',
};

/**
 * The fix for a schema problem whose message does not say it: derived from what zod checked (the
 * bound, the expected type, the allowed values, or the example the message gives).
 */
function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'number') return `use ${String(issue.minimum)} or more`;
      if (issue.origin === 'array') return `give at least ${String(issue.minimum)}`;
      return `write at least ${String(issue.minimum)} characters`;
    case 'too_big':
      if (issue.origin === 'number') return `use ${String(issue.maximum)} or less`;
      return `give at most ${String(issue.maximum)}`;
    case 'invalid_type':
      return HOW_TO_WRITE[issue.expected] ?? `write a ${issue.expected}`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default: {
      const example = /(?:such as|e\.g\.) ("[^"]*"|\[[^\]]*\]|\{[^}]*\})/.exec(issue.message)?.[1];
      return example ? `write it like ${example}` : 'correct the value as the message says';
    }
  }
}

/** Keys the schema allows in the object at `p` (empty when `p` does not lead to an object). */
function keysAt(p: readonly PropertyKey[]): string[] {
  let schema: unknown = configSchema;
  const def = (s: unknown) => (s as { _zod: { def: Record<string, unknown> } })._zod.def;
  // through optional/default wrappers, and into the object variant of a union (per-language texts)
  const unwrap = (s: unknown): unknown => {
    let d = def(s);
    while (d.innerType !== undefined || d.type === 'union') {
      if (d.type === 'union') {
        const object = (d.options as unknown[]).map(unwrap).find((o) => def(o).shape !== undefined);
        if (object === undefined) return s;
        s = object;
      } else {
        s = d.innerType;
      }
      d = def(s);
    }
    return s;
  };
  for (const k of p) {
    const d = def(unwrap(schema));
    if (typeof k === 'number') schema = d.element;
    else schema = (d.shape as Record<string, unknown> | undefined)?.[String(k)];
    if (schema === undefined) return [];
  }
  const shape = def(unwrap(schema)).shape as Record<string, unknown> | undefined;
  return shape ? Object.keys(shape) : [];
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
