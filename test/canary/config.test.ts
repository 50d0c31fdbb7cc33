import { CanaryConfigError, parseCanaryConfig } from '../../lambda/canary/config';

const VALID = {
  vantage: 'ap-northeast-2',
  namespace: 'resilient-shop/canary',
  stepTimeoutMs: 5000,
  deadlineMs: 40000,
  verdictRegions: ['ap-northeast-2', 'ap-northeast-1'],
  targets: [
    { id: 'public', kind: 'shop', baseUrl: 'https://shop.example.com', requireWritable: true },
    {
      id: 'ap-northeast-2',
      kind: 'shop',
      baseUrl: 'https://ap-northeast-2.shop.example.com',
      requireWritable: false,
    },
    { id: 'outage', kind: 'outage', baseUrl: 'https://outage.shop.example.com' },
  ],
};

const problems = (input: unknown): string => {
  try {
    parseCanaryConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(CanaryConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
};

describe('CANARY_CONFIG validation', () => {
  test('accepts the config the CDK app writes (as JSON text) and defaults maxRedirects', () => {
    expect(parseCanaryConfig(JSON.stringify(VALID))).toEqual({ ...VALID, maxRedirects: 5 });
  });

  test('strips a trailing slash from base URLs', () => {
    const cfg = parseCanaryConfig({
      ...VALID,
      targets: [{ id: 'o', kind: 'outage', baseUrl: 'https://o.example.com/' }],
    });
    expect(cfg.targets[0].baseUrl).toBe('https://o.example.com');
  });

  test.each([
    ['unset', undefined, 'CANARY_CONFIG is not set'],
    ['not JSON', '{nope', 'not valid JSON'],
    ['not an object', '[]', '(root): must be an object'],
    ['unknown key', { ...VALID, extra: 1 }, 'extra: unknown key'],
    ['bad vantage', { ...VALID, vantage: 'Seoul' }, 'vantage: must be an AWS region code'],
    ['missing namespace', { ...VALID, namespace: undefined }, 'namespace: must be a non-empty string'],
    [
      'deadline over the schedule',
      { ...VALID, deadlineMs: 60000 },
      'deadlineMs: must be an integer between 500 and 55000',
    ],
    [
      'step timeout >= deadline',
      { ...VALID, stepTimeoutMs: 5000, deadlineMs: 5000 },
      'stepTimeoutMs: must be less than deadlineMs',
    ],
    ['fractional timeout', { ...VALID, stepTimeoutMs: 1.5 }, 'stepTimeoutMs: must be an integer'],
    ['no verdict regions', { ...VALID, verdictRegions: [] }, 'verdictRegions: must be a non-empty array'],
    [
      'duplicate verdict region',
      { ...VALID, verdictRegions: ['ap-northeast-1', 'ap-northeast-1'] },
      'verdictRegions[1]: duplicate region',
    ],
    ['no targets', { ...VALID, targets: [] }, 'targets: must be a non-empty array'],
    [
      'bad kind',
      { ...VALID, targets: [{ id: 'x', kind: 'api', baseUrl: 'https://x' }] },
      'targets[0].kind: must be "shop" or "outage"',
    ],
    [
      'bad URL',
      { ...VALID, targets: [{ id: 'x', kind: 'outage', baseUrl: 'ftp://x' }] },
      'targets[0].baseUrl: must be an absolute http(s) URL',
    ],
    [
      'missing requireWritable',
      { ...VALID, targets: [{ id: 'x', kind: 'shop', baseUrl: 'https://x' }] },
      'targets[0].requireWritable: must be a boolean',
    ],
    [
      'requireWritable on outage',
      { ...VALID, targets: [{ id: 'x', kind: 'outage', baseUrl: 'https://x', requireWritable: true }] },
      'targets[0].requireWritable: unknown key',
    ],
    [
      'duplicate id',
      { ...VALID, targets: [VALID.targets[2], VALID.targets[2]] },
      'targets[1].id: duplicate target id outage',
    ],
    [
      'bad id',
      { ...VALID, targets: [{ id: 'a b', kind: 'outage', baseUrl: 'https://x' }] },
      'targets[0].id: must be 1-64 characters',
    ],
  ])('rejects %s, naming the key', (_name, input, message) => {
    const msg = problems(input);
    expect(msg).toMatch(/^Invalid CANARY_CONFIG: /);
    expect(msg).toContain(message);
  });

  test('lists every problem at once', () => {
    const msg = problems({ ...VALID, vantage: 1, deadlineMs: 'soon' });
    expect(msg).toContain('vantage:');
    expect(msg).toContain('deadlineMs:');
  });
});

describe('lambda/canary/index.ts (the deployed entry)', () => {
  const saved = process.env.CANARY_CONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.CANARY_CONFIG;
    else process.env.CANARY_CONFIG = saved;
  });

  test('validates CANARY_CONFIG at cold start and exports a handler', () => {
    process.env.CANARY_CONFIG = JSON.stringify(VALID);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('../../lambda/canary/index') as { handler: unknown };
      expect(typeof mod.handler).toBe('function');
    });
  });

  test('fails the cold start with a message naming the bad key', () => {
    process.env.CANARY_CONFIG = JSON.stringify({ ...VALID, stepTimeoutMs: -1 });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(() => require('../../lambda/canary/index')).toThrow(/stepTimeoutMs: must be an integer/);
    });
  });
});
