/**
 * The test configs: the default config (optionally changed), the example promotions and the instant
 * tests judge dates against. Apart from `synth.ts` so that a suite that only needs a config does not
 * load the whole app (every stack, aws-cdk-lib's constructs, cdk-nag) into its module registry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, ShopConfig } from '../../lib/config/load';

/** Promotions are judged against this instant in tests, so templates do not change with the date. */
export const TEST_NOW = new Date('2026-11-01T00:00:00Z');

/** The default config, optionally changed by `mutate` on a deep copy of the raw JSON. */
export function testConfig(mutate?: (raw: Record<string, any>) => void): ShopConfig {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'config', 'default.json'), 'utf8'));
  mutate?.(raw);
  return parseConfig(raw, 'test');
}

/**
 * The promotions of config/examples/promotion.json (the default config ships none, so that it never
 * ages): tests that exercise promotions add these, judged at {@link TEST_NOW}, when they are ahead.
 */
export function examplePromotions(): Record<string, any>[] {
  const file = path.join(__dirname, '..', '..', 'config', 'examples', 'promotion.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).promotions;
}

/** Regions used when a test needs N regions. */
export const REGION_POOL = ['ap-northeast-2', 'ap-northeast-1', 'ap-southeast-1', 'us-west-2', 'eu-west-1'];

/** The default config widened to `n` regions (each with its own CIDR). */
export function configWithRegions(n: number): ShopConfig {
  return testConfig((raw) => {
    raw.regions = REGION_POOL.slice(0, n).map((name, i) => ({
      name,
      network: { cidr: `10.${i + 1}.0.0/16` },
    }));
  });
}
