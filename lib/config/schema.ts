import { z } from 'zod';
import {
  AURORA_POSTGRES_VERSIONS,
  AURORA_POSTGRES_VERSIONS_AS_OF,
  nearestAuroraVersions,
} from './aurora-versions';
import { MANUAL_METHODS, ONLINE_METHODS, PROVIDER_KINDS } from '../contract/payments';
import { NOTIFY_CHANNELS, NOTIFY_KINDS, NOTIFY_NOTICE_KINDS } from '../contract/notify';
import { INSTANCE_FAMILIES, INSTANCE_SIZES } from './instance-types';
import { levenshtein, nearest } from './suggest';

/**
 * AWS commercial regions this project knows. A region outside this list is rejected at synth, so
 * that a typo ("ap-northeast-3x") never reaches CloudFormation as an unresolvable environment.
 */
export const KNOWN_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;

/** Regions from which Route 53 health checkers can probe an endpoint (the API accepts these values). */
export const HEALTH_CHECKER_REGIONS = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
] as const;

const DOMAIN_RE = /^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;
const ZONE_ID_RE = /^Z[A-Z0-9]{4,31}$/;
const ACCOUNT_RE = /^\d{12}$/;
const CIDR16_RE = /^10\.(\d{1,3})\.0\.0\/16$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Where the list of instance types lives, for messages. */
const INSTANCE_TYPES_FILE = 'lib/config/instance-types.ts';

/**
 * An EC2 instance type: a known family, a dot, a known size. A typo names the nearest valid ones.
 */
const instanceType = z.string().superRefine((value, ctx) => {
  const [family = '', size = '', ...rest] = value.split('.');
  const knownFamily = INSTANCE_FAMILIES.includes(family);
  const knownSize = INSTANCE_SIZES.includes(size);
  if (knownFamily && knownSize && rest.length === 0) return;
  const sizeToUse = knownSize ? size : nearest(size || 'small', INSTANCE_SIZES, 1)[0];
  const families = knownFamily ? [family] : nearest(family, INSTANCE_FAMILIES, 3);
  const what = !knownFamily
    ? `"${family}" is not an EC2 instance family`
    : `"${size}" is not an EC2 instance size`;
  ctx.addIssue({
    code: 'custom',
    message: `${what} (families and sizes: ${INSTANCE_TYPES_FILE}). Fix: use a real type, e.g. ${families.map((f) => `${f}.${sizeToUse}`).join(', ')}`,
  });
});

/**
 * A Route 53 hosted zone id. The console and the AWS CLI print it as "/hostedzone/Z…" (the
 * HostedZone.Id field of the API), which CloudFormation's HostedZoneId does not take: say so.
 */
