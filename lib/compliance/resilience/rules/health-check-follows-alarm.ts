import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { isObject } from '../app-index';
import { alarmFingerprintOfProperties, alarmOfHealthCheck } from '../alarms';
import type { ResilienceRule } from '../rule';

/**
 * A Route 53 CLOUDWATCH_METRIC health check keeps its own copy of the alarm's configuration
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html) and
 * does not follow later changes to the alarm: the health check has to be updated when the alarm's
 * settings change (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html,
 * "Updating health checks when you change CloudWatch alarm settings"). CloudFormation updates the
 * health check only when its own template changes, and an alarm changed in place keeps its name, so
 * nothing in the check's template changes.
 *
 * The rule asks for the alarm's fingerprint (`alarmFingerprint`, exported by this pack: a hash of what
 * the alarm evaluates) either in the alarm's name (the alarm is replaced and the check's AlarmIdentifier
 * changes with it) or in the health check's logical id (the check is replaced). A tag would not do: the
 * docs are silent on whether a tag-only change calls UpdateHealthCheck, so the rule takes the worst case.
 */
export const HealthCheckFollowsAlarm: ResilienceRule = {
  id: 'HealthCheckFollowsAlarm',
  info: "The Route 53 health check will not follow changes to its alarm: neither the alarm's name nor the check's logical id carries the alarm's fingerprint.",
  explanation:
    "Route 53 copies the alarm's configuration when the health check is created or updated, and CloudFormation updates the check only when its template changes. Put alarmFingerprint(alarm) in the alarm's name or in the health check's construct id.",
  sources: [
    'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-deleting.html',
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html',
  ],
  resourceTypes: ['AWS::Route53::HealthCheck'],
  check(check, { index }): NagRuleResult {
    const alarm = alarmOfHealthCheck(check, index);
    if (!alarm) return NagRuleCompliance.NOT_APPLICABLE;
    const fingerprint = alarmFingerprintOfProperties(alarm.properties);
    const config = isObject(check.properties.HealthCheckConfig) ? check.properties.HealthCheckConfig : {};
    const alarmName = isObject(config.AlarmIdentifier)
      ? index.literal(config.AlarmIdentifier.Name, check.stack)
      : '';
    const follows = (alarmName ?? '').includes(fingerprint) || check.logicalId.includes(fingerprint);
    return follows ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
