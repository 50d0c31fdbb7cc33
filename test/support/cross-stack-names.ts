/**
 * Walks synthesized templates for names that one resource uses and another creates (KMS aliases,
 * backup vaults, alarms, Route 53 records, secrets, SSM parameters, the global cluster), and checks
 * each use against the deployment order: the creator must be in a stack deployed earlier, or in the
 * same stack with an explicit dependency (CloudFormation otherwise creates both in parallel).
 *
 * Names are compared as `kind|region|name`; Route 53 records and global clusters are `global`.
 */

type Json = any;

/** A stack as the walker sees it. */
export interface StackInput {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly template: Json;
  /** Names of the stacks it directly depends on. */
  readonly dependsOn: readonly string[];
}

/** One use of a name that does not resolve to a resource created earlier. */
export interface OrderProblem {
  readonly stack: string;
  readonly resource: string;
  readonly uses: string;
  readonly problem: string;
}

interface Site {
  readonly stack: string;
  readonly resource: string;
}

/** Renders an intrinsic-laden value as a string, resolving pseudo parameters of the stack. */
function flat(v: Json, s: StackInput): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object') {
    if ('Ref' in v) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::Region': s.region,
        'AWS::AccountId': s.account,
      };
      return pseudo[v.Ref] ?? `{Ref:${v.Ref}}`;
    }
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as Json[]).map((p) => flat(p, s)).join(v['Fn::Join'][0]);
    if ('Fn::GetAtt' in v) return `{GetAtt:${[].concat(v['Fn::GetAtt']).join('.')}}`;
  }
  return JSON.stringify(v);
}

const isToken = (x: string) => x.includes('{Ref:') || x.includes('{GetAtt:') || x.startsWith('{');
const dns = (x: string) => x.replace(/\.$/, '').toLowerCase();

/** Every name each resource creates. */
function definitions(s: StackInput): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [id, r] of Object.entries<Json>(s.template.Resources ?? {})) {
    const p = r.Properties ?? {};
    const add = (key: string) => out.push([key, id]);
    switch (r.Type) {
      case 'AWS::KMS::Alias':
        add(`kms-alias|${s.region}|${p.AliasName}`);
        break;
      case 'AWS::Backup::BackupVault':
        add(`backup-vault|${s.region}|${p.BackupVaultName}`);
        break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        if (typeof p.AlarmName === 'string') add(`alarm|${s.region}|${p.AlarmName}`);
        break;
      case 'AWS::SSM::Parameter':
        if (typeof p.Name === 'string') add(`ssm|${s.region}|${p.Name}`);
        break;
      case 'AWS::Route53::RecordSet':
        add(`record|global|${dns(flat(p.Name, s))}`);
        break;
      case 'AWS::SecretsManager::Secret':
        add(`secret|${s.region}|${p.Name}`);
        for (const rep of p.ReplicaRegions ?? []) add(`secret|${rep.Region}|${p.Name}`);
        break;
      case 'AWS::RDS::GlobalCluster':
        add(`global-cluster|global|${p.GlobalClusterIdentifier}`);
        break;
    }
  }
  return out;
}

