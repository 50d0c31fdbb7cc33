import { statusSchema } from '../../lib/contract/status';
import { statusProblem } from '../../lambda/canary/status';
import { VALID_STATUS } from './fakes';

/** The canary's hand-written check must agree with the contract's zod schema. */
const samples: [string, unknown][] = [
  ['valid', VALID_STATUS],
  [
    'calm default',
    {
      severity: 'none',
      message: { ko: '', en: '' },
      updatedAt: '2025-01-01T00:00:00Z',
      nextUpdateAt: null,
      regions: {},
    },
  ],
  ['fractional seconds', { ...VALID_STATUS, updatedAt: '2025-01-01T00:00:00.123456Z' }],
  ['leap day', { ...VALID_STATUS, updatedAt: '2024-02-29T12:00:00Z' }],
  ['not a leap day', { ...VALID_STATUS, updatedAt: '2025-02-29T12:00:00Z' }],
  ['April 31', { ...VALID_STATUS, updatedAt: '2025-04-31T12:00:00Z' }],
  ['month 13', { ...VALID_STATUS, updatedAt: '2025-13-01T12:00:00Z' }],
  ['hour 24', { ...VALID_STATUS, updatedAt: '2025-01-01T24:00:00Z' }],
  ['no seconds', { ...VALID_STATUS, updatedAt: '2025-01-01T12:00Z' }],
  ['offset', { ...VALID_STATUS, updatedAt: '2025-01-01T12:00:00+09:00' }],
  ['no zone', { ...VALID_STATUS, updatedAt: '2025-01-01T12:00:00' }],
  ['date only', { ...VALID_STATUS, updatedAt: '2025-01-01' }],
  ['bad severity', { ...VALID_STATUS, severity: 'critical' }],
  ['missing severity', { ...VALID_STATUS, severity: undefined }],
  ['extra key', { ...VALID_STATUS, extra: true }],
  ['extra message key', { ...VALID_STATUS, message: { ko: 'a', en: 'b', ja: 'c' } }],
  ['missing en', { ...VALID_STATUS, message: { ko: 'a' } }],
  ['message too long', { ...VALID_STATUS, message: { ko: 'a', en: 'x'.repeat(2001) } }],
  ['message at limit', { ...VALID_STATUS, message: { ko: '가'.repeat(2000), en: 'x'.repeat(2000) } }],
  ['message number', { ...VALID_STATUS, message: { ko: 1, en: 'b' } }],
  ['nextUpdateAt missing', { ...VALID_STATUS, nextUpdateAt: undefined }],
  ['nextUpdateAt bad', { ...VALID_STATUS, nextUpdateAt: 'soon' }],
  ['expectedBackAt absent (older shopctl)', { ...VALID_STATUS, expectedBackAt: undefined }],
  ['expectedBackAt', { ...VALID_STATUS, expectedBackAt: '2025-03-01T12:00:00.000Z' }],
  ['expectedBackAt null', { ...VALID_STATUS, expectedBackAt: null }],
  ['expectedBackAt offset', { ...VALID_STATUS, expectedBackAt: '2025-03-01T21:00:00+09:00' }],
  ['expectedBackAt impossible date', { ...VALID_STATUS, expectedBackAt: '2025-02-29T12:00:00Z' }],
  ['bad region state', { ...VALID_STATUS, regions: { 'ap-northeast-2': 'on fire' } }],
  ['regions array', { ...VALID_STATUS, regions: [] }],
  ['regions null', { ...VALID_STATUS, regions: null }],
  ['empty promises', { ...VALID_STATUS, promises: {} }],
  [
    'withheld promises',
    { ...VALID_STATUS, promises: { dataSafe: false, notChargedTwice: false, compensation: false } },
  ],
  ['reworded promise', { ...VALID_STATUS, promises: { notChargedTwice: { ko: '가', en: 'a' } } }],
  ['promise true', { ...VALID_STATUS, promises: { dataSafe: true } }],
  ['promise one language', { ...VALID_STATUS, promises: { dataSafe: { en: 'a' } } }],
  ['promise empty', { ...VALID_STATUS, promises: { dataSafe: { ko: '', en: 'a' } } }],
  ['promise too long', { ...VALID_STATUS, promises: { dataSafe: { ko: '가'.repeat(1001), en: 'a' } } }],
  ['unknown promise', { ...VALID_STATUS, promises: { refund: false } }],
  [
    'compensation',
    {
      ...VALID_STATUS,
      promises: { compensation: { offers: ['coupon', 'points'], details: { ko: '가', en: 'a' } } },
    },
  ],
  [
    'compensation no offers',
    { ...VALID_STATUS, promises: { compensation: { offers: [], details: { ko: '가', en: 'a' } } } },
  ],
  [
    'compensation bad offer',
    { ...VALID_STATUS, promises: { compensation: { offers: ['cash'], details: { ko: '가', en: 'a' } } } },
  ],
  ['compensation true', { ...VALID_STATUS, promises: { compensation: true } }],
  ['compensation no details', { ...VALID_STATUS, promises: { compensation: { offers: ['coupon'] } } }],
  ['promises null', { ...VALID_STATUS, promises: null }],
  ['array', [VALID_STATUS]],
  ['null', null],
  ['string', 'ok'],
];

describe('statusProblem agrees with statusSchema (lib/contract/status.ts)', () => {
  test.each(samples)('%s', (_name, doc) => {
    // JSON round trip: the canary only ever sees parsed JSON (undefined keys disappear).
    const parsed: unknown = JSON.parse(JSON.stringify(doc));
    const zodOk = statusSchema.safeParse(parsed).success;
    expect(statusProblem(parsed) === undefined).toBe(zodOk);
  });

  test('the samples cover both outcomes', () => {
    const oks = samples.map(([, d]) => statusSchema.safeParse(JSON.parse(JSON.stringify(d))).success);
    expect(oks).toContain(true);
    expect(oks).toContain(false);
  });
});
