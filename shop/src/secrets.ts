/** Database credentials from AWS Secrets Manager (the secret's replica in the instance's own region). */
import type { Credentials } from './types';

export function parseSecret(text: string | undefined): Credentials {
  let value: { username?: unknown; password?: unknown };
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new Error('database secret is not JSON');
  }
  if (typeof value.username !== 'string' || typeof value.password !== 'string') {
    throw new Error('database secret lacks "username" or "password"');
  }
  return { username: value.username, password: value.password };
}

export function secretsManagerFetcher(secretId: string, region: string): () => Promise<Credentials> {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  return async () => {
    const sm = await import('@aws-sdk/client-secrets-manager');
    client ??= new sm.SecretsManagerClient({ region, maxAttempts: 3 });
    const out = await client.send(new sm.GetSecretValueCommand({ SecretId: secretId }));
    return parseSecret(out.SecretString);
  };
}

/**
 * A JSON secret read by name from Secrets Manager (payment providers' keys), kept for `ttlMs` so a
 * payment does not wait for Secrets Manager; tests pass their own reader instead.
 */
export function secretsManagerJson(
  region: string,
  ttlMs = 300_000,
): (secretId: string) => Promise<Record<string, unknown>> {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  const cache = new Map<string, { at: number; value: Record<string, unknown> }>();
  return async (secretId) => {
    const hit = cache.get(secretId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const sm = await import('@aws-sdk/client-secrets-manager');
    client ??= new sm.SecretsManagerClient({ region, maxAttempts: 3 });
    const out = await client.send(new sm.GetSecretValueCommand({ SecretId: secretId }));
    let value: unknown;
    try {
      value = JSON.parse(out.SecretString ?? '');
    } catch {
      throw new Error(`secret ${secretId} is not JSON`);
    }
    if (typeof value !== 'object' || value === null)
      throw new Error(`secret ${secretId} is not a JSON object`);
    cache.set(secretId, { at: Date.now(), value: value as Record<string, unknown> });
    return value as Record<string, unknown>;
  };
}
