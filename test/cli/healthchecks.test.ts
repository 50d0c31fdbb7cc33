import { ListHealthChecksCommand, ListTagsForResourcesCommand } from '@aws-sdk/client-route-53';
import type { Deps } from '../../cli/aws/deps';
import { findHealthChecks } from '../../cli/failover/healthchecks';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { EDGE, PRIMARY, T0, World } from './world';

/** Deps of shopctl for `appName`, on the World's fake AWS. */
function deps(w: World, appName: string): Deps {
  const config = { ...loadConfig('default'), appName };
  return {
    config,
    names: new Names(config),
    clients: w.overrides().clients,
    globalRegion: EDGE,
    now: () => T0,
    signal: new AbortController().signal,
    callTimeoutMs: 5_000,
  } as unknown as Deps;
}

test('two deployments in one account: shopctl finds only the health checks of its own app', async () => {
  const w = new World();
  const r53 = w.m(EDGE).route53;
  // Both apps tag an "endpoint:<primary>" check; Route 53 lists them together (checks are global).
  r53.on(ListHealthChecksCommand).resolves({
    HealthChecks: ['hc-shop', 'hc-other'].map((Id) => ({
      Id,
      CallerReference: Id,
      HealthCheckVersion: 1,
    })) as never,
    IsTruncated: false,
  });
  r53.on(ListTagsForResourcesCommand).resolves({
    ResourceTagSets: [
      {
        ResourceId: 'hc-other',
        ResourceType: 'healthcheck',
        Tags: [
          { Key: Names.HEALTH_CHECK_TAG, Value: `endpoint:${PRIMARY}` },
          { Key: Names.HEALTH_CHECK_APP_TAG, Value: 'other-shop' },
        ],
      },
      {
        ResourceId: 'hc-shop',
        ResourceType: 'healthcheck',
        Tags: [
          { Key: Names.HEALTH_CHECK_TAG, Value: `endpoint:${PRIMARY}` },
          { Key: Names.HEALTH_CHECK_APP_TAG, Value: 'resilient-shop' },
        ],
      },
    ],
  });
  expect([...(await findHealthChecks(deps(w, 'resilient-shop')))]).toEqual([
    [`endpoint:${PRIMARY}`, 'hc-shop'],
  ]);
  expect([...(await findHealthChecks(deps(w, 'other-shop')))]).toEqual([[`endpoint:${PRIMARY}`, 'hc-other']]);
  // A check without the app tag (another tool's, or one deployed before the tag existed) is nobody's.
  expect([...(await findHealthChecks(deps(w, 'third-shop')))]).toEqual([]);
});