const hostedZoneId = z.string().superRefine((value, ctx) => {
  if (ZONE_ID_RE.test(value)) return;
  const bare = value.replace(/^\/?hostedzone\//i, '').trim();
  const fix =
    bare !== value && ZONE_ID_RE.test(bare.toUpperCase())
      ? `has the "/hostedzone/" prefix that the console and the AWS CLI print. Fix: use the bare id "${bare.toUpperCase()}"`
      : ZONE_ID_RE.test(bare.toUpperCase())
        ? `must be upper case. Fix: use "${bare.toUpperCase()}"`
        : 'must be a Route 53 hosted zone id: "Z" and 4 to 31 capital letters or digits. Fix: copy the zone\'s "Hosted zone ID" from the Route 53 console (e.g. "Z0123456789ABCDEFGHIJ", without "/hostedzone/")';
  ctx.addIssue({ code: 'custom', message: fix });
});

/** A VPC CIDR: a /16 in 10.0.0.0/8 whose second octet is a real octet (0-255). */
const cidr16 = z
  .string()
  .regex(CIDR16_RE, 'must be a /16 inside 10.0.0.0/8, e.g. "10.1.0.0/16"')
  .refine((v) => Number(CIDR16_RE.exec(v)?.[1] ?? 0) <= 255, {
    message: 'has an octet above 255. Fix: use a /16 such as "10.1.0.0/16" (second octet 0-255)',
  });

/**
 * Aurora Serverless v2 capacity: 0.5 to 256 ACUs in steps of 0.5. 0 (auto-pause) is not accepted:
 * a paused writer takes seconds to resume, which the shop's health check and a global database's
 * replication should never wait for.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html
 */
const acu = z
  .number()
  .min(0.5, 'must be at least 0.5 ACU (0 would let Aurora pause the database). Fix: use 0.5 or more')
  .max(256, 'must be at most 256 ACU, the Aurora Serverless v2 maximum')
  .multipleOf(
    0.5,
    'must be a multiple of 0.5 ACU (Aurora Serverless v2 scales in half ACUs). Fix: e.g. 0.5, 1, 1.5, 2',
  );

/** An Aurora PostgreSQL version this app can deploy (see aurora-versions.ts); others name the nearest. */
const engineVersion = z.string().superRefine((value, ctx) => {
  if (AURORA_POSTGRES_VERSIONS.includes(value)) return;
  ctx.addIssue({
    code: 'custom',
    message: `is not an Aurora PostgreSQL version that supports both Global Database and Serverless v2 (list as of ${AURORA_POSTGRES_VERSIONS_AS_OF} in lib/config/aurora-versions.ts). Fix: use ${nearestAuroraVersions(value).join(', ')}`,
  });
});

/** Web tier settings; every field can be overridden per region. */
export const webSchema = z.strictObject({
  instanceType: instanceType.describe(
    'EC2 instance type, a real family and size (lib/config/instance-types.ts), e.g. "t4g.small". Graviton (`t4g`, `m7g`, `c7g`, ...) and x86 types both work; the AMI follows.',
  ),
  minCapacity: int(0, 500).describe(
    "Lowest number of instances in the region's group. The primary needs at least 1; a standby may have 0 only as `pilot-light`. No desired capacity is set: target tracking and promotions own the size.",
  ),
  maxCapacity: int(1, 500).describe('Highest number of instances in the group (also bounds the warm pool).'),
  targetRequestsPerInstance: int(10, 100000).describe(
    'ALB requests per instance per minute that target tracking holds the group at.',
  ),
  targetCpuPercent: int(10, 95).describe(
    'Average CPU utilisation (%) that target tracking holds the group at.',
  ),
  warmPoolMinSize: int(0, 100).describe(
    'Instances kept stopped and pre-initialised in the warm pool, for fast scale-out. 0 disables the pool.',
  ),
  healthCheckGraceSeconds: int(0, 3600).describe('Seconds after launch before ELB health checks count.'),
  rootVolumeGiB: int(8, 1024).describe('Root volume size in GiB (gp3, encrypted).'),
});

export const networkSchema = z.strictObject({
  azCount: int(2, 3).describe('Availability zones to span (2 or 3).'),
  natGateways: int(1, 3).describe('NAT gateways: 1 for cost, one per AZ (= azCount) for resilience.'),
  cidr: cidr16.describe(
    'VPC CIDR, a /16 in 10.0.0.0/8. Must differ between regions so the VPCs can be peered later.',
  ),
  flowLogRetentionDays: z
    .literal([365, 731, 1827, 3653], {
      error: 'must be 365, 731, 1827 or 3653 (a year or more, in values CloudWatch Logs offers)',
    })
    .describe(
      'Days to keep VPC flow logs: at least a year (PCI DSS 10.7, Control Tower CT.CLOUDWATCH.PR.2).',
    ),
});

export const regionSchema = z.strictObject({
  name: z.string().describe('AWS region code. The first region in the list is the primary.'),
  web: webSchema
    .partial()
    .optional()
    .describe('Overrides of the shared `web` settings for this region (e.g. a smaller warm standby).'),
  network: networkSchema
    .partial()
    .optional()
    .describe('Overrides of the shared `network` settings for this region; `cidr` usually differs.'),
  posture: z
    .enum(['pilot-light', 'warm', 'hot'])
    .optional()
    .describe(
      "DR posture of this region while it stands by: `pilot-light` (no instance, warm pool only; needs `warmPoolMinSize` of 1 or more), `warm` (the default: its own `minCapacity`), `hot` (keeps `capacity.hotPercent` % of the other regions' instances).",
    ),
});

export const promotionSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,40}$/,
      'use lower-case letters, digits and dashes. Fix: write it like "winter-sale"',
    )
    .describe('Short name, used in scheduled action names: lower-case letters, digits and dashes.'),
  start: z.iso
    .datetime({ message: 'must be an ISO 8601 UTC time such as "2026-12-01T10:00:00Z"' })
    .describe('ISO 8601 UTC start, e.g. "2026-12-01T10:00:00Z". Capacity is raised at this time.'),
  end: z.iso
    .datetime({ message: 'must be an ISO 8601 UTC time such as "2026-12-01T14:00:00Z"' })
    .describe('ISO 8601 UTC end; capacity returns to normal then.'),
  minCapacity: int(1, 500).describe('Minimum instances per region during the window.'),
  regions: z
    .array(z.string())
    .optional()
    .describe(
      'Regions the promotion applies to; default: every region (the standby must absorb it after a failover).',
    ),
});

