/**
 * What the report reads of a capability the shop runs (payments, customer notices) that every such
 * section reads the same way: the JSON settings the web tier writes into each launch template's env
 * file, where the secrets it names live, and its operator switch parameter per stack.
 */
import { CfnTemplate, entries, Json } from './template';

/** `<name>='<json>'` from a launch template's user data (the env file line), parsed, or undefined. */
export function shopSettingsOf(t: CfnTemplate, name: string): Json | undefined {
  const prefix = `${name}='`;
  for (const [, lt] of entries(t, 'AWS::EC2::LaunchTemplate')) {
    const parts: Json[] =
      lt.Properties?.LaunchTemplateData?.UserData?.['Fn::Base64']?.['Fn::Join']?.[1] ?? [];
    const text = parts.filter((p) => typeof p === 'string').join('');
    const line = text.split('\n').find((l) => l.startsWith(prefix));
    if (line) return JSON.parse(line.slice(prefix.length, -1));
  }
  return undefined;
}

/** Where a named secret lives: the stack that creates it and its replicas (with the key used there). */
export interface SecretHome {
  readonly stack: string;
  readonly replicas: string[];
}

/** Every named Secrets Manager secret of every template, by name. */
export function secretsByName(templates: Record<string, CfnTemplate>): Map<string, SecretHome> {
  const secrets = new Map<string, SecretHome>();
  for (const [stack, t] of Object.entries(templates)) {
    for (const [, r] of entries(t, 'AWS::SecretsManager::Secret')) {
      const name = r.Properties?.Name;
      if (typeof name !== 'string') continue;
      const replicas = ((r.Properties?.ReplicaRegions ?? []) as Json[]).map(
        (x) => `${x.Region} (${x.KmsKeyId ? 'replica key' : 'aws/secretsmanager'})`,
      );
      secrets.set(name, { stack, replicas });
    }
  }
  return secrets;
}

/** An operator switch parameter in one stack, with the value the stack creates it with. */
export interface SwitchRow {
  readonly stack: string;
  readonly region: string;
  readonly parameter: string;
  readonly initial: string;
}

/** The SSM parameter `parameter` in every template that creates it (none when it is undefined). */
export function switchRows(
  templates: Record<string, CfnTemplate>,
  regionOf: Map<string, string>,
  parameter: string | undefined,
): SwitchRow[] {
  if (!parameter) return [];
  return Object.entries(templates).flatMap(([stack, t]) =>
    entries(t, 'AWS::SSM::Parameter')
      .filter(([, r]) => r.Properties?.Name === parameter)
      .map(([, r]) => ({
        stack,
        region: regionOf.get(stack) ?? 'unknown',
        parameter,
        initial: String(r.Properties?.Value),
      })),
  );
}