/** Every name each resource uses (by name or ARN, not by reference). */
function uses(s: StackInput): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [id, r] of Object.entries<Json>(s.template.Resources ?? {})) {
    const p = r.Properties ?? {};
    const add = (key: string) => out.push([key, id]);
    const byArn = (arn: string, kind: string) => {
      const m = /^arn:[^:]+:([a-z0-9-]+):([a-z0-9-]+):[^:]*:(.+)$/.exec(arn);
      if (!m) {
        add(`${kind}|?|${arn}`);
        return;
      }
      const [, , region, rest] = m;
      if (kind === 'kms') {
        // A key named from another stack can only be named by alias; a key id cannot be known.
        add(rest.startsWith('alias/') ? `kms-alias|${region}|${rest}` : `kms-key|${region}|${rest}`);
      } else {
        add(`backup-vault|${region}|${rest.replace(/^backup-vault:/, '')}`);
      }
    };
    switch (r.Type) {
      case 'AWS::SecretsManager::Secret':
        for (const rep of p.ReplicaRegions ?? []) {
          if (rep.KmsKeyId !== undefined) byArn(flat(rep.KmsKeyId, s), 'kms');
        }
        break;
      case 'AWS::Backup::BackupPlan':
        for (const rule of p.BackupPlan?.BackupPlanRule ?? []) {
          for (const c of rule.CopyActions ?? []) byArn(flat(c.DestinationBackupVaultArn, s), 'vault');
        }
        break;
      case 'AWS::Route53::HealthCheck': {
        const c = p.HealthCheckConfig ?? {};
        if (c.AlarmIdentifier) add(`alarm|${c.AlarmIdentifier.Region}|${c.AlarmIdentifier.Name}`);
        if (typeof c.FullyQualifiedDomainName === 'string')
          add(`record|global|${dns(c.FullyQualifiedDomainName)}`);
        break;
      }
      case 'AWS::Route53::RecordSet': {
        const target = p.AliasTarget;
        // An alias to a name in the same hosted zone needs that record to exist.
        if (target && JSON.stringify(target.HostedZoneId) === JSON.stringify(p.HostedZoneId)) {
          const name = flat(target.DNSName, s);
          if (!isToken(name)) add(`record|global|${dns(name)}`);
        }
        break;
      }
      case 'AWS::RDS::DBCluster':
        if (typeof p.GlobalClusterIdentifier === 'string')
          add(`global-cluster|global|${p.GlobalClusterIdentifier}`);
        break;
    }
  }
  return out;
}

/** True when resource `from` waits for `to` in the same template (DependsOn, Ref or GetAtt). */
function waitsFor(template: Json, from: string, to: string, seen = new Set<string>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  const r = template.Resources[from];
  const direct = new Set<string>([].concat(r.DependsOn ?? []));
  JSON.stringify(r.Properties ?? {}).replace(
    /"(?:Ref|Fn::GetAtt)":\s*(?:"([^"]+)"|\["([^"]+)")/g,
    (_, a, b) => {
      direct.add(a ?? b);
      return '';
    },
  );
  for (const d of direct) {
    if (d === to) return true;
    if (template.Resources[d] && waitsFor(template, d, to, seen)) return true;
  }
  return false;
}

/** Every use of a name that no earlier stack (or earlier resource of the same stack) creates. */
export function deployOrderProblems(stacks: readonly StackInput[]): OrderProblem[] {
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const earlier = (name: string, acc = new Set<string>()): Set<string> => {
    for (const d of byName.get(name)?.dependsOn ?? []) {
      if (!acc.has(d)) {
        acc.add(d);
        earlier(d, acc);
      }
    }
    return acc;
  };
  const creators = new Map<string, Site[]>();
  for (const s of stacks) {
    for (const [key, resource] of definitions(s)) {
      creators.set(key, [...(creators.get(key) ?? []), { stack: s.name, resource }]);
    }
  }
  const problems: OrderProblem[] = [];
  for (const s of stacks) {
    const before = earlier(s.name);
    for (const [key, resource] of uses(s)) {
      const sites = creators.get(key) ?? [];
      const ok = sites.some(
        (c) => before.has(c.stack) || (c.stack === s.name && waitsFor(s.template, resource, c.resource)),
      );
      if (ok) continue;
      problems.push({
        stack: s.name,
        resource,
        uses: key,
        problem: sites.length
          ? `created by ${sites.map((c) => `${c.stack}/${c.resource}`).join(', ')}, which is not deployed before it`
          : 'created by no stack of the app',
      });
    }
  }
  return problems;
}

/** Every name used across stacks, for tests that check the walker sees them. */
export function usedNames(stacks: readonly StackInput[]): string[] {
  return stacks.flatMap((s) => uses(s).map(([key]) => key));
}
