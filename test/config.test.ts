import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../lib/config/load';
import { configNotices } from '../lib/config/notices';
import { worstCaseFailoverSeconds } from '../lib/report/failover-time';
import { examplePromotions, testConfig } from './support/config';

function errorOf(mutate: (raw: Record<string, any>) => void): ConfigError {
  try {
    testConfig(mutate);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('config was accepted');
}

describe('config: every message names a concrete fix', () => {
  test.each<[string, (raw: Record<string, any>) => void]>([
    ['a short phone number', (r) => (r.contacts.phone = '1')],
    ['too many zones', (r) => (r.network.azCount = 5)],
    ['a number in quotes', (r) => (r.network.azCount = '2')],
    ['an unknown posture', (r) => (r.regions[1].posture = 'cold')],
    ['a bad e-mail', (r) => (r.alarmEmails = ['x'])],
    ['no e-mail', (r) => (r.alarmEmails = [])],
    [
      'a promotion starting "tomorrow"',
      (r) => (r.promotions = [{ ...examplePromotions()[0], start: 'tomorrow' }]),
    ],
    ['a database name in capitals', (r) => (r.database.databaseName = 'Shop')],
    ['a CIDR outside 10/8', (r) => (r.network.cidr = '192.168.0.0/16')],
    [
      'an unknown checker region',
      (r) => (r.healthCheck.checkerRegions = ['us-east-1', 'mars-1', 'eu-west-1']),
    ],
    ['flow logs kept a month', (r) => (r.network.flowLogRetentionDays = 30)],
    ['too many ACUs', (r) => (r.database.maxCapacityAcu = 300)],
    ['a short app name', (r) => (r.appName = 'RS')],
    ['a short account id', (r) => (r.account = '123')],
    ['"yes" for a boolean', (r) => (r.includeWww = 'yes')],
    ['one region as a string', (r) => (r.regions = 'ap-northeast-2')],
    ['contacts null', (r) => (r.contacts = null)],
    [
      'a promotion name with spaces',
      (r) => (r.promotions = [{ ...examplePromotions()[0], name: 'Winter sale' }]),
    ],
    ['a zone id with its prefix', (r) => (r.hostedZone.id = '/hostedzone/Z0123456789ABCDEFGHIJ')],
    ['a currency name', (r) => (r.currency = 'EURO')],
    ['phone hours in Japanese', (r) => (r.contacts.phoneHours = { ko: '평일', ja: '平日' })],
  ])('%s', (_name, mutate) => {
    const message = errorOf(mutate).message;
    const problems = message.split('\n').slice(1);
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p).toMatch(/ Fix: \S/);
      expect(p).not.toMatch(/Fix: correct the value/);
    }
  });
});

