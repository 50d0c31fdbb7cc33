import type { ShopConfig } from './load';

/**
 * Things a valid config does that the operator should hear about at synth, because they are not
 * visible in the templates: today, promotions that the web tier leaves out because their time has
 * passed (a scheduled action whose time is in the past fails the deploy, so none is created).
 */
export function configNotices(config: ShopConfig, now: Date): string[] {
  const notices: string[] = [];
  config.promotions.forEach((p, i) => {
    const label = `promotions[${i}] "${p.name}"`;
    if (p.end <= now) {
      notices.push(
        `${label} ended at ${p.end.toISOString()}: it is left out of the templates (no scheduled action). Remove it from the config to silence this notice.`,
      );
    } else if (p.start <= now) {
      notices.push(
        `${label} started at ${p.start.toISOString()}: this deploy cannot raise the minimum to ${p.minCapacity} any more (a scheduled action in the past fails the deploy); only the return to normal at ${p.end.toISOString()} is scheduled. If the crowd is still coming, raise web.minCapacity for now.`,
      );
    }
  });
  return notices;
}
