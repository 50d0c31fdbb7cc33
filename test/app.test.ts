import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { configWithRegions, synth } from './support/synth';

const AWS_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
];

describe('app', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    // Synth must not need credentials: run it with none in the environment.
    for (const k of AWS_ENV) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
    process.env.AWS_CONFIG_FILE = '/nonexistent';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent';
  });
  afterAll(() => {
    for (const k of AWS_ENV) if (saved[k] !== undefined) process.env[k] = saved[k];
    delete process.env.AWS_CONFIG_FILE;
    delete process.env.AWS_SHARED_CREDENTIALS_FILE;
  });

  const config = loadConfig('default');
  const names = new Names(config);
  const contextFile = path.join(__dirname, '..', 'cdk.context.json');
  const contextBefore = fs.readFileSync(contextFile, 'utf8');
  // Bundled for real here (the other template tests skip bundling for speed).
  const { shop, templates, outdir } = synth(config, { bundle: true });

  test('one stack per region plus the edge stack, each in its own environment', () => {
    expect(shop.stacks.map((s) => [s.stackName, s.region, s.account])).toEqual([
      ['resilient-shop-ap-northeast-2', 'ap-northeast-2', config.account],
      ['resilient-shop-ap-northeast-1', 'ap-northeast-1', config.account],
      ['resilient-shop-edge', 'us-east-1', config.account],
    ]);
    for (const s of shop.stacks) expect(s.terminationProtection).toBe(true);
  });

  test('deployment order comes from stack dependencies: primary, standbys, then edge', () => {
    const deps = (name: string) =>
      shop.stacks.find((s) => s.stackName === name)!.dependencies.map((d) => d.stackName);
    expect(deps(names.regionalStack('ap-northeast-2'))).toEqual([]);
    expect(deps(names.regionalStack('ap-northeast-1'))).toEqual([names.regionalStack('ap-northeast-2')]);
    expect(deps(names.edgeStack()).sort()).toEqual(
      config.regions.map((r) => names.regionalStack(r.name)).sort(),
    );
  });

  test('no stack references another: no exports, imports or cross-region reference machinery', () => {
    for (const [name, t] of Object.entries(templates)) {
      const text = JSON.stringify(t.toJSON());
      expect([name, text.includes('Fn::ImportValue')]).toEqual([name, false]);
      expect([name, text.includes('ExportsWriter') || text.includes('ExportsReader')]).toEqual([name, false]);
      expect([name, Object.keys(t.toJSON().Outputs ?? {}).some((k) => t.toJSON().Outputs[k].Export)]).toEqual(
        [name, false],
      );
    }
  });

  test('synth performs no lookup: nothing missing from the assembly and cdk.context.json unchanged', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.missing).toBeUndefined();
    expect(fs.readFileSync(contextFile, 'utf8')).toBe(contextBefore);
    expect(JSON.parse(contextBefore)).toEqual({});
  });

  test('resources use the partition pseudo-parameter, never a literal "arn:aws:"', () => {
    // (The Mappings section holds CDK's own per-partition table of the rotation application.)
    for (const t of Object.values(templates)) {
      expect(JSON.stringify(t.toJSON().Resources)).not.toMatch(/arn:aws:/);
    }
  });

  test('assets are bundled in-process by esbuild: the shop into one file, each handler into index.js', () => {
    const assets = fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'));
    const files = assets.flatMap((a) =>
      fs.statSync(path.join(outdir, a)).isDirectory()
        ? fs.readdirSync(path.join(outdir, a)).map((f) => `${a}/${f}`)
        : [],
    );
    const shopBundle = files.find((f) => f.endsWith('/shop.js'))!;
    expect(shopBundle).toBeDefined();
    const shopCode = fs.readFileSync(path.join(outdir, shopBundle), 'utf8');
    expect(shopCode).toContain('shop-healthy-7f3a');
    const handlers = files
      .filter((f) => f.endsWith('/index.js'))
      .map((f) => fs.readFileSync(path.join(outdir, f), 'utf8'));
    const canary = handlers.find((h) => h.includes('TargetFailed'));
    const publisher = handlers.find((h) => h.includes('GetParametersByPathCommand'));
    expect(canary).toBeDefined();
    expect(publisher).toBeDefined();
    // The AWS SDK comes from the Lambda runtime; Powertools is bundled.
    expect(canary!).toMatch(/require\("@aws-sdk\/client-cloudwatch"\)/);
    expect(Buffer.byteLength(canary!)).toBeLessThanOrEqual(48 * 1024);
  });

  test.each(Object.keys(templates))('%s matches its snapshot (asset hashes normalised)', (name) => {
    expect(templates[name].toJSON()).toMatchSnapshot();
  });

  test.each([3, 5])(
    '%i regions: a stack each, standbys after the primary, edge last, one chain link each',
    (n) => {
      const c = configWithRegions(n);
      const r = synth(c);
      expect(r.shop.regional).toHaveLength(n);
      expect(r.shop.edge.dependencies).toHaveLength(n);
      for (const standby of r.shop.regional.slice(1)) {
        expect(standby.dependencies.map((d) => d.stackName)).toEqual([r.shop.regional[0].stackName]);
      }
      const records = Object.values<any>(r.templates[new Names(c).edgeStack()].toJSON().Resources)
        .filter((x) => x.Type === 'AWS::Route53::RecordSet' && x.Properties.Failover)
        .map((x) => x.Properties);
      expect(records).toHaveLength(2 * n);
      expect(records.filter((x) => x.Failover === 'SECONDARY').map((x) => x.SetIdentifier)).toEqual([
        ...c.regions.slice(1).map((x) => `then-${x.name}`),
        'outage-page',
      ]);
      // Every region holds the switches of all the others.
      for (const region of c.regions) {
        expect(new Names(c).switchesHeldBy(region.name)).toHaveLength(n - 1);
      }
    },
  );
});
