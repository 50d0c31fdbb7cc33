import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../lib/config/load';
import { testConfig } from './support/synth';

function errorOf(mutate: (raw: Record<string, any>) => void): ConfigError {
  try {
    testConfig(mutate);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('config was accepted');
}

describe('config', () => {
  test('the default config validates into typed values, primary first', () => {
    const c = loadConfig('default');
    expect(c.primaryRegion).toBe('ap-northeast-2');
    expect(c.regions.map((r) => [r.name, r.role, r.index])).toEqual([
      ['ap-northeast-2', 'primary', 0],
      ['ap-northeast-1', 'standby', 1],
    ]);
    // Per-region overrides merge over the shared settings.
    expect(c.regions[1].web.minCapacity).toBe(1);
    expect(c.regions[1].web.maxCapacity).toBe(c.web.maxCapacity);
    expect(c.regions[0].network.cidr).not.toBe(c.regions[1].network.cidr);
    expect(c.promotions[0].regions).toEqual(['ap-northeast-2', 'ap-northeast-1']);
    expect(c.healthCheck.checkerRegions.length).toBeGreaterThanOrEqual(3);
  });

  test.each<[string, (raw: Record<string, any>) => void, string]>([
    [
      'a duplicate region',
      (r) =>
        (r.regions = [
          { name: 'ap-northeast-2' },
          { name: 'ap-northeast-2', network: { cidr: '10.30.0.0/16' } },
        ]),
      'regions[1].name = "ap-northeast-2": duplicates regions[0]. Fix: list each region once',
    ],
    [
      'fewer than 2 regions',
      (r) => (r.regions = [{ name: 'ap-northeast-2' }]),
      'regions = ["ap-northeast-2"]: needs at least 2 regions (the first is the primary). Fix: add a standby',
    ],
    [
      'an unknown region',
      (r) => (r.regions[1].name = 'ap-northeast-9'),
      'regions[1].name = "ap-northeast-9": is not a known AWS region. Fix: use one of af-south-1, ',
    ],
    [
      'min > max',
      (r) => (r.web.minCapacity = 20),
      'web.minCapacity = 20: is greater than maxCapacity (12) in region ap-northeast-2. Fix: raise maxCapacity or lower minCapacity',
    ],
    [
      'min > max in a region override',
      (r) => (r.regions[1].web = { minCapacity: 5, maxCapacity: 3 }),
      'regions[1].web.minCapacity = 5: is greater than maxCapacity (3) in region ap-northeast-1',
    ],
    [
      'a malformed domain',
      (r) => (r.domainName = 'Shop_Example'),
      'domainName = "Shop_Example": must be a lower-case DNS name such as "shop.example.com". Fix: correct the value',
    ],
    [
      'a malformed hosted zone id',
      (r) => (r.hostedZone.id = 'zone-123'),
      'hostedZone.id = "zone-123": must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"',
    ],
    [
      'a domain outside the zone',
      (r) => (r.domainName = 'shop.example.org'),
      'domainName = "shop.example.org": is not inside hostedZone.name (example.com)',
    ],
    [
      'a promotion ending before it starts',
      (r) => (r.promotions[0].end = '2026-12-05T09:00:00Z'),
      'promotions[0].end = "2026-12-05T09:00:00Z": is not after start (2026-12-05T10:30:00Z). Fix: end the promotion after it starts',
    ],
    [
      'a promotion time that is not ISO 8601',
      (r) => (r.promotions[0].start = 'next friday'),
      'promotions[0].start = "next friday": must be an ISO 8601 UTC time such as "2026-12-01T10:00:00Z"',
    ],
    [
      'a promotion above maxCapacity',
      (r) => (r.promotions[0].minCapacity = 50),
      'promotions[0].minCapacity = 50: is greater than maxCapacity (12) in region ap-northeast-2',
    ],
    [
      'a promotion in a region that is not configured',
      (r) => (r.promotions[0].regions = ['eu-west-1']),
      'promotions[0].regions[0] = "eu-west-1": is not one of the configured regions',
    ],
    [
      'an unknown key',
      (r) => (r.web.instanceTyp = 't4g.small'),
      'web.instanceTyp = (missing): unknown key. Fix: remove it or check the spelling',
    ],
    ['a missing key', (r) => delete r.account, 'account = (missing): is required'],
    ['a bad account id', (r) => (r.account = '1234'), 'account = "1234": must be a 12-digit AWS account id'],
    [
      'more NAT gateways than AZs',
      (r) => (r.network.natGateways = 3),
      'network.natGateways = 3: exceeds azCount (2) in region ap-northeast-2. Fix: use 1 (cost) or 2 (one per AZ)',
    ],
    [
      'two regions with one CIDR',
      (r) => (r.regions[1].network.cidr = '10.20.0.0/16'),
      'regions[1].network.cidr = "10.20.0.0/16": is also used by regions[0]',
    ],
    [
      'a health check interval Route 53 does not offer',
      (r) => (r.healthCheck.intervalSeconds = 15),
      'healthCheck.intervalSeconds = 15:',
    ],
    [
      'M greater than N for canary alarms',
      (r) => (r.canary.failuresToAlarm = 6),
      'canary.failuresToAlarm = 6: cannot exceed canary.evaluationPeriods (5)',
    ],
  ])('rejects %s with the key, the value and the fix', (_name, mutate, expected) => {
    const error = errorOf(mutate);
    expect(error.message).toContain(expected);
    expect(error.message.startsWith('Invalid config test:')).toBe(true);
  });

  test('lists every problem at once', () => {
    const error = errorOf((r) => {
      r.regions[1].name = 'mars-1';
      r.web.minCapacity = 99;
    });
    expect(error.problems.map((p) => p.key)).toEqual(
      expect.arrayContaining(['regions[1].name', 'web.minCapacity']),
    );
  });

  test('a missing config file names the available ones', () => {
    expect(() => loadConfig('nope')).toThrow(/config = "nope": no such file\. Fix: pass one of default/);
  });

  test('a config file that is not JSON says so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "appName": ');
    expect(() => loadConfig('broken', dir)).toThrow(/\(file\) = \(missing\): is not valid JSON/);
  });

  test('a config name with a path in it is refused', () => {
    expect(() => loadConfig('../etc/passwd')).toThrow(/config names use letters, digits/);
  });
});

describe('cdk app entry point', () => {
  test('a bad config stops synth with the key, the value and the fix, and exit code 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'default.json'), 'utf8'));
    raw.regions[1].name = 'ap-northeast-9';
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(raw));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', 'bin', 'resilient-shop.ts')],
      {
        env: {
          ...process.env,
          CDK_OUTDIR: fs.mkdtempSync(path.join(os.tmpdir(), 'out-')),
          CDK_CONTEXT_JSON: JSON.stringify({ config: 'bad', configDir: dir }),
        },
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid config "bad"');
    expect(r.stderr).toContain(
      'regions[1].name = "ap-northeast-9": is not a known AWS region. Fix: use one of',
    );
    // One clear message, no stack trace.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
