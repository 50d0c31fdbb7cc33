import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

/** The SDK clients of one region. */
export interface RegionClients {
  readonly route53: Route53Client;
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly cloudfront: CloudFrontClient;
  readonly ssm: SSMClient;
  readonly sts: STSClient;
  readonly secrets: SecretsManagerClient;
}

/** The one way the CLI gets clients; tests inject mocked ones. */
export type ClientsFor = (region: string) => RegionClients;

export interface ClientOptions {
  /** Named profile (else the SDK's standard chain: env, SSO, instance role...). */
  readonly profile?: string;
  /** Attempts per call; low so a dead region fails fast. */
  readonly maxAttempts?: number;
  /** Time to establish a connection, per attempt. */
  readonly connectionTimeoutMs?: number;
  /** Time for one attempt to be answered once connected; enforced (throwOnRequestTimeout). */
  readonly requestTimeoutMs?: number;
  /** Endpoint for every service (tests point the clients at a local server). Default: the SDK's. */
  readonly endpoint?: string;
  /** Static credentials (tests). Default: the SDK's provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The settings every SDK client of shopctl is built with (these clients and the capacity ones of
 * capacity.ts): short, enforced timeouts, few attempts, the profile, and the test endpoint if any.
 */
export function clientConfig(region: string, opts: ClientOptions = {}) {
  return {
    region,
    ...(opts.profile ? { profile: opts.profile } : {}),
    maxAttempts: opts.maxAttempts ?? 2,
    requestHandler: {
      connectionTimeout: opts.connectionTimeoutMs ?? 3000,
      requestTimeout: opts.requestTimeoutMs ?? 5000,
      throwOnRequestTimeout: true,
    },
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: { ...opts.credentials } } : {}),
  };
}

/**
 * Builds clients lazily per region with short, enforced timeouts. Endpoints come from the SDK's
 * standard configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, config files): nothing is
 * hard-coded.
 *
 * `requestTimeout` of @smithy/node-http-handler only logs a warning unless `throwOnRequestTimeout` is
 * set (checked in the installed 4.14.x: `setRequestTimeout` destroys the request only then), so a
 * region that accepts connections and never answers would hang the CLI. Every call also carries an
 * overall abort signal (errors.ts `aws`), which bounds the retries too.
 */
export function makeClientsFor(opts: ClientOptions = {}): ClientsFor {
  const cache = new Map<string, RegionClients>();
  return (region: string) => {
    const hit = cache.get(region);
    if (hit) return hit;
    const common = clientConfig(region, opts);
    const made: Partial<Record<keyof RegionClients, unknown>> = {};
    const lazy =
      <K extends keyof RegionClients>(key: K, make: () => RegionClients[K]) =>
      () => {
        made[key] ??= make();
        return made[key] as RegionClients[K];
      };
    const get = {
      route53: lazy('route53', () => new Route53Client(common)),
      rds: lazy('rds', () => new RDSClient(common)),
      cloudwatch: lazy('cloudwatch', () => new CloudWatchClient(common)),
      logs: lazy('logs', () => new CloudWatchLogsClient(common)),
      s3: lazy('s3', () => new S3Client(common)),
      cloudfront: lazy('cloudfront', () => new CloudFrontClient(common)),
      ssm: lazy('ssm', () => new SSMClient(common)),
      sts: lazy('sts', () => new STSClient(common)),
      secrets: lazy('secrets', () => new SecretsManagerClient(common)),
    };
    const clients: RegionClients = {
      get route53() {
        return get.route53();
      },
      get rds() {
        return get.rds();
      },
      get cloudwatch() {
        return get.cloudwatch();
      },
      get logs() {
        return get.logs();
      },
      get s3() {
        return get.s3();
      },
      get cloudfront() {
        return get.cloudfront();
      },
      get ssm() {
        return get.ssm();
      },
      get sts() {
        return get.sts();
      },
      get secrets() {
        return get.secrets();
      },
    };
    cache.set(region, clients);
    return clients;
  };
}
