import { decide, type ScalerConfig } from '../../lambda/scaler';
import { UNKNOWN_PEAK_MAX_MINUTES } from '../../lib/capacity/scaler';
import { loadConfig } from '../../lib/config/load';
import { postureRows, renderPostures, stalePeakRow } from '../../lib/report/postures';
import { testConfig } from '../support/config';

test('the posture table of the default config, every posture compared (pinned)', () => {
  const table = renderPostures(loadConfig('default'), true)
    .split('### Stale')[0]
    .split('\n')
    .filter((l) => l.startsWith('|'));
  expect(table).toEqual([
    '| standby | posture | in service at rest | at full load | warm pool | full load | served at once | with the warm pool | time to full load | $/month |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    '| ap-northeast-1 | pilot-light | 0 | 0 | 2 | 12 | 0 % | 17 % after 150 s | 330 s | $411.36 |',
    '| ap-northeast-1 | warm (configured) | 1 | 1 | 2 | 12 | 8 % | 25 % after 150 s | 330 s | $424.90 |',
    '| ap-northeast-1 | hot | 1 | 6 | 2 | 12 | 50 % | 67 % after 150 s | 330 s | $424.90 |',
  ]);
});

test('without --compare-postures only the configured posture of each standby is reported', () => {
  const config = testConfig((raw) => {
    raw.regions.push({ name: 'ap-southeast-1', network: { cidr: '10.30.0.0/16' }, posture: 'pilot-light' });
  });
  expect(postureRows(config).map((r) => [r.region, r.posture, r.configured])).toEqual([
    ['ap-northeast-1', 'warm', true],
    ['ap-southeast-1', 'pilot-light', true],
  ]);
});

test('a hot standby at 100 % with a pool covering the rest is already at full load', () => {
  const config = testConfig((raw) => {
    raw.capacity = { hotPercent: 100 };
    raw.regions[1].posture = 'hot';
  });
  const [row] = postureRows(config);
  expect(row).toMatchObject({ inServiceAtFullLoad: 12, percentAtOnce: 100, secondsToFullLoad: 0 });
  // At rest it mirrors all of the primary's 2 instances: one more running instance and its volume than warm.
  expect(row.monthlyUsd).toBe(438.45);
  expect(renderPostures(config)).toContain(
    '| ap-northeast-1 | hot (configured) | 2 | 12 | 2 | 12 | 100 % | - | already there | $438.45 |',
  );
});

describe('stale mirror data: what the scaler at its maximum costs, and its bound', () => {
  const config = loadConfig('default');
  const standby = config.regions[1];
  const row = stalePeakRow(config, standby.name);

  test('the default standby: $0.58/h at its posture, $4.68/h at the maximum, at most 30 min per episode', () => {
    // Posture: 1 × t4g.small $0.0168 + 2 Aurora instances × 2 ACU × $0.14; maximum: 12 instances, 16 ACU.
    expect(row).toEqual({
      region: standby.name,
      posture: 'warm',
      postureInstances: 1,
      postureAcu: 2,
      postureUsdPerHour: 0.58,
      maxInstances: 12,
      maxAcu: 16,
      maxUsdPerHour: 4.68,
      extraUsdPerHour: 4.1,
      boundMinutes: UNKNOWN_PEAK_MAX_MINUTES,
      extraUsdPerEpisode: 2.05,
    });
    expect(renderPostures(config)).toContain(
      `| ${standby.name} | 1 instances, 2 ACU | $0.58 | 12 instances, 16 ACU | $4.68 | $4.10 | 30 min | $2.05 |`,
    );
  });

  test("the figures are the scaler's own decisions: the maximum before the bound, the local load after", () => {
    const scaler: ScalerConfig = {
      region: standby.name,
      namespace: 'resilient-shop/capacity',
      sources: [config.regions[0].name],
      asgName: 'asg',
      loadBalancer: 'app/alb/1',
      dbClusterId: 'db',
      posture: standby.posture,
      postureMinInstances: standby.web.minCapacity,
      maxInstances: standby.web.maxCapacity,
      postureMinAcu: config.database.minCapacityAcu,
      maxAcu: config.database.maxCapacityAcu,
      headroomPercent: config.capacity.headroomPercent,
      peakWindowHours: config.capacity.peakWindowHours,
      hotPercent: config.capacity.hotPercent,
      quietMinutes: config.capacity.quietMinutes,
      quietRequestsPerMinute: 500,
      absorbAlarm: 'absorb',
      unknownPeakMaxMinutes: UNKNOWN_PEAK_MAX_MINUTES,
      requestsPerInstance: standby.web.targetRequestsPerInstance,
    };
    const inputs = (absorbingMinutes: number, min: number, acuMin: number) => ({
      absorbing: true,
      recentLocalRequests: 0,
      group: { min, desired: min },
      acu: { min: acuMin, max: config.database.maxCapacityAcu },
      absorbingMinutes,
    });
    const before = decide(scaler, inputs(row.boundMinutes - 1, row.postureInstances, row.postureAcu));
    expect(before.group?.min).toBe(row.maxInstances);
    expect(before.acuMin).toBe(row.maxAcu);
    const after = decide(scaler, inputs(row.boundMinutes, row.maxInstances, row.maxAcu));
    expect(after.group?.min).toBe(row.postureInstances);
    expect(after.acuMin).toBe(row.postureAcu);
  });

  test('a bigger maximum costs more per episode, bounded all the same', () => {
    const big = testConfig((raw) => {
      raw.regions[1].web = { ...(raw.regions[1].web ?? {}), maxCapacity: 24 };
    });
    const r = stalePeakRow(big, big.regions[1].name);
    expect(r.maxInstances).toBe(24);
    expect(r.extraUsdPerEpisode).toBeCloseTo(((r.maxUsdPerHour - r.postureUsdPerHour) * 30) / 60, 1);
    expect(r.extraUsdPerEpisode).toBeGreaterThan(row.extraUsdPerEpisode);
  });
});
