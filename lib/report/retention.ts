/**
 * Retention: what survives deleting a stack (resources with a Retain or Snapshot deletion policy).
 * Every resource is listed by its logical id (always known) and, where the template fixes it, by the
 * physical name it keeps in the account (or, for a KMS key, the alias it is found by); a resource
 * whose name AWS assigns at deploy is counted as such, never shown by its logical id as if it were
 * its name.
 */
import { CfnTemplate, entries, refId } from './template';

/** Retained resources of one type and policy in one stack. */
export interface RetainedRow {
  readonly stack: string;
  readonly type: string;
  readonly policy: string;
  readonly count: number;
  /** Logical ids of every resource in the group. */
  readonly logicalIds: readonly string[];
  /** Physical names fixed by the template (KMS keys: their alias), for the resources that have one. */
  readonly physicalNames: readonly string[];
  /** Resources whose physical name AWS assigns at deploy (find them by tag or in the console). */
  readonly namedAtDeploy: number;
}

/** Properties that hold a resource's physical name, by precedence. */
const NAME_PROPS = [
  'DBClusterIdentifier',
  'GlobalClusterIdentifier',
  'BucketName',
  'LogGroupName',
  'BackupVaultName',
  'Name',
  'DBSubnetGroupName',
  'TopicName',
];

const RETAINING = new Set(['Retain', 'Snapshot', 'RetainExceptOnCreate']);

/** Retained resources of every template, grouped by type and policy. */
export function retainedRows(templates: Record<string, CfnTemplate>): RetainedRow[] {
  const rows: RetainedRow[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const groups = new Map<string, { type: string; policy: string; ids: string[]; names: string[] }>();
    const aliases = new Map(
      entries(t, 'AWS::KMS::Alias')
        .filter(([, a]) => typeof a.Properties?.AliasName === 'string')
        .map(([, a]) => [refId(a.Properties?.TargetKeyId) ?? '', String(a.Properties.AliasName)]),
    );
    for (const [id, r] of entries(t)) {
      const policy = r.DeletionPolicy;
      if (!policy || !RETAINING.has(policy)) continue;
      const key = `${r.Type}|${policy}`;
      const g = groups.get(key) ?? { type: r.Type, policy, ids: [], names: [] };
      g.ids.push(id);
      const prop = NAME_PROPS.find((k) => typeof r.Properties?.[k] === 'string');
      const name = prop ? String(r.Properties[prop]) : aliases.get(id);
      if (name !== undefined) g.names.push(name);
      groups.set(key, g);
    }
    for (const g of [...groups.values()].sort((a, b) =>
      (a.type + a.policy).localeCompare(b.type + b.policy),
    )) {
      rows.push({
        stack,
        type: g.type,
        policy: g.policy,
        count: g.ids.length,
        logicalIds: g.ids.sort(),
        physicalNames: g.names.sort(),
        namedAtDeploy: g.ids.length - g.names.length,
      });
    }
  }
  return rows;
}