describe('config', () => {
  test('a standby may run no instance; only the primary must', () => {
    const c = testConfig((r) => (r.regions[1].web = { minCapacity: 0 }));
    expect(c.regions.map((r) => r.web.minCapacity)).toEqual([2, 0]);
  });

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
    // The default config ships no dated promotion, so it never ages (config/examples/promotion.json).
    expect(c.promotions).toEqual([]);
    expect(c.healthCheck.checkerRegions.length).toBeGreaterThanOrEqual(3);
  });

  test('the example promotion (config/examples/promotion.json) validates in the default config, in every region', () => {
    const c = testConfig((r) => (r.promotions = examplePromotions()));
    expect(c.promotions.map((p) => [p.name, p.minCapacity, p.regions])).toEqual([
      ['influencer-launch', 6, ['ap-northeast-2', 'ap-northeast-1']],
    ]);
  });

  test.each(['2026-11-01T00:00:00Z', '2027-12-31T23:00:00Z', '2032-03-01T00:00:00Z'])(
    'the default config has nothing to notify at %s: it ships nothing dated',
    (at) => {
      expect(configNotices(loadConfig('default'), new Date(at))).toEqual([]);
    },
  );

  test('gameDays.lambdaFaultInjection is off unless set, and true turns it on', () => {
    expect(loadConfig('default').gameDays).toEqual({ lambdaFaultInjection: false });
    expect(testConfig((r) => (r.gameDays = {})).gameDays.lambdaFaultInjection).toBe(false);
    expect(
      testConfig((r) => (r.gameDays = { lambdaFaultInjection: true })).gameDays.lambdaFaultInjection,
    ).toBe(true);
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
      'regions[1].name = "ap-northeast-9": is not a known AWS region. Fix: did you mean ap-northeast-1, ap-northeast-2, ap-northeast-3? (every region this project knows: KNOWN_REGIONS in lib/config/schema.ts)',
    ],
    [
      'a mistyped region, which suggests the nearest names and never us-east-1',
      (r) => (r.regions[1].name = 'us-eats-1'),
      'regions[1].name = "us-eats-1": is not a known AWS region. Fix: did you mean us-east-2, us-west-1, ',
    ],
    [
      'a primary that runs no instance',
      (r) => (r.web.minCapacity = 0),
      'web.minCapacity = 0: is 0 in the primary region ap-northeast-2: the primary would run no instance, so its health check fails and customers are sent to a read-only standby or the outage page, and nothing in the primary scales up by itself. Fix: set minCapacity to 1 or more for ap-northeast-2 (a standby may run none as "posture": "pilot-light")',
    ],
    [
      "a primary that runs no instance through its region's override",
      (r) => (r.regions[0].web = { minCapacity: 0 }),
      'regions[0].web.minCapacity = 0: is 0 in the primary region ap-northeast-2',
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
      'gameDays.lambdaFaultInjection as a string',
      (r) => (r.gameDays = { lambdaFaultInjection: 'yes' }),
      'gameDays.lambdaFaultInjection = "yes": must be true or false (JSON booleans, without quotes). Fix: write true to add the FIS Lambda extension and the Lambda fault experiments, false (the default) to leave the functions as they are',
    ],
    [
      'a misspelt gameDays key',
      (r) => (r.gameDays = { lambdaFaultInjecton: true }),
      'gameDays.lambdaFaultInjecton = true: unknown key. Did you mean "lambdaFaultInjecton" → "lambdaFaultInjection"? Fix: correct the spelling; the keys allowed here are lambdaFaultInjection',
    ],
    [
      'a malformed domain',
      (r) => (r.domainName = 'Shop_Example'),
      'domainName = "Shop_Example": must be a lower-case DNS name such as "shop.example.com". Fix: write it like "shop.example.com"',
    ],
    [
      'a malformed hosted zone id',
      (r) => (r.hostedZone.id = 'zone-123'),
      'hostedZone.id = "zone-123": must be a Route 53 hosted zone id: "Z" and 4 to 31 capital letters or digits. Fix: copy the zone\'s "Hosted zone ID" from the Route 53 console (e.g. "Z0123456789ABCDEFGHIJ", without "/hostedzone/")',
    ],
    [
      'a hosted zone id as the console and the CLI print it',
      (r) => (r.hostedZone.id = '/hostedzone/Z0123456789ABCDEFGHIJ'),
      'hostedZone.id = "/hostedzone/Z0123456789ABCDEFGHIJ": has the "/hostedzone/" prefix that the console and the AWS CLI print. Fix: use the bare id "Z0123456789ABCDEFGHIJ"',
    ],
    [
      'a hosted zone id in lower case',
      (r) => (r.hostedZone.id = 'z0123456789abcdefghij'),
      'hostedZone.id = "z0123456789abcdefghij": must be upper case. Fix: use "Z0123456789ABCDEFGHIJ"',
    ],
    [
      'a domain outside the zone',
      (r) => (r.domainName = 'shop.example.org'),
      'domainName = "shop.example.org": is not inside hostedZone.name (example.com)',
    ],
    [
      'a promotion ending before it starts',
      (r) => (r.promotions = examplePromotions().map((p) => ({ ...p, end: '2027-05-05T09:00:00Z' }))),
      'promotions[0].end = "2027-05-05T09:00:00Z": is not after start (2027-05-05T10:30:00Z). Fix: end the promotion after it starts',
    ],
    [
      'a promotion time that is not ISO 8601',
      (r) => (r.promotions = examplePromotions().map((p) => ({ ...p, start: 'next friday' }))),
      'promotions[0].start = "next friday": must be an ISO 8601 UTC time such as "2026-12-01T10:00:00Z"',
    ],
    [
      'a promotion above maxCapacity',
      (r) => (r.promotions = examplePromotions().map((p) => ({ ...p, minCapacity: 50 }))),
      'promotions[0].minCapacity = 50: is greater than maxCapacity (12) in region ap-northeast-2',
    ],
    [
      'a promotion in a region that is not configured',
      (r) => (r.promotions = examplePromotions().map((p) => ({ ...p, regions: ['eu-west-1'] }))),
      'promotions[0].regions[0] = "eu-west-1": is not one of the configured regions',
    ],
    [
      'an unknown key',
      (r) => (r.web.instanceTyp = 't4g.small'),
      'web.instanceTyp = "t4g.small": unknown key. Did you mean "instanceTyp" → "instanceType"? Fix: correct the spelling; the keys allowed here are instanceType, minCapacity,',
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
      (r) => (r.healthCheck.intervalSeconds = 20),
      'healthCheck.intervalSeconds = 20: must be 10 or 30: the only request intervals Route 53 offers',
    ],
    [
      'us-east-1 as the primary region',
      (r) => (r.regions[0].name = 'us-east-1'),
      `regions[0].name = "us-east-1": is the edge stack's region (CloudFront certificate and WAF, Route 53 health checks and their alarms); a regional stack there would create the same alarm topic (resilient-shop-alarms) as the edge stack, and the second deploy would fail. Fix: run the shop in another region, e.g. us-east-2`,
    ],
    [
      'us-east-1 as a standby region',
      (r) => (r.regions[1].name = 'us-east-1'),
      `regions[1].name = "us-east-1": is the edge stack's region`,
    ],
    [
      'a warm pool larger than the group can grow',
      (r) => (r.web.warmPoolMinSize = 13),
      "web.warmPoolMinSize = 13: is greater than maxCapacity (12) in region ap-northeast-2: EC2 Auto Scaling sizes the warm pool from the group's maximum, so it could never hold that many. Fix: lower warmPoolMinSize to 12 or less, or raise maxCapacity",
    ],
    [
      'a warm pool larger than a region override allows',
      (r) => (r.regions[1].web = { maxCapacity: 1, minCapacity: 1 }),
      'web.warmPoolMinSize = 2: is greater than maxCapacity (1) in region ap-northeast-1',
    ],
    [
      'an Aurora version that does not exist',
      (r) => (r.database.engineVersion = '16.99'),
      'database.engineVersion = "16.99": is not an Aurora PostgreSQL version that supports both Global Database and Serverless v2 (list as of 2026-11-26 in lib/config/aurora-versions.ts). Fix: use 16.13, 16.11, 16.10',
    ],
    [
      'an Aurora version too old for Serverless v2',
      (r) => (r.database.engineVersion = '9.6'),
      'database.engineVersion = "9.6": is not an Aurora PostgreSQL version that supports both Global Database and Serverless v2 (list as of 2026-11-26 in lib/config/aurora-versions.ts). Fix: use 13.9, 13.16, 13.23',
    ],
    [
      'an instance family that does not exist',
      (r) => (r.web.instanceType = 't9z.huge'),
      'web.instanceType = "t9z.huge": "t9z" is not an EC2 instance family (families and sizes: lib/config/instance-types.ts). Fix: use a real type, e.g. ',
    ],
    [
      'an instance size that does not exist',
      (r) => (r.regions[1].web.instanceType = 't4g.smal'),
      'regions[1].web.instanceType = "t4g.smal": "smal" is not an EC2 instance size (families and sizes: lib/config/instance-types.ts). Fix: use a real type, e.g. t4g.small',
    ],
    [
      'a budget the health checks cannot meet (10 s × 3)',
      (r) => (r.failoverBudgetSeconds = 60),
      'failoverBudgetSeconds = 60: is shorter than the worst-case automatic failover the health checks allow: 90 s (healthCheck.intervalSeconds 10 × failureThreshold 3 + 60 s alias TTL). Fix: raise failoverBudgetSeconds to 90',
    ],
    [
      'a budget the health checks cannot meet (30 s × 3)',
      (r) => (r.healthCheck.intervalSeconds = 30),
      'failoverBudgetSeconds = 100: is shorter than the worst-case automatic failover the health checks allow: 150 s (healthCheck.intervalSeconds 30 × failureThreshold 3 + 60 s alias TTL). Fix: raise failoverBudgetSeconds to 150, or lower healthCheck.failureThreshold to 1, or use healthCheck.intervalSeconds 10 (fast checks, billed extra) with failureThreshold 3',
    ],
    [
      'a CIDR octet above 255',
      (r) => (r.regions[0].network.cidr = '10.300.0.0/16'),
      'regions[0].network.cidr = "10.300.0.0/16": has an octet above 255. Fix: use a /16 such as "10.1.0.0/16" (second octet 0-255)',
    ],
    [
      'an ACU value between half steps',
      (r) => (r.database.minCapacityAcu = 0.75),
      'database.minCapacityAcu = 0.75: must be a multiple of 0.5 ACU (Aurora Serverless v2 scales in half ACUs). Fix: e.g. 0.5, 1, 1.5, 2',
    ],
    [
      'an ACU minimum of 0 (auto-pause)',
      (r) => (r.database.minCapacityAcu = 0),
      'database.minCapacityAcu = 0: must be at least 0.5 ACU (0 would let Aurora pause the database). Fix: use 0.5 or more',
    ],
    [
      'a javascript: messenger link',
      (r) => (r.contacts.messengers[0].url = 'javascript:alert(1)'),
      'contacts.messengers[0].url = "javascript:alert(1)": must be an http(s) URL such as "https://pf.kakao.com/_example". Fix: write it like "https://pf.kakao.com/_example"',
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

  test('schema errors and cross-field errors are reported together', () => {
    const error = errorOf((r) => {
      r.healthCheck.intervalSeconds = 20; // schema
      r.web.minCapacity = 99; // cross-field
      r.failoverBudgetSeconds = 60; // cross-field, reported once the interval is valid
    });
    expect(error.problems.map((p) => p.key)).toEqual(['healthCheck.intervalSeconds', 'web.minCapacity']);
    const fixed = errorOf((r) => {
      r.web.minCapacity = 99;
      r.failoverBudgetSeconds = 60;
      r.database.minCapacityAcu = 0.75;
    });
    expect(fixed.problems.map((p) => p.key).sort()).toEqual(
      ['database.minCapacityAcu', 'failoverBudgetSeconds', 'web.minCapacity'].sort(),
    );
  });

  test('a rule on a shared key is reported once, not once per region', () => {
    const error = errorOf((r) => (r.web.warmPoolMinSize = 20));
    expect(error.problems.filter((p) => p.key === 'web.warmPoolMinSize')).toHaveLength(1);
  });

  test('an unknown key far from any known one gets no guess', () => {
    const error = errorOf((r) => (r.database.colour = 'blue'));
    expect(error.message).toContain(
      'database.colour = "blue": unknown key. Fix: remove it; the keys allowed here are engineVersion, minCapacityAcu,',
    );
  });

  test('the health-check budget rule agrees with the report arithmetic for every allowed setting', () => {
    for (const interval of [10, 30]) {
      for (let threshold = 1; threshold <= 10; threshold++) {
        const worst = worstCaseFailoverSeconds(interval, threshold);
        const set = (budget: number) => (r: Record<string, any>) => {
          r.healthCheck = { intervalSeconds: interval, failureThreshold: threshold };
          r.failoverBudgetSeconds = budget;
        };
        expect(() => testConfig(set(worst))).not.toThrow();
        expect(errorOf(set(worst - 1)).message).toContain(`allow: ${worst} s`);
      }
    }
  });

  test('a missing config file names the available ones', () => {
    expect(() => loadConfig('nope')).toThrow(/config = "nope": no such file\. Fix: pass one of default/);
  });

  test('a config file that is not JSON says so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "appName": ');
    expect(() => loadConfig('broken', dir)).toThrow(
      /\(file\) = \(missing\): is not valid JSON at line 1, column 14/,
    );
    fs.writeFileSync(path.join(dir, 'comma.json'), '{\n  "appName": "shop",\n  "account": "1",\n}\n');
    expect(() => loadConfig('comma', dir)).toThrow(/is not valid JSON at line 4, column 1 \(/);
  });

  test('a config name with a path in it is refused', () => {
    expect(() => loadConfig('../etc/passwd')).toThrow(/config names use letters, digits/);
  });
});

