/**
 * Per-channel notice metrics for CloudWatch: `Sent`, `Failed`, `Fallbacks` (Count, dimension
 * `Channel`, the change since the last publication) and `OldestUnsentAgeSeconds` (Seconds, no
 * channel: the age of the oldest notice not yet sent, the figure to alarm on). One PutMetricData per
 * publication through the same injectable publisher as payments:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { MetricPublisher } from '../payments/metrics';
import type { ChannelId } from './channel';
import type { ChannelCounters, Dispatcher } from './dispatcher';

export class NotifyMetrics {
  private last = new Map<ChannelId, ChannelCounters>();

  constructor(
    private readonly dispatcher: Pick<Dispatcher, 'channelReport' | 'oldestUnsentAgeSeconds'>,
    private readonly publisher: MetricPublisher,
    private readonly namespace: string,
    private readonly region: string,
  ) {}

  /** The data one publication would send (counters as deltas since the previous call). */
  async data(at: Date): Promise<MetricDatum[]> {
    const data: MetricDatum[] = [];
    for (const ch of this.dispatcher.channelReport()) {
      const prev = this.last.get(ch.channel) ?? { sent: 0, failed: 0, fallbacks: 0 };
      const dims = [
        { Name: 'Region', Value: this.region },
        { Name: 'Channel', Value: ch.channel },
      ];
      for (const [name, key] of [
        ['Sent', 'sent'],
        ['Failed', 'failed'],
        ['Fallbacks', 'fallbacks'],
      ] as const)
        data.push({
          MetricName: name,
          Dimensions: dims,
          Timestamp: at,
          Unit: 'Count',
          Value: ch.counters[key] - prev[key],
        });
      this.last.set(ch.channel, ch.counters);
    }
    // Database unreadable: the gauge is left out (missing data, which the alarm treats on purpose)
    // rather than a reassuring zero; the counters above still go out.
    const age = await this.dispatcher.oldestUnsentAgeSeconds().catch(() => undefined);
    if (age !== undefined)
      data.push({
        MetricName: 'OldestUnsentAgeSeconds',
        Dimensions: [{ Name: 'Region', Value: this.region }],
        Timestamp: at,
        Unit: 'Seconds',
        Value: age,
      });
    return data;
  }

  async publish(at: Date): Promise<void> {
    await this.publisher(this.namespace, await this.data(at));
  }
}