export const databaseSchema = z.strictObject({
  engineVersion: engineVersion.describe(
    'Aurora PostgreSQL engine version, pinned for every region (promotion needs an exact match); one of the versions in lib/config/aurora-versions.ts, e.g. "16.6".',
  ),
  minCapacityAcu: acu.describe('Serverless v2 minimum ACUs for every instance.'),
  maxCapacityAcu: acu
    .min(1, 'must be at least 1 ACU, the Aurora Serverless v2 minimum for a maximum')
    .describe('Serverless v2 maximum ACUs.'),
  backupRetentionDays: int(7, 35).describe('Days of automated backups (7 to 35).'),
  databaseName: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,62}$/,
      'use lower-case letters, digits and underscores, starting with a letter. Fix: write it like "shop"',
    )
    .describe('Database name created in the primary cluster (lower-case letters, digits, underscores).'),
  replicationLagAlarmMs: int(100, 600000).describe(
    'Alarm when AuroraGlobalDBReplicationLag (ms) stays above this for 5 minutes.',
  ),
});

export const healthCheckSchema = z.strictObject({
  intervalSeconds: z
    .literal([10, 30], {
      error: 'must be 10 or 30: the only request intervals Route 53 offers',
    })
    .describe('Route 53 request interval: 10 (fast, billed extra) or 30 seconds.'),
  failureThreshold: int(1, 10).describe('Consecutive failures before unhealthy (1-10).'),
  checkerRegions: z
    .array(z.enum(HEALTH_CHECKER_REGIONS))
    .min(3)
    .optional()
    .describe('Route 53 checker regions (at least 3).'),
});

export const canarySchema = z.strictObject({
  scheduleMinutes: int(1, 60).describe(
    'Minutes between canary runs (EventBridge runs at most once a minute).',
  ),
  failuresToAlarm: int(1, 10).describe(
    "Failures (M) within the evaluation window (N datapoints) that raise a target's alarm.",
  ),
  evaluationPeriods: int(1, 10).describe("N: the one-minute periods a target's alarm looks back over."),
  stepTimeoutMs: int(500, 15000).describe('Timeout of one step of the customer journey, ms.'),
});

/** The languages customers read the shop and the outage page in (shop/src/i18n.ts, outage-page/). */
export const CUSTOMER_LANGUAGES: readonly string[] = ['ko', 'en'];

const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(', ');

/**
 * What is wrong with a per-language object, with the fix: a language the shop does not show, or one
 * it shows that is missing. Undefined when the languages are right (the problem is elsewhere).
 */
function languageProblem(input: unknown, example: string): string | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const keys = Object.keys(input);
  const extra = keys.filter((k) => !CUSTOMER_LANGUAGES.includes(k));
  const missing = CUSTOMER_LANGUAGES.filter((l) => !keys.includes(l));
  if (extra.length === 0 && missing.length === 0) return undefined;
  const what = [
    extra.length
      ? `has ${quoted(extra)}, a language the shop and the outage page do not show (they show ${quoted(CUSTOMER_LANGUAGES)})`
      : '',
    missing.length ? `has no ${quoted(missing)} text` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const fix =
    extra.length === 1 && missing.length === 1
      ? `replace "${extra[0]}" with "${missing[0]}": ${example}`
      : [
          ...(extra.length ? [`remove ${quoted(extra)}`] : []),
          ...(missing.length ? [`add ${missing.map((m) => `"${m}": ${example}`).join(', ')}`] : []),
        ].join(' and ');
  return `${what}. Fix: ${fix}`;
}

const notEmpty = 'must not be empty. Fix: write the text customers should read';

/**
 * Text a customer reads: one string for every language (a brand name such as "KakaoTalk"), or
 * `{ "ko": ..., "en": ... }` when the wording differs.
 */
export const localizedTextSchema = z.union(
  [
    z.string().min(1, notEmpty),
    z.strictObject({ ko: z.string().min(1, notEmpty), en: z.string().min(1, notEmpty) }),
  ],
  {
    error: (issue) =>
      languageProblem(issue.input, '"..."') ??
      'must be a non-empty text, or { "ko": "...", "en": "..." } with a non-empty text per language. Fix: write it like { "ko": "카카오톡", "en": "KakaoTalk" }',
  },
);