describe('notices at synth', () => {
  test('a promotion that has ended or started is named, with what the deploy does about it', () => {
    const config = testConfig((r) => {
      r.promotions = [
        { name: 'summer', start: '2026-07-01T00:00:00Z', end: '2026-07-02T00:00:00Z', minCapacity: 4 },
        { name: 'now', start: '2026-10-31T00:00:00Z', end: '2026-11-02T00:00:00Z', minCapacity: 4 },
        { name: 'later', start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z', minCapacity: 4 },
      ];
    });
    expect(configNotices(config, new Date('2026-11-01T00:00:00Z'))).toEqual([
      'promotions[0] "summer" ended at 2026-07-02T00:00:00.000Z: it is left out of the templates (no scheduled action). Remove it from the config to silence this notice.',
      'promotions[1] "now" started at 2026-10-31T00:00:00.000Z: this deploy cannot raise the minimum to 4 any more (a scheduled action in the past fails the deploy); only the return to normal at 2026-11-02T00:00:00.000Z is scheduled. If the crowd is still coming, raise web.minCapacity for now.',
    ]);
  });
});

/** Runs bin/resilient-shop.ts as `cdk synth` would, on `text` as config "bad", into a fresh outdir. */
function runApp(text: string): { status: number | null; stderr: string; outFiles: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'out-'));
  fs.writeFileSync(path.join(dir, 'bad.json'), text);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', 'bin', 'resilient-shop.ts')],
    {
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ config: 'bad', configDir: dir }),
      },
      encoding: 'utf8',
    },
  );
  return { status: r.status, stderr: r.stderr, outFiles: fs.readdirSync(outdir) };
}

