/**
 * Payment metrics for CloudWatch (PAYMENTS-CONTRACT "Names"): counters aggregated in memory per
 * provider and method and published at most once a minute with one PutMetricData call, so the cost
 * does not grow with traffic. Latencies go out as `Values`/`Counts` pairs, which keeps percentile
 * statistics (p50, p99) available; a statistic set would not.
 * PutMetricData (Values/Counts, up to 1,000 metrics per call):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
import type { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { SampleEvent } from './health';
import type { Logger } from '../types';

interface Counters {
  attempts: number;
  approvals: number;
  customerDeclines: number;
  providerErrors: number;
  unknowns: number;
  latencies: Map<number, number>;
}

const fresh = (): Counters => ({
  attempts: 0,
  approvals: 0,
  customerDeclines: 0,
  providerErrors: 0,
  unknowns: 0,
  latencies: new Map(),
});

/** Sends one PutMetricData (the CloudWatch client in production; injectable). */
export type MetricPublisher = (namespace: string, data: MetricDatum[]) => Promise<void>;

/** A publisher through a CloudWatch client. */
export function cloudWatchPublisher(client: CloudWatchClient): MetricPublisher {
  return async (namespace, data) => {
    const { PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    // The API takes at most 1,000 metrics per call; a few providers and methods are far below it.
    await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
  };
}

export class PaymentMetrics {
  private counters = new Map<string, Counters>();

  constructor(
    readonly namespace: string,
    private readonly region: string,
    private readonly publisher: MetricPublisher | undefined,
    private readonly logger: Logger,
  ) {}

  /** Counts one call's result (health.ts `onSample`). */
  record(e: SampleEvent): void {
    const key = `${e.provider}\u0000${e.method}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = fresh()));
    c.attempts++;
    if (e.kind === 'approved') c.approvals++;
    else if (e.kind === 'declined') c.customerDeclines++;
    else if (e.kind === 'error') c.providerErrors++;
    else c.unknowns++;
    // Rounded to 10 ms so that a minute of traffic fits in few Values/Counts pairs.
    const bucket = Math.round(e.latencyMs / 10) * 10;
    c.latencies.set(bucket, (c.latencies.get(bucket) ?? 0) + 1);
  }

  /** The MetricData of the counters since the last call (which it resets), plus the two gauges. */
  drain(at: Date, gauges: { unresolvedUnknowns: number; onlineMethodsAvailable: number }): MetricDatum[] {
    const data: MetricDatum[] = [];
    const region = { Name: 'Region', Value: this.region };
    for (const [key, c] of this.counters) {
      const [provider, method] = key.split('\u0000');
      const dims = [region, { Name: 'Provider', Value: provider }, { Name: 'Method', Value: method }];
      const count = (name: string, value: number): MetricDatum => ({
        MetricName: name,
        Dimensions: dims,
        Timestamp: at,
        Unit: 'Count',
        Value: value,
      });
      data.push(
        count('Attempts', c.attempts),
        count('Approvals', c.approvals),
        count('CustomerDeclines', c.customerDeclines),
        count('ProviderErrors', c.providerErrors),
        count('Unknowns', c.unknowns),
      );
      const buckets = [...c.latencies.entries()].sort((a, b) => a[0] - b[0]).slice(0, 150);
      if (buckets.length)
        data.push({
          MetricName: 'LatencyMs',
          Dimensions: dims,
          Timestamp: at,
          Unit: 'Milliseconds',
          Values: buckets.map((b) => b[0]),
          Counts: buckets.map((b) => b[1]),
        });
    }
    this.counters = new Map();
    data.push(
      {
        MetricName: 'UnresolvedUnknowns',
        Dimensions: [region],
        Timestamp: at,
        Unit: 'Count',
        Value: gauges.unresolvedUnknowns,
      },
      {
        MetricName: 'OnlineMethodsAvailable',
        Dimensions: [region],
        Timestamp: at,
        Unit: 'Count',
        Value: gauges.onlineMethodsAvailable,
      },
    );
    return data;
  }

  /** Publishes what was counted; on failure logs and drops (metrics never block payments). */
  async publish(
    at: Date,
    gauges: { unresolvedUnknowns: number; onlineMethodsAvailable: number },
  ): Promise<void> {
    const data = this.drain(at, gauges);
    if (!this.publisher) return;
    try {
      await this.publisher(this.namespace, data);
    } catch (err) {
      this.logger.warn('payment metrics not published', { error: (err as Error).message });
    }
  }
}
