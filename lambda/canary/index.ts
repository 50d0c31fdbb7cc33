/**
 * Canary Lambda entry point (bundled by the CDK's NodejsFunction). `CANARY_CONFIG` is validated
 * at cold start: an invalid config fails the init with a message naming the bad key.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHandler } from './canary';
import { parseCanaryConfig } from './config';

const clients = new Map<string, CloudWatchClient>();

/** One client per verdict region, reused across invocations; short timeouts, one retry. */
function cloudWatchFor(region: string): CloudWatchClient {
  let client = clients.get(region);
  if (!client) {
    client = new CloudWatchClient({
      region,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
    });
    clients.set(region, client);
  }
  return client;
}

const config = parseCanaryConfig(process.env.CANARY_CONFIG);

/** Key cache: read again after 5 minutes (a rotation reaches the canary within that, the shop accepts both). */
const KEY_TTL_MS = 300_000;
let cached: { key: string; at: number } | undefined;
let secrets: SecretsManagerClient | undefined;

/** This region's copy of the test-signing key `{ key }`; the last good key while Secrets Manager fails. */
async function signingKey(): Promise<string> {
  if (cached && Date.now() - cached.at < KEY_TTL_MS) return cached.key;
  try {
    secrets ??= new SecretsManagerClient({ region: config.vantage, maxAttempts: 2 });
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: config.signingSecretName }));
    const key = (JSON.parse(out.SecretString ?? '{}') as { key?: unknown }).key;
    if (typeof key !== 'string' || key.length < 32) throw new Error('the test-signing secret has no "key"');
    cached = { key, at: Date.now() };
    return key;
  } catch (err) {
    if (cached) return cached.key;
    throw err;
  }
}

export const handler = createHandler({
  config,
  fetch: globalThis.fetch,
  cloudWatchFor,
  now: Date.now,
  ...(config.signingSecretName ? { signingKey } : {}),
});
