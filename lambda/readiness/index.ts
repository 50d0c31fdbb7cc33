import { ACMClient } from '@aws-sdk/client-acm';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CheckResult, evaluate, ReadinessClients, ReadinessTarget } from './checks';
import { CHECK_FAILED_METRIC, READY_METRIC } from './metrics';

/** Settings written by `lib/capacity/readiness.ts` into `READINESS_CONFIG`. */
export interface ReadinessConfig extends ReadinessTarget {
  /** Namespace of `Ready{Region}` and `CheckFailed{Region,Check}`. */
  readonly namespace: string;
}

/** Result of one run. */
export interface ReadinessResult {
  readonly ready: boolean;
  readonly checks: readonly CheckResult[];
  readonly failedRegions: Readonly<Record<string, string>>;
}

export { CHECK_FAILED_METRIC, READY_METRIC } from './metrics';

/**
 * Runs every check and publishes `Ready{Region}` (1/0) and `CheckFailed{Region,Check}` into every
 * region's CloudWatch (the alarm reads its own region; `shopctl status` reads any live one). A
 * region that does not answer is reported; only a failure to publish locally throws.
 */
export async function run(
  clients: ReadinessClients,
  cloudwatchFor: (region: string) => CloudWatchClient,
  config: ReadinessConfig,
  now: Date = new Date(),
): Promise<ReadinessResult> {
  const checks = await evaluate(clients, config, now);
  const ready = checks.every((c) => c.ok);
  const dims = (extra: Record<string, string> = {}) =>
    Object.entries({ Region: config.region, ...extra }).map(([Name, Value]) => ({ Name, Value }));
  const MetricData = [
    {
      MetricName: READY_METRIC,
      Dimensions: dims(),
      Value: ready ? 1 : 0,
      Timestamp: now,
      Unit: 'Count' as const,
    },
    ...checks.map((c) => ({
      MetricName: CHECK_FAILED_METRIC,
      Dimensions: dims({ Check: c.check }),
      Value: c.ok ? 0 : 1,
      Timestamp: now,
      Unit: 'Count' as const,
    })),
  ];
  const outcomes = await Promise.allSettled(
    config.regions.map((r) =>
      cloudwatchFor(r).send(new PutMetricDataCommand({ Namespace: config.namespace, MetricData })),
    ),
  );
  const failedRegions: Record<string, string> = {};
  outcomes.forEach((o, i) => {
    if (o.status === 'rejected')
      failedRegions[config.regions[i]] = (o.reason as Error)?.message ?? String(o.reason);
  });
  if (failedRegions[config.region]) {
    throw new Error(`could not publish readiness in its own region: ${failedRegions[config.region]}`);
  }
  return { ready, checks, failedRegions };
}

/** Reads the settings from `READINESS_CONFIG`. */
export function configFromEnv(env: NodeJS.ProcessEnv): ReadinessConfig {
  if (!env.READINESS_CONFIG) throw new Error('environment variable READINESS_CONFIG is missing');
  return JSON.parse(env.READINESS_CONFIG) as ReadinessConfig;
}

const short = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } };
const cloudwatchClients = new Map<string, CloudWatchClient>();
const cloudwatchFor = (region: string) => {
  let c = cloudwatchClients.get(region);
  if (!c) cloudwatchClients.set(region, (c = new CloudWatchClient({ region, ...short })));
  return c;
};

/** Scheduled entry point (every 5 minutes). */
export async function handler(): Promise<ReadinessResult> {
  const config = configFromEnv(process.env);
  const clients: ReadinessClients = {
    local: {
      autoscaling: new AutoScalingClient({}),
      acm: new ACMClient({}),
      cloudwatch: cloudwatchFor(config.region),
      rds: new RDSClient({}),
      secrets: new SecretsManagerClient({}),
    },
    primarySecrets: new SecretsManagerClient({ region: config.primaryRegion, ...short }),
  };
  const result = await run(clients, cloudwatchFor, config);
  console.log(JSON.stringify({ message: result.ready ? 'ready' : 'NOT READY', ...result }));
  return result;
}