const paymentListSchema = z
  .array(z.string().min(1, notEmpty))
  .min(1, 'needs at least one way to pay. Fix: list one, e.g. ["계좌이체"]');

/**
 * Its output is lib/contract/contacts.ts `Contacts`, the type the shop (SHOP_CONTACTS) and the outage
 * page read; the type checker holds them together where the page renders `config.contacts`.
 */
export const contactsSchema = z.strictObject({
  phone: z.string().min(3).describe('Phone number that takes orders while the shop is degraded.'),
  phoneHours: localizedTextSchema
    .optional()
    .describe('When the phone answers, per language (e.g. "평일 09:00~18:00" / "Weekdays 9:00-18:00 KST").'),
  paymentAlternatives: z
    .union([paymentListSchema, z.strictObject({ ko: paymentListSchema, en: paymentListSchema })], {
      error: (issue) =>
        languageProblem(issue.input, '["..."]') ??
        'must give at least one way to pay per language (a plain list is shown unchanged in both languages). Fix: write it like { "ko": ["계좌이체"], "en": ["Bank transfer"] }',
    })
    .describe(
      'Other ways to pay, one list per language: `{ "ko": ["계좌이체"], "en": ["Bank transfer"] }`. A plain list is accepted and shown as is in both languages.',
    ),
  messengers: z
    .array(
      z.strictObject({
        name: localizedTextSchema.describe(
          'Name customers know the channel by, e.g. `{ "ko": "카카오톡", "en": "KakaoTalk" }`.',
        ),
        url: z
          .url({
            protocol: /^https?$/,
            error: 'must be an http(s) URL such as "https://pf.kakao.com/_example"',
          })
          .describe('Shown as a link to customers, so only http(s): never `javascript:` or `data:`.'),
      }),
    )
    .default([])
    .describe('Messenger channels (KakaoTalk, LINE, ...), shown on the outage page.'),
  email: z
    .string()
    .regex(EMAIL_RE, 'must be an e-mail address. Fix: write it like "oncall@example.com"')
    .describe('Support e-mail shown to customers.'),
});

/** ISO 4217 codes this Node.js (ICU) can format; the shop formats prices with Intl.NumberFormat. */
const KNOWN_CURRENCIES: readonly string[] = Intl.supportedValuesOf('currency');

/** Currency of the catalogue's prices (`price_cents` holds minor units of it: whole won for KRW). */
export const currencySchema = z
  .string({ error: 'must be an ISO 4217 currency code in quotes. Fix: write it like "KRW"' })
  .refine((c) => KNOWN_CURRENCIES.includes(c), { error: (issue) => currencyProblem(String(issue.input)) });

/** Currencies to name first when several fit (the shop's own, then the most traded). */
const COMMON_CURRENCIES = ['KRW', 'USD', 'EUR', 'JPY', 'CNY', 'GBP'];

/**
 * What is wrong with a currency that Intl does not know, and the code to use: the same code in
 * capitals, codes whose English or Korean name is the value ("EURO" → EUR, "won" → KRW), or codes one
 * edit away ("EUE" → EUR).
 */
function currencyProblem(value: string): string {
  const upper = value.toUpperCase();
  if (KNOWN_CURRENCIES.includes(upper)) return `must be in capitals. Fix: use "${upper}"`;
  const english = new Intl.DisplayNames(['en'], { type: 'currency' });
  const korean = new Intl.DisplayNames(['ko'], { type: 'currency' });
  const word = value.trim().toLowerCase();
  const byName = KNOWN_CURRENCIES.filter((c) =>
    [english.of(c), korean.of(c)].some((n) => {
      const name = (n ?? '').toLowerCase();
      return name === word || name.split(/\s+/).includes(word);
    }),
  );
  const byCode = byName.length > 0 ? [] : KNOWN_CURRENCIES.filter((c) => levenshtein(upper, c) <= 1);
  const rank = (c: string) => (COMMON_CURRENCIES.includes(c) ? COMMON_CURRENCIES.indexOf(c) : 99);
  const candidates = [...new Set([...byName, ...byCode])].sort((a, b) => rank(a) - rank(b)).slice(0, 3);
  const named = (c: string) => `"${c}" (${english.of(c)})`;
  return candidates.length > 0
    ? `is not an ISO 4217 currency code. Fix: use the three-letter code, ${candidates.map(named).join(' or ')}`
    : `is not an ISO 4217 currency code. Fix: use a three-letter code such as ${['KRW', 'USD', 'JPY'].map(named).join(', ')}`;
}

