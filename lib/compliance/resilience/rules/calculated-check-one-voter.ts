import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { asArray, isObject, referencedId } from '../app-index';
import type { ResilienceRule } from '../rule';

/**
 * A CALCULATED Route 53 health check counts its healthy children against HealthThreshold
 * (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-update-health-check-request/health-threshold.html).
 * When it is built as a vote (for example "fewer than two drain switch copies say drained"), each
 * voter must be an independent source. Two alarm-backed children that name the same alarm (region and
 * name) are one source counted twice: one stale or silent alarm then casts two votes, and the
 * threshold's "two independent votes" means one. The rule finds such children; endpoint checks that
 * repeat the same request on purpose (to weigh an endpoint more) are not judged.
 *
 * Children that are not checks of the same stack, or whose alarm is not a literal, are not judged.
 */
export const CalculatedCheckOneVoter: ResilienceRule = {
  id: 'CalculatedCheckOneVoter',
  info: 'A CALCULATED Route 53 health check counts two children that read the same CloudWatch alarm: one stale or silent alarm casts two votes.',
  explanation:
    'Give every alarm-backed child its own alarm, fed by its own source (its own region, its own parameter), or count the alarm once and lower HealthThreshold to match.',
  sources: [
    'https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-update-health-check-request/health-threshold.html',
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_CloudWatchAlarmConfiguration.html',
  ],
  resourceTypes: ['AWS::Route53::HealthCheck'],
  check(check, { index }): NagRuleResult {
    const config = isObject(check.properties.HealthCheckConfig) ? check.properties.HealthCheckConfig : {};
    if (config.Type !== 'CALCULATED') return NagRuleCompliance.NOT_APPLICABLE;
    const resources = index.resources(check.stack);
    const seen = new Map<string, string>();
    const findings: string[] = [];
    for (const child of asArray(config.ChildHealthChecks)) {
      const id = referencedId(child);
      const c = id ? resources.get(id) : undefined;
      const cc = c && isObject(c.properties.HealthCheckConfig) ? c.properties.HealthCheckConfig : undefined;
      if (!cc || cc.Type !== 'CLOUDWATCH_METRIC' || !isObject(cc.AlarmIdentifier)) continue;
      const region = index.literal(cc.AlarmIdentifier.Region, check.stack);
      const name = index.literal(cc.AlarmIdentifier.Name, check.stack);
      if (!region || !name) continue;
      const key = `${region}/${name}`;
      const first = seen.get(key);
      if (first) findings.push(`${first}+${id}`);
      else seen.set(key, id!);
    }
    return findings.length ? findings : NagRuleCompliance.COMPLIANT;
  },
};
