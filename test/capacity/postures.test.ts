import { loadConfig } from '../../lib/config/load';
import { postureRows, renderPostures } from '../../lib/report/postures';
import { testConfig } from '../support/config';

test('the posture table of the default config, every posture compared (pinned)', () => {
  const table = renderPostures(loadConfig('default'), true)
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