/** How standbys are sized for a failover; every key has a default. */
export const capacitySchema = z.strictObject({
  headroomPercent: int(100, 300)
    .default(120)
    .describe('Capacity a standby scales to when traffic arrives, in % of the mirrored peak (100-300).'),
  peakWindowHours: int(1, 24).default(3).describe('Hours over which the mirrored peak is taken (1-24).'),
  hotPercent: int(1, 100)
    .default(50)
    .describe("A `hot` standby keeps this % of the other regions' instances in service (1-100)."),
  quietMinutes: int(5, 240)
    .default(30)
    .describe(
      'Minutes of low traffic (and no trigger alarm) before a scaled-up standby returns to its posture.',
    ),
  certificateMinDays: int(1, 90)
    .default(30)
    .describe('Readiness: a certificate must stay valid at least this many days.'),
});

/** Game days; every key has a default. */
export const gameDaysSchema = z.strictObject({
  lambdaFaultInjection: z
    .boolean({
      error:
        'must be true or false (JSON booleans, without quotes). Fix: write true to add the FIS Lambda extension and the Lambda fault experiments, false (the default) to leave the functions as they are',
    })
    .default(false)
    .describe(
      'Put the AWS FIS Lambda extension (layer, S3 configuration bucket, environment) on the canary and the drain switch publisher of every regional stack and create their fault experiments. Off by default: the extension then runs in those functions on every invocation, experiment or not (docs/design.md, "Lambda faults: the FIS extension").',
    ),
});

/** A provider id: part of secret names, switch entries (`provider:<id>`) and metric dimensions. */
const providerId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,30}$/,
    'must be 2-31 lower-case letters, digits and dashes starting with a letter (it names the secret, the switch entry and the metric dimension). Fix: e.g. "toss"',
  );

/** A provider kind this shop has an adapter for; a typo names the nearest. */
const providerKind = z.string().superRefine((value, ctx) => {
  if (PROVIDER_KINDS.includes(value)) return;
  ctx.addIssue({
    code: 'custom',
    message: `is not a provider kind the shop has an adapter for (${PROVIDER_KINDS.join(', ')}; lib/contract/payments.ts). Fix: use ${nearest(value, PROVIDER_KINDS, 1)[0]}`,
  });
});

/** An online method; a manual one here is pointed to `payments.manual`. */
const onlineMethod = z.string().superRefine((value, ctx) => {
  if ((ONLINE_METHODS as readonly string[]).includes(value)) return;
  const manual = (MANUAL_METHODS as readonly string[]).includes(value);
  ctx.addIssue({
    code: 'custom',
    message: manual
      ? `is a manual way to pay, taken without a provider. Fix: remove it here and configure it under payments.manual (${value === 'phone' ? 'phoneOrders: true' : 'bankTransfer'})`
      : `is not an online payment method (${ONLINE_METHODS.join(', ')}). Fix: use ${nearest(value, ONLINE_METHODS, 1)[0]}`,
  });
});

/** A payment provider the shop calls server-side (issue #21); secrets live in Secrets Manager. */
export const paymentProviderSchema = z.strictObject({
  /** Short id, unique among providers: `${appName}/payments/${id}` names its secret. */
  id: providerId.describe(
    'Short id, unique among providers: names its secret `<appName>/payments/<id>` and its switch entry `provider:<id>`.',
  ),
  /** Which adapter speaks to it (lib/contract/payments.ts `PROVIDER_KIND_METHODS`). */
  kind: providerKind.describe('Adapter that speaks to it: toss-payments or kakaopay.'),
  /** The provider's API base URL, https (a test-mode or sandbox host in a staging config). */
  baseUrl: z
    .url({
      error: 'must be an absolute URL such as "https://api.tosspayments.com". Fix: correct the value',
    })
    .describe("The provider's API base URL, https (a sandbox host in a staging config)."),
  /** Online methods taken through this provider. The order of providers is the fallback order. */
  methods: z
    .array(onlineMethod)
    .min(1, 'needs at least one online method, e.g. ["card"]. Fix: add one')
    .describe(
      'Online methods taken through this provider (card, easy-pay); the order of providers is the fallback order.',
    ),
  /**
   * How long the shop waits for one call. A call that times out leaves the outcome unknown until a
   * look-up settles it, so this bounds how long a customer waits, not whether money moves.
   */
  timeoutMs: int(1000, 30000).describe(
    'Milliseconds the shop waits for one call; a call that times out has an unknown outcome until a look-up settles it.',
  ),
  /**
   * Toss Payments only: a page of your own that opens Toss's payment window (its JavaScript SDK).
   * Without it the shop serves its own page (shop/src/payments/toss-window.ts).
   */
  windowUrl: z
    .url({
      protocol: /^https$/,
      error: 'must be an https URL such as "https://shop.example.com/pay/toss". Fix: correct the value',
    })
    .optional()
    .describe(
      "Toss Payments only: a page of your own that opens Toss's payment window; without it the shop serves its own page (/payments/window).",
    ),
});

