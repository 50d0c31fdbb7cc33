import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { deployOrderProblems, StackInput, usedNames } from './support/cross-stack-names';
import { configWithRegions, synth } from './support/synth';
import { shortOrLong } from './support/long';

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

  test('a foundation and a regional stack per region plus the edge stack, each in its own environment', () => {
    expect(shop.stacks.map((s) => [s.stackName, s.region, s.account])).toEqual([
      ['resilient-shop-ap-northeast-2-foundation', 'ap-northeast-2', config.account],
      ['resilient-shop-ap-northeast-1-foundation', 'ap-northeast-1', config.account],
      ['resilient-shop-ap-northeast-2', 'ap-northeast-2', config.account],
      ['resilient-shop-ap-northeast-1', 'ap-northeast-1', config.account],
      ['resilient-shop-edge', 'us-east-1', config.account],
    ]);
    for (const s of shop.stacks) expect(s.terminationProtection).toBe(true);
  });

  test('deployment order comes from stack dependencies: foundations, primary, standbys, then edge', () => {
    const deps = (name: string) =>
      shop.stacks.find((s) => s.stackName === name)!.dependencies.map((d) => d.stackName);
    const foundations = config.regions.map((r) => names.foundationStack(r.name));
    for (const f of foundations) expect(deps(f)).toEqual([]);
    expect(deps(names.regionalStack('ap-northeast-2')).sort()).toEqual([...foundations].sort());
    expect(deps(names.regionalStack('ap-northeast-1')).sort()).toEqual(
      [...foundations, names.regionalStack('ap-northeast-2')].sort(),
    );
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

  describe('deploy order of names used across stacks (#12 defect 1)', () => {
    const inputs = (r: { shop: typeof shop; templates: typeof templates }): StackInput[] =>
      r.shop.stacks.map((s) => ({
        name: s.stackName,
        region: s.region,
        account: s.account,
        template: r.templates[s.stackName].toJSON(),
        dependsOn: s.dependencies.map((d) => d.stackName),
      }));

    test('every name one stack uses (replica keys, vaults, alarms, records, the global cluster) exists before it deploys', () => {
      expect(deployOrderProblems(inputs({ shop, templates }))).toEqual([]);
    });

    test('the walker sees the cross-region names that matter', () => {
      const used = usedNames(inputs({ shop, templates }));
      expect(used).toEqual(
        expect.arrayContaining([
          `kms-alias|ap-northeast-1|${names.replicaKeyAlias()}`,
          `backup-vault|ap-northeast-1|${names.backupVault('ap-northeast-1')}`,
          `alarm|ap-northeast-2|${names.switchAlarm('ap-northeast-1')}`,
          `record|global|${names.regionRecord('ap-northeast-2')}`,
          `global-cluster|global|${names.globalClusterId()}`,
        ]),
      );
    });

    test('it catches a replica encrypted by a key that a later stack creates (cloudformation-coverage-roadmap#1459)', () => {
      const stacks = inputs({ shop, templates });
      // The shape of the defect: the replica names the standby regional stack's data key.
      const primary = stacks.find((s) => s.name === names.regionalStack('ap-northeast-2'))!;
      const secret = Object.values<any>(primary.template.Resources).find(
        (r) => r.Type === 'AWS::SecretsManager::Secret',
      );
      const broken = JSON.parse(JSON.stringify(stacks)) as StackInput[];
      const brokenSecret = Object.values<any>(
        broken.find((s) => s.name === primary.name)!.template.Resources,
      ).find((r) => r.Type === 'AWS::SecretsManager::Secret');
      brokenSecret.Properties.ReplicaRegions[0].KmsKeyId = JSON.parse(
        JSON.stringify(secret.Properties.ReplicaRegions[0].KmsKeyId).replace(
          names.replicaKeyAlias().replace(/^alias\//, ''),
          `${config.appName}-data`,
        ),
      );
      expect(deployOrderProblems(broken)).toEqual([
        expect.objectContaining({
          stack: primary.name,
          uses: `kms-alias|ap-northeast-1|alias/${config.appName}-data`,
          problem: expect.stringContaining(`created by ${names.regionalStack('ap-northeast-1')}/`),
        }),
      ]);
    });
  });

  describe('canary consensus survives the loss of any one region (#12 defect 8)', () => {
    const namespace = names.canaryNamespace();
    /** Alarms of a stack by logical id, with the Vantage their metric reads (if any). */
    const alarmsOf = (json: any) =>
      Object.fromEntries(
        Object.entries<any>(json.Resources)
          .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
          .map(([id, r]) => [
            id,
            {
              props: r.Properties,
              vantage:
                r.Properties.Namespace === namespace
                  ? r.Properties.Dimensions?.find((d: any) => d.Name === 'Vantage')?.Value
                  : undefined,
            },
          ]),
      );
    /** Can the composite rule be true when only `live` child alarms can be in ALARM? */
    const satisfiable = (rule: any, live: Set<string>): boolean => {
      const text =
        typeof rule === 'string'
          ? rule
          : rule['Fn::Join'][1]
              .map((p: any) => (typeof p === 'string' ? p : `@${p['Fn::GetAtt'][0]}@`))
              .join('');
      const expr = text
        .replace(/ALARM\("@([^@]+)@"\)/g, (_m: string, id: string) => String(live.has(id)))
        .replace(/\bAND\b/g, '&&')
        .replace(/\bOR\b/g, '||');
      expect(expr).toMatch(/^[truefals&|() ]+$/);
      return Function(`return ${expr};`)() as boolean;
    };
    const vantages = names.canaryVantages();

    test.each(vantages.map((v) => [v]))(
      'with %s gone, every canary target can still page from two live vantage points',
      (dead) => {
        for (const target of names.canaryTargets()) {
          const paging = shop.stacks
            .filter((s) => s.region !== dead)
            .flatMap((s) => {
              const json = templates[s.stackName].toJSON();
              const alarms = alarmsOf(json);
              const live = new Set(
                Object.keys(alarms).filter((id) => alarms[id].vantage && alarms[id].vantage !== dead),
              );
              return Object.values<any>(json.Resources).filter(
                (r) =>
                  r.Type === 'AWS::CloudWatch::CompositeAlarm' &&
                  r.Properties.AlarmName === names.canaryConsensusAlarm(target) &&
                  (r.Properties.AlarmActions ?? []).length > 0 &&
                  satisfiable(r.Properties.AlarmRule, live),
              );
            });
          expect([target, paging.length > 0]).toEqual([target, true]);
        }
      },
    );

    test.each(vantages.map((v) => [v]))(
      'with %s gone, a live region pages that its canary went silent',
      (dead) => {
        const pages = shop.stacks
          .filter((s) => s.region !== dead)
          .flatMap((s) => Object.values(alarmsOf(templates[s.stackName].toJSON())))
          .filter(
            (a: any) =>
              a.vantage === dead &&
              a.props.TreatMissingData === 'breaching' &&
              a.props.ComparisonOperator === 'LessThanThreshold' &&
              (a.props.AlarmActions ?? []).length > 0,
          );
        expect(pages.length).toBeGreaterThan(0);
      },
    );
  });

  test("every encrypted topic's key lets every service that publishes to it (alarms, Auto Scaling notifications)", () => {
    const missing: string[] = [];
    for (const [stack, t] of Object.entries(templates)) {
      const r = t.toJSON().Resources;
      for (const [topicId, topic] of Object.entries<any>(r)) {
        if (topic.Type !== 'AWS::SNS::Topic' || !topic.Properties.KmsMasterKeyId) continue;
        const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
        const statements: any[] = r[keyId].Properties.KeyPolicy.Statement;
        const mentions = (x: any) => JSON.stringify(x).includes(`"Ref":"${topicId}"`);
        const publishers = new Set<string>();
        for (const res of Object.values<any>(r)) {
          if (res.Type === 'AWS::CloudWatch::Alarm' || res.Type === 'AWS::CloudWatch::CompositeAlarm') {
            if (mentions([res.Properties.AlarmActions, res.Properties.OKActions]))
              publishers.add('cloudwatch.amazonaws.com');
          }
          if (
            res.Type === 'AWS::AutoScaling::AutoScalingGroup' &&
            mentions(res.Properties.NotificationConfigurations)
          ) {
            publishers.add('AWSServiceRoleForAutoScaling');
          }
        }
        for (const p of publishers) {
          const allowed = statements.some(
            (s) =>
              s.Effect === 'Allow' &&
              [].concat(s.Action).some((a: string) => /^kms:GenerateDataKey/.test(a)) &&
              JSON.stringify([s.Principal, s.Condition ?? {}]).includes(p),
          );
          if (!allowed) missing.push(`${stack}/${topicId} <- ${p}`);
        }
      }
    }
    expect(missing).toEqual([]);
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
    // 52 KiB since the canary signs its test requests and reads each shop's payment verdict
    // (48,768 bytes before, 51,401 after: esbuild as in bench/canary.ts).
    expect(Buffer.byteLength(canary!)).toBeLessThanOrEqual(52 * 1024);
  });

  test.each(Object.keys(templates))('%s matches its snapshot (asset hashes normalised)', (name) => {
    expect(templates[name].toJSON()).toMatchSnapshot();
  });

  // Three regions in every run; five (about 2.5 s of synth) in `npm run test:long`.
  test.each(shortOrLong([3], [3, 5]))(
    '%i regions: a stack each, standbys after the primary, edge last, one chain link each',
    (n) => {
      const c = configWithRegions(n);
      const r = synth(c);
      expect(r.shop.regional).toHaveLength(n);
      expect(r.shop.foundations).toHaveLength(n);
      expect(r.shop.edge.dependencies).toHaveLength(n);
      for (const standby of r.shop.regional.slice(1)) {
        expect(standby.dependencies.map((d) => d.stackName)).toContain(r.shop.regional[0].stackName);
      }
      expect(
        deployOrderProblems(
          r.shop.stacks.map((s) => ({
            name: s.stackName,
            region: s.region,
            account: s.account,
            template: r.templates[s.stackName].toJSON(),
            dependsOn: s.dependencies.map((d) => d.stackName),
          })),
        ),
      ).toEqual([]);
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
