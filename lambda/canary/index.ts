/**
 * Canary Lambda entry point (bundled by the CDK's NodejsFunction). `CANARY_CONFIG` is validated
 * at cold start: an invalid config fails the init with a message naming the bad key.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
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

export const handler = createHandler({
  config: parseCanaryConfig(process.env.CANARY_CONFIG),
  fetch: globalThis.fetch,
  cloudWatchFor,
  now: Date.now,
});