/** A bank account for transfers: the order waits `holdHours` for the deposit. */
export const bankTransferSchema = z.strictObject({
  bank: localizedTextSchema.describe('Name of the bank, one text or {ko, en}.'),
  account: z.string().min(1, 'must not be empty').describe('Account number customers transfer to.'),
  holder: localizedTextSchema.describe('Account holder, one text or {ko, en}.'),
  /** Hours an order waits for the deposit (1 to 168, a week) before its stock is released. */
  holdHours: int(1, 168).describe('Hours an order waits for the deposit before its stock is released.'),
});

/** Payments (issue #21): providers in fallback order, the manual ways, breaker and alarm settings. */
export const paymentsSchema = z.strictObject({
  providers: z
    .array(paymentProviderSchema)
    .describe('Payment providers, in fallback order (the first that is healthy takes the payment).'),
  manual: z
    .strictObject({
      bankTransfer: bankTransferSchema
        .optional()
        .describe('Bank transfer: the order waits holdHours for the deposit. Leave out to not offer it.'),
      /** The shop's phone (contacts.phone) takes orders and payment. */
      phoneOrders: z
        .boolean({ error: 'must be true or false (a JSON boolean, without quotes)' })
        .describe("The shop's phone (contacts.phone) takes orders and payment."),
    })
    .describe('The manual ways to pay, taken without a provider.'),
  /** Circuit breaker per provider and method, on approvals against attempts (customer declines excluded). */
  breaker: z
    .strictObject({
      /** Failed attempts (provider errors, unknowns) in % of attempts that open the circuit. */
      failureRatePercent: int(1, 100).describe('Failed attempts in % of attempts that open the circuit.'),
      /** Attempts within the window before the rate counts. */
      minimumAttempts: int(1, 10000).describe('Attempts within the window before the rate counts.'),
      windowSeconds: int(10, 3600).describe('Window of the failure rate, seconds.'),
      /** Seconds an open circuit waits before letting one trial call through. */
      halfOpenAfterSeconds: int(1, 3600).describe('Seconds an open circuit waits before one trial call.'),
    })
    .describe(
      'Circuit breaker per provider and method, on approvals against attempts (customer declines excluded).',
    ),
  /** Alarms per region over the shop's payment metrics (lib/payments/payment-alarms.ts). */
  alarms: z
    .strictObject({
      /** Alarm when approvals fall below this % of attempts (customer declines excluded)... */
      approvalRateFloorPercent: int(1, 100).describe(
        'Alarm when approvals fall below this % of attempts (customer declines excluded)...',
      ),
      /** ...in a minute with at least this many attempts. */
      minimumAttempts: int(1, 100000).describe('...in minutes with at least this many attempts.'),
      /** Alarm when this many attempts in a region have an unknown outcome that no look-up has settled. */
      unknownsThreshold: int(1, 10000).describe(
        'Alarm when this many attempts have an unknown outcome no look-up has settled.',
      ),
    })
    .describe("Alarms per region over the shop's payment metrics."),
  /** Seconds between reconciliation runs that settle unknown outcomes. */
  reconcileEverySeconds: int(10, 3600).describe(
    'Seconds between reconciliation runs that settle unknown outcomes.',
  ),
});

/** A notification channel id; a typo names the nearest. */
const notifyChannelId = z.string().superRefine((value, ctx) => {
  if ((NOTIFY_CHANNELS as readonly string[]).includes(value)) return;
  ctx.addIssue({
    code: 'custom',
    message: `is not a channel the shop has (${NOTIFY_CHANNELS.join(', ')}; lib/contract/notify.ts). Fix: use ${nearest(value, NOTIFY_CHANNELS, 1)[0]}`,
  });
});

/** A notification channel kind this shop has an adapter for; a typo names the nearest. */
const notifyKind = z.string().superRefine((value, ctx) => {
  if (NOTIFY_KINDS.includes(value)) return;
  ctx.addIssue({
    code: 'custom',
    message: `is not a channel kind the shop has an adapter for (${NOTIFY_KINDS.join(', ')}; lib/contract/notify.ts). Fix: use ${nearest(value, NOTIFY_KINDS, 1)[0]}`,
  });
});

