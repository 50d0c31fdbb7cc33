import { createHash } from 'node:crypto';
import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { AppIndex, IndexedResource, Json } from './app-index';
import { isObject } from './app-index';

/** The alarm a CLOUDWATCH_METRIC health check reads, found in the app by name and region. */
export function alarmOfHealthCheck(check: IndexedResource, index: AppIndex): IndexedResource | undefined {
  const config = isObject(check.properties.HealthCheckConfig) ? check.properties.HealthCheckConfig : {};
  if (config.Type !== 'CLOUDWATCH_METRIC' || !isObject(config.AlarmIdentifier)) return undefined;
  const name = index.literal(config.AlarmIdentifier.Name, check.stack);
  const region = index.literal(config.AlarmIdentifier.Region, check.stack);
  const alarms = index.memo('alarmsByRegionAndName', () => {
    const map = new Map<string, IndexedResource>();
    for (const a of index.ofTypeInApp('AWS::CloudWatch::Alarm')) {
      const n = index.literal(a.properties.AlarmName, a.stack);
      if (n !== undefined) map.set(`${index.regionOf(a.stack)}|${n}`, a);
    }
    return map;
  });
  return alarms.get(`${region}|${name}`);
}

/** Alarm properties that do not change what Route 53 evaluates (actions, texts, the name itself). */
const NOT_EVALUATED = new Set([
  'AlarmName',
  'AlarmDescription',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'ActionsEnabled',
  'Tags',
]);

/** JSON with object keys sorted, so equal configurations give equal text. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A 12-character fingerprint of what an alarm evaluates (metric, statistic, period, threshold,
 * comparison, datapoints, missing-data treatment), from its CloudFormation properties. Put it in the
 * alarm's name or in the construct id of the health check that reads it, so that changing the alarm
 * changes the health check on the next deploy (see the HealthCheckFollowsAlarm rule).
 */
export function alarmFingerprintOfProperties(properties: { readonly [key: string]: Json }): string {
  const evaluated: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(properties)) if (!NOT_EVALUATED.has(k)) evaluated[k] = v;
  return createHash('sha256').update(canonical(evaluated)).digest('hex').slice(0, 12);
}

/** {@link alarmFingerprintOfProperties} of an L1 or L2 CloudWatch alarm, resolved in its own stack. */
export function alarmFingerprint(alarm: IConstruct): string {
  const cfn = (alarm.node.defaultChild ?? alarm) as CfnResource;
  if (!CfnResource.isCfnResource(cfn) || cfn.cfnResourceType !== 'AWS::CloudWatch::Alarm') {
    throw new Error(
      `alarmFingerprint: ${alarm.node.path} is not a CloudWatch alarm. Fix: pass an Alarm or a CfnAlarm`,
    );
  }
  const rendered = Stack.of(cfn).resolve(
    (cfn as unknown as { _toCloudFormation(): Json })._toCloudFormation(),
  );
  const resource =
    isObject(rendered) && isObject(rendered.Resources) ? Object.values(rendered.Resources)[0] : {};
  return alarmFingerprintOfProperties(
    isObject(resource) && isObject(resource.Properties) ? resource.Properties : {},
  );
}