const DEFAULT_RAW = fs.readFileSync(path.join(__dirname, '..', 'config', 'default.json'), 'utf8');

describe('cdk app entry point', () => {
  test('a bad config stops synth with the key, the value and the fix, and exit code 1', () => {
    const raw = JSON.parse(DEFAULT_RAW);
    raw.regions[1].name = 'ap-northeast-9';
    const r = runApp(JSON.stringify(raw));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid config "bad"');
    expect(r.stderr).toContain(
      'regions[1].name = "ap-northeast-9": is not a known AWS region. Fix: did you mean ap-northeast-1, ap-northeast-2, ap-northeast-3?',
    );
    // One clear message, no stack trace.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('values that used to end in aws-cdk-lib or outage-page stack traces are refused together, before any template', () => {
    const raw = JSON.parse(DEFAULT_RAW);
    raw.regions[0].network.cidr = '10.300.0.0/16';
    raw.database.minCapacityAcu = 0.75;
    raw.contacts.messengers[0].url = 'javascript:alert(1)';
    raw.healthCheck.intervalSeconds = 20;
    raw.regions[1].name = 'us-east-1';
    raw.web.warmPoolMinSize = 20;
    raw.web.instanceTyp = 't4g.small';
    const r = runApp(JSON.stringify(raw));
    expect(r.status).toBe(1);
    expect(r.stderr.match(/Invalid config/g)).toHaveLength(1);
    for (const key of [
      'regions[0].network.cidr = "10.300.0.0/16"',
      'database.minCapacityAcu = 0.75',
      'contacts.messengers[0].url = "javascript:alert(1)"',
      'healthCheck.intervalSeconds = 20: must be 10 or 30',
      'regions[1].name = "us-east-1"',
      'web.warmPoolMinSize = 20',
      'Did you mean "instanceTyp" → "instanceType"?',
    ]) {
      expect(r.stderr).toContain(key);
    }
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.outFiles.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  test('a JSON syntax error names the line and column, exit code 1, no template', () => {
    const r = runApp(DEFAULT_RAW.replace('"includeWww": true,', '"includeWww": true,,'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\(file\) = \(missing\): is not valid JSON at line 5, column 22 /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.outFiles.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});
