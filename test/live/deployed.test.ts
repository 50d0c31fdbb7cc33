import { promises as dns } from 'node:dns';
import { main } from '../../cli/main';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';

/**
 * Checks a deployed stack set with real AWS. Opt-in: set SHOP_LIVE_CONFIG to the config name of a
 * deployment and provide credentials (AWS_PROFILE or keys). Without it the tests are reported as
 * skipped, with the reason printed once.
 */
const configName = process.env.SHOP_LIVE_CONFIG;
const live = configName ? describe : describe.skip;
if (!configName) {
  console.log(
    'test/live: skipped (set SHOP_LIVE_CONFIG=<config> and AWS credentials to check a real deployment)',
  );
}

live('deployed shop (real AWS)', () => {
  const config = loadConfig(configName ?? 'default');
  const names = new Names(config);

  test('every direct name and the outage name resolve', async () => {
    for (const name of [...config.regions.map((r) => names.regionRecord(r.name)), names.outageRecord()]) {
      await expect(dns.resolve4(name)).resolves.not.toHaveLength(0);
    }
  });

  test('shopctl status --json reads every region and the public name is served', async () => {
    const out: string[] = [];
    const code = await main(['-c', configName!, 'status', '--json'], {
      out: (s) => out.push(s),
      err: () => undefined,
    });
    const doc = JSON.parse(out.join('\n'));
    expect(code).not.toBe(3);
    expect(JSON.stringify(doc)).toContain(config.primaryRegion);
  });
});
