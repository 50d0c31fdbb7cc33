/**
 * Per-channel notice metrics for CloudWatch: `Sent`, `Failed`, `Fallbacks`, and from the delivery
 * reports `Delivered`, `DeliveryFailed`, `DeliveryUnknown` (Count, dimension `Channel`, the change
 * since the last publication; names and order from lib/contract/notify.ts NOTIFY_CHANNEL_COUNTERS)
 * and per region `PublisherHeartbeat` (always 1), `OutboxUnreadable` (1 when the outbox could not be
 * read, else 0) and `OldestUnsentAgeSeconds` (Seconds, the age of the oldest notice not yet sent,
 * the figure to alarm on; only when read). One PutMetricData per publication (at most 3 + 3 × 6 = 21
 * data, under the API's 1,000) through the same injectable publisher as payments:
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
    // The heartbeat and the read flag go out in every publication, so that a silent publisher and
    // an unreadable outbox are two facts (lib/notify/notify-alarms.ts): a standby whose database is
    // mid-promotion is alive and says so. The age is left out when unread (missing, not a
    // reassuring zero).
    const age = await this.dispatcher.oldestUnsentAgeSeconds().catch(() => undefined);
    const region = [{ Name: 'Region', Value: this.region }];
    data.push(
      { MetricName: NOTIFY_METRICS.heartbeat, Dimensions: region, Timestamp: at, Unit: 'Count', Value: 1 },
      {
        MetricName: NOTIFY_METRICS.outboxUnreadable,
        Dimensions: region,
        Timestamp: at,
        Unit: 'Count',
        Value: age === undefined ? 1 : 0,
      },
    );
    if (age !== undefined)
      data.push({
        MetricName: NOTIFY_METRICS.oldestUnsentAge,
        Dimensions: region,
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
