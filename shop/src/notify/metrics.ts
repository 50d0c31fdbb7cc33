/**
 * Per-channel notice metrics for CloudWatch: `Sent`, `Failed`, `Fallbacks`, and from the delivery
 * reports `Delivered`, `DeliveryFailed`, `DeliveryUnknown` (Count, dimension `Channel`, the change
 * since the last publication; names and order from lib/contract/notify.ts NOTIFY_CHANNEL_COUNTERS)
 * and `OldestUnsentAgeSeconds` (Seconds, no channel: the age of the oldest notice not yet sent, the
 * figure to alarm on). One PutMetricData per publication (at most 1 + 3 × 6 = 19 data, under the
 * API's 1,000) through the same injectable publisher as payments:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { NOTIFY_CHANNEL_COUNTERS, NOTIFY_METRICS } from '../../../lib/contract/notify';
import type { MetricPublisher } from '../payments/metrics';
import type { ChannelId } from './channel';
import { type ChannelCounters, type Dispatcher, ZERO_COUNTERS } from './dispatcher';

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
      const prev = this.last.get(ch.channel) ?? ZERO_COUNTERS;
      const dims = [
        { Name: 'Region', Value: this.region },
        { Name: 'Channel', Value: ch.channel },
      ];
      for (const key of NOTIFY_CHANNEL_COUNTERS)
        data.push({
          MetricName: NOTIFY_METRICS[key],
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
        MetricName: NOTIFY_METRICS.oldestUnsentAge,
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