/**
 * An approved 알림톡 template code. The API guide documents no format for it, so only what cannot be
 * one (empty, spaces) is refused.
 */
const templateCode = z
  .string()
  .regex(
    /^\S+$/,
    'must be the code NHN Cloud shows for the approved template, without spaces. Fix: copy it from the console, e.g. "ORD01"',
  );

/**
 * One channel through which the shop reaches a customer. Which keys a channel needs depends on its
 * kind; lib/config/rules.ts says which are missing or do not belong, all at once.
 */
export const notifyChannelSchema = z.strictObject({
  id: notifyChannelId.describe(
    'Channel id: `alimtalk`, `sms` or `email`, each at most once. Names its secret `<appName>/notify/<id>`, its switch entry and its metric dimension.',
  ),
  kind: notifyKind.describe(
    'Adapter: `nhn-alimtalk` (for `alimtalk`), `nhn-sms` (for `sms`), `ses` (for `email`).',
  ),
  baseUrl: z
    .url({
      error:
        'must be an absolute URL such as "https://kakaotalk-bizmessage.api.nhncloudservice.com". Fix: correct the value',
    })
    .optional()
    .describe("NHN kinds (required): the API's base URL, https, e.g. `https://sms.api.nhncloudservice.com`."),
  appKey: z
    .string()
    .regex(/^\S+$/, 'must be the app key NHN Cloud shows, without spaces. Fix: copy it from the console')
    .optional()
    .describe(
      'NHN kinds (required): the app key from the NHN Cloud console (part of the URL, not a secret; the secret key goes into Secrets Manager).',
    ),
  senderKey: z
    .string()
    .regex(/^\S+$/, 'must be the sender key NHN Cloud shows, without spaces. Fix: copy it from the console')
    .optional()
    .describe("`nhn-alimtalk` (required): the KakaoTalk channel's sender key."),
  templates: z
    .strictObject(
      Object.fromEntries(
        NOTIFY_NOTICE_KINDS.map((k) => [
          k,
          templateCode.optional().describe(`Template code of the \`${k}\` notice.`),
        ]),
      ) as Record<(typeof NOTIFY_NOTICE_KINDS)[number], z.ZodOptional<typeof templateCode>>,
    )
    .optional()
    .describe(
      '`nhn-alimtalk` (required): the reviewed template code for every notice kind (알림톡 sends only templates Kakao approved).',
    ),
  sendNo: z
    .string()
    .optional()
    .describe('`nhn-sms` (required): the registered sender number, digits only, e.g. `"0212345678"`.'),
  from: z
    .string()
    .optional()
    .describe(
      '`ses` (required): the From address, `"Shop" <orders@shop.example.com>` or `orders@shop.example.com`; its address or domain must be a verified SES identity in every region.',
    ),
  configurationSet: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,64}$/,
      'must be an SES configuration set name: up to 64 letters, digits, "_" or "-". Fix: e.g. "shop-notices"',
    )
    .optional()
    .describe('`ses` (optional): configuration set for event publishing; it must exist in every region.'),
});

/**
 * Customer notifications (issue #25): the channels in fallback order, the dispatcher's deadline and
 * breaker, and the alarm on notices left unsent. Optional: without it notices are written to the
 * outbox and nothing sends them.
 */
export const notificationsSchema = z.strictObject({
  channels: z
    .array(notifyChannelSchema)
    .describe(
      'Channels in fallback order: a notice goes through the first that can reach the customer and works.',
    ),
  deadlineMs: int(500, 30000).describe(
    'Milliseconds a channel may take to answer; after that the send counts as outcome-unknown and the next channel takes the notice.',
  ),
  leaseSeconds: int(5, 3600)
    .default(60)
    .describe(
      'Seconds a dispatcher holds a claimed notice; after that another instance declares its sender dead. Must exceed 3 × deadlineMs.',
    ),
  dispatchEverySeconds: int(1, 300).describe('Seconds between dispatcher passes over the outbox.'),
  breaker: z
    .strictObject({
      consecutiveFailures: int(1, 100).describe("Failures in a row that open a channel's circuit."),
      halfOpenAfterSeconds: int(1, 3600).describe('Seconds an open circuit waits before one trial send.'),
    })
    .describe('Circuit breaker per channel.'),
  alarms: z
    .strictObject({
      oldestUnsentSeconds: int(60, 86400).describe(
        'Alarm when the oldest unsent notice is older than this for 3 minutes in a row.',
      ),
    })
    .describe("Alarm per region over the shop's notice metrics."),
});

