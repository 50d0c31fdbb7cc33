import type { ReadinessTarget } from '../../lambda/readiness/checks';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';

/**
 * What the readiness check of `region` checks, from the config; the Lambda (through its
 * environment) and `shopctl check` build it the same way, so both judge by the same rules.
 */
export function readinessTarget(
  config: ShopConfig,
  region: string,
  located: { readonly asgName: string; readonly certificateArn: string },
): ReadinessTarget {
  const names = new Names(config);
  const rc = config.regions.find((r) => r.name === region);
  if (!rc) throw new Error(`${region} is not a region of config ${config.configName}`);
  return {
    region,
    primaryRegion: config.primaryRegion,
    secretName: names.dbSecretName(),
    dbClusterId: names.dbClusterId(region),
    globalClusterId: names.globalClusterId(),
    asgName: located.asgName,
    certificateArn: located.certificateArn,
    warmPoolMinSize: rc.web.warmPoolMinSize,
    lagLimitMs: config.database.replicationLagAlarmMs,
    certificateMinDays: config.capacity.certificateMinDays,
    heldSwitches: names.switchesHeldBy(region),
    regions: config.regions.map((r) => r.name),
    namespaces: {
      capacity: names.capacityNamespace(),
      switch: names.switchNamespace(),
      switchMetric: Names.SWITCH_METRIC,
      canary: names.canaryNamespace(),
    },
  };
}
