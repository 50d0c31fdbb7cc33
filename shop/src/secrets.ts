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
