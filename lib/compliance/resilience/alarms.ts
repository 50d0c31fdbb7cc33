import type { AppIndex, IndexedResource } from './app-index';
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