export const configSchema = z.strictObject({
  appName: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{2,24}$/,
      'use 3-25 lower-case letters, digits and dashes, starting with a letter. Fix: write it like "resilient-shop"',
    )
    .describe(
      'Short application name (3-25 lower-case letters, digits and dashes); prefixes every physical name.',
    ),
  account: z
    .string()
    .regex(ACCOUNT_RE, 'must be a 12-digit AWS account id, e.g. "123456789012"')
    .describe('AWS account id (12 digits). The default is a placeholder that synthesizes offline.'),
  domainName: z
    .string()
    .regex(DOMAIN_RE, 'must be a lower-case DNS name such as "shop.example.com"')
    .describe('Public domain of the shop, e.g. "shop.example.com".'),
  includeWww: z.boolean().describe('Also serve `www.<domainName>` through the same failover chain.'),
  hostedZone: z
    .strictObject({
      id: hostedZoneId.describe(
        'Hosted zone id as Route 53 shows it, e.g. "Z0123456789ABCDEFGHIJ" (without the `/hostedzone/` prefix).',
      ),
      name: z
        .string()
        .regex(DOMAIN_RE, 'must be a lower-case DNS name such as "example.com"')
        .describe('Name of the zone, e.g. "example.com".'),
    })
    .describe('The Route 53 public hosted zone that holds domainName (imported by id, never looked up).'),
  regions: z
    .array(regionSchema)
    .describe('Ordered regions: the first is the primary, the rest are standbys in failover order.'),
  network: networkSchema.describe('Network of every region (each region may override keys).'),
  web: webSchema.describe('Web tier of every region (each region may override keys).'),
  promotions: z
    .array(promotionSchema)
    .default([])
    .describe('Capacity raised ahead of a known crowd (an influencer post, a sale), per region.'),
  database: databaseSchema.describe('The Aurora PostgreSQL Global Database (Serverless v2).'),
  healthCheck: healthCheckSchema.describe('Route 53 endpoint health checks of every region.'),
  canary: canarySchema.describe('The canaries that shop like a customer; M of N failures raise an alarm.'),
  alarmEmails: z
    .array(z.string().regex(EMAIL_RE, 'must be an e-mail address. Fix: write it like "oncall@example.com"'))
    .min(1)
    .describe('E-mail addresses subscribed to every alarm topic.'),
  contacts: contactsSchema.describe(
    'Ways to reach and pay the shop while it is degraded; shown on the shop and the outage page.',
  ),
  currency: currencySchema
    .default('KRW')
    .describe("ISO 4217 currency of the shop's prices, formatted per language (₩/원 for KRW). Default KRW."),
  failoverBudgetSeconds: int(30, 3600).describe(
    'Worst-case automatic failover time (seconds) the design must stay within.',
  ),
  capacity: capacitySchema.prefault({}).describe('Standby capacity at failover; defaults when absent.'),
  gameDays: gameDaysSchema.prefault({}).describe('Game days: fault experiments; defaults when absent.'),
  payments: paymentsSchema.describe(
    'Payment providers in fallback order, the manual ways to pay, the breaker and the payment alarms.',
  ),
  notifications: notificationsSchema
    .optional()
    .describe(
      'Customer notices (알림톡, SMS, e-mail) in fallback order, the dispatcher, the breaker and the alarm. Leave out to send none (notices are still written).',
    ),
  waf: z
    .strictObject({
      alb: z.boolean().describe("In front of every region's ALB."),
      outagePage: z.boolean().describe("In front of the outage page's CloudFront distribution."),
      ratePer5MinPerIp: int(10, 2_000_000_000).describe(
        'Requests per IP in any 5 minutes before it is blocked (WAF allows 10 to 2,000,000,000).',
      ),
    })
    .describe('WAF web ACLs (per-IP rate rule, AWS managed rules, logging).'),
});

/** The config file as written (before defaults per region are resolved). */
export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type WebSettings = z.output<typeof webSchema>;
export type NetworkSettings = z.output<typeof networkSchema>;
/** DR posture of a standby region. */
export type Posture = NonNullable<z.output<typeof regionSchema>['posture']>;
/** The config's `payments` key as parsed. */
export type PaymentsSettings = z.output<typeof paymentsSchema>;
/** The config's `notifications` key as parsed. */
export type NotificationsSettings = z.output<typeof notificationsSchema>;
