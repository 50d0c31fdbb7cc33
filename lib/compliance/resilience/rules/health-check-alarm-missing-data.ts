import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { isObject } from '../app-index';
import { alarmOfHealthCheck } from '../alarms';
import type { ResilienceRule } from '../rule';

/**
 * A Route 53 CLOUDWATCH_METRIC health check must not change status because its alarm's metric missed
 * one datapoint (a late publisher run, a throttled PutMetricData).
 *
 * - TreatMissingData `missing` (the default): "If all data points in the alarm evaluation range are
 *   missing, the alarm transitions to INSUFFICIENT_DATA"
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html), and
 *   Route 53 then gives the check its InsufficientDataHealthStatus: Healthy or Unhealthy regardless of
 *   the last state, or LastKnownStatus, "the status of the health check from the last time that
 *   CloudWatch had sufficient data"
 *   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html). Only
 *   UpdateHealthCheck's reference calls LastKnownStatus the default
 *   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html); for a new
 *   check the docs are silent, so the rule asks for LastKnownStatus to be set explicitly. For an
 *   alarm whose evaluation range is one period, one missed datapoint is enough; with more periods,
 *   one missed datapoint leaves the others in the range and the state stands, so the rule is silent.
 * - `notBreaching` with DatapointsToAlarm equal to EvaluationPeriods: one missed datapoint counts as
 *   good and leaves fewer than M breaching datapoints, so the alarm goes OK (a drain is released).
 * - `breaching` with DatapointsToAlarm 1: one missed datapoint raises the alarm (a healthy region is
 *   taken out of DNS).
 * - `ignore` keeps the current state and is never a finding.
 *
 * Alarms named by a check but created outside the app are not judged.
 */
export const HealthCheckAlarmMissingData: ResilienceRule = {
  id: 'HealthCheckAlarmMissingData',
  info: 'The Route 53 health check reads an alarm that changes state (or reaches INSUFFICIENT_DATA read as a fixed status) when one datapoint is missing.',
  explanation:
    'Route 53 follows the alarm: a single missed datapoint can then put a drained region back in DNS or take a healthy one out. Set InsufficientDataHealthStatus to LastKnownStatus with TreatMissingData missing, or evaluate more than one period with TreatMissingData missing, or an M-of-N alarm that one missing datapoint cannot flip (notBreaching with M < N, breaching with M > 1), or TreatMissingData ignore.',
  sources: [
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html',
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html',
  ],
  resourceTypes: ['AWS::Route53::HealthCheck'],
  check(check, { index }): NagRuleResult {
    const alarm = alarmOfHealthCheck(check, index);
    if (!alarm) return NagRuleCompliance.NOT_APPLICABLE;
    const config = isObject(check.properties.HealthCheckConfig) ? check.properties.HealthCheckConfig : {};
    const insufficient = String(config.InsufficientDataHealthStatus ?? 'unset');
    const treat = String(alarm.properties.TreatMissingData ?? 'missing');
    const n = Number(alarm.properties.EvaluationPeriods ?? 1);
    const m = Number(alarm.properties.DatapointsToAlarm ?? n);
    // With more than one period, one missed datapoint cannot empty the evaluation range.
    if (treat === 'missing' && n <= 1 && insufficient !== 'LastKnownStatus')
      return [`missing-data-reads-${insufficient}`];
    if (treat === 'notBreaching' && m >= n) return ['one-missing-datapoint-clears-alarm'];
    if (treat === 'breaching' && m <= 1) return ['one-missing-datapoint-raises-alarm'];
    return NagRuleCompliance.COMPLIANT;
  },
};
