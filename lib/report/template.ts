/**
 * Reading synthesized CloudFormation templates: the shapes the report needs and small helpers that
 * walk untyped template JSON (references, joins, tags, schedules).
 */

// Synthesized templates are untyped JSON; the report modules walk them defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** One CloudFormation resource as synthesized. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DeletionPolicy?: string;
}

/** A synthesized CloudFormation template (the parts this module reads). */
export interface CfnTemplate {
  readonly Description?: string;
  readonly Resources?: Record<string, CfnResource>;
}

/** A stack of the app as the report sees it. */
export interface StackInfo {
  readonly name: string;
  readonly region: string;
  readonly kind: 'regional' | 'edge';
}

/** A resource with its logical id. */
export type Entry = [string, CfnResource];

export function entries(t: CfnTemplate, type?: string): Entry[] {
  return Object.entries(t.Resources ?? {}).filter(([, r]) => type === undefined || r.Type === type);
}

/** Logical id named by `{Ref}` or `{Fn::GetAtt}`. */
export function refId(v: Json): string | undefined {
  if (v && typeof v === 'object') {
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  }
  return undefined;
}

/** A readable string for an intrinsic: joins are joined, references shown as `${Id}`. */
export function flatten(v: Json): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(flatten).join(',');
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return (parts as Json[]).map(flatten).join(sep);
  }
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${v['Fn::GetAtt'].join('.')}}`;
  return JSON.stringify(v);
}

/**
 * A value for people to read: literals as they are, joins joined, and a reference described by what
 * it names (for example "the DomainName of OutagePageD1558DC7, known after deploy") instead of a
 * raw `${Token}`.
 */
export function describeValue(v: Json): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(describeValue).join(', ');
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return (parts as Json[]).map(describeValue).join(sep);
  }
  if (typeof v.Ref === 'string') {
    return v.Ref.startsWith('AWS::') ? `<${v.Ref.slice(5)}>` : `the id of ${v.Ref} (known after deploy)`;
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    return `the ${v['Fn::GetAtt'][1]} of ${v['Fn::GetAtt'][0]} (known after deploy)`;
  }
  return JSON.stringify(v);
}

export function trimDot(name: string): string {
  return name.replace(/\.$/, '');
}

export function num(v: Json): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Seconds of an EventBridge `rate(...)` expression; undefined for cron. */
export function rateSeconds(expr: string | undefined): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expr ?? '');
  if (!m) return undefined;
  const unit = m[2].startsWith('minute') ? 60 : m[2].startsWith('hour') ? 3600 : 86400;
  return Number(m[1]) * unit;
}

export function tagValue(props: Json, key: string): string | undefined {
  const tags: Json[] = props?.HealthCheckTags ?? props?.Tags ?? [];
  return tags.find((t) => t.Key === key)?.Value;
}

/** Name an alarm-like resource goes by (its physical name, else its logical id). */
export function alarmName(id: string, r: CfnResource): string {
  return typeof r.Properties?.AlarmName === 'string' ? r.Properties.AlarmName : id;
}

export function uniqSorted<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)].sort();
}

/** Functions (logical id) triggered by a rate rule in a template, with the rule's period. */
export function scheduledFunctions(t: CfnTemplate): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  for (const [, rule] of entries(t, 'AWS::Events::Rule')) {
    const seconds = rateSeconds(rule.Properties?.ScheduleExpression);
    for (const target of rule.Properties?.Targets ?? []) {
      const fn = refId(target.Arn);
      if (fn) out.set(fn, seconds);
    }
  }
  return out;
}

export function envOf(r: CfnResource): Record<string, Json> {
  return r.Properties?.Environment?.Variables ?? {};
}

/** Alarms (logical ids) named in a composite rule, and the fewest that must be in ALARM together. */
export function parseRule(rule: Json): { children: string[]; minTogether: number } {
  const text = flatten(rule);
  const children = uniqSorted([...text.matchAll(/ALARM\("\$\{([A-Za-z0-9]+)\.Arn\}"\)/g)].map((m) => m[1]));
  const clauses = text.split(/\)\s+OR\s+\(/);
  const sizes = clauses.map((c) => (c.match(/ALARM\(/g) ?? []).length).filter((x) => x > 0);
  return { children, minTogether: sizes.length ? Math.min(...sizes) : 0 };
}

/** Names of the SNS topics an alarm action list points at. */
export function topicNames(t: CfnTemplate, actions: Json[] | undefined): string[] {
  return (actions ?? []).map((a) => {
    const id = refId(a);
    const topic = id ? t.Resources?.[id] : undefined;
    return topic?.Type === 'AWS::SNS::Topic' ? String(topic.Properties?.TopicName ?? id) : describeValue(a);
  });
}
