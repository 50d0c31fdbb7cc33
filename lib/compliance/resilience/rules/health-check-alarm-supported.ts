import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { alarmOfHealthCheck } from '../alarms';
import type { ResilienceRule } from '../rule';

const SUPPORTED_STATISTICS = ['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount'];

/**
 * A Route 53 CLOUDWATCH_METRIC health check can only follow an alarm Route 53 supports: "Standard-
 * resolution metrics. High-resolution metrics aren't supported" and "Statistics: Average, Minimum,
 * Maximum, Sum, and SampleCount. Extended statistics aren't supported"
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html). Route 53 keeps its
 * own copy of the alarm's single metric, statistic, period and threshold
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html), so an
 * alarm on a metric-math expression (no single metric) has nothing it can copy; the docs are silent on
 * that case and the rule takes the worst case.
 */
export const HealthCheckAlarmSupported: ResilienceRule = {
  id: 'HealthCheckAlarmSupported',
  info: 'The Route 53 health check reads an alarm that Route 53 does not support (high-resolution period, extended statistic, or metric math).',
  explanation:
    'Route 53 evaluates the alarm from its own copy of one standard-resolution metric with a basic statistic. Base the alarm on one metric with a period of at least 60 s and Average, Minimum, Maximum, Sum or SampleCount.',
  sources: [
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html',
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html',
  ],
  resourceTypes: ['AWS::Route53::HealthCheck'],
  check(check, { index }): NagRuleResult {
    const alarm = alarmOfHealthCheck(check, index);
    if (!alarm) return NagRuleCompliance.NOT_APPLICABLE;
    const p = alarm.properties;
    const findings: string[] = [];
    if (p.Metrics !== undefined) findings.push('metric-math');
    if (p.ExtendedStatistic !== undefined) findings.push('extended-statistic');
    if (p.Statistic !== undefined && !SUPPORTED_STATISTICS.includes(String(p.Statistic))) {
      findings.push('unsupported-statistic');
    }
    if (p.Period !== undefined && Number(p.Period) < 60) findings.push('high-resolution-period');
    return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
  },
};
