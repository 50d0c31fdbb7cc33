import { z } from 'zod';
import {
  AURORA_POSTGRES_VERSIONS,
  AURORA_POSTGRES_VERSIONS_AS_OF,
  nearestAuroraVersions,
} from './aurora-versions';
import { MANUAL_METHODS, ONLINE_METHODS, PROVIDER_KINDS } from '../contract/payments';
import { INSTANCE_FAMILIES, INSTANCE_SIZES } from './instance-types';
import { nearest } from './suggest';

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
  /** EC2 instance type. Graviton (`t4g`, `m7g`, `c7g`, ...) and x86 types both work; the AMI follows. */
  instanceType,
  minCapacity: int(0, 500),
  maxCapacity: int(1, 500),
  /** ALB requests per instance per minute that target tracking holds the group at. */
  targetRequestsPerInstance: int(10, 100000),
  /** Average CPU utilisation (%) that target tracking holds the group at. */
  targetCpuPercent: int(10, 95),
  /** Instances kept stopped and pre-initialised in the warm pool, for fast scale-out. 0 disables the pool. */
  warmPoolMinSize: int(0, 100),
  /** Seconds after launch before ELB health checks count. */
  healthCheckGraceSeconds: int(0, 3600),
  /** Root volume size in GiB (gp3, encrypted). */
  rootVolumeGiB: int(8, 1024),
});

export const networkSchema = z.strictObject({
  /** Availability zones to span (2 or 3). */
  azCount: int(2, 3),
  /** NAT gateways: 1 for cost, one per AZ (= azCount) for resilience. */
  natGateways: int(1, 3),
  /** VPC CIDR, a /16 in 10.0.0.0/8. Must differ between regions so the VPCs can be peered later. */
  cidr: cidr16,
  /** Days to keep VPC flow logs: at least a year (PCI DSS 10.7, Control Tower CT.CLOUDWATCH.PR.2). */
  flowLogRetentionDays: z.literal([365, 731, 1827, 3653], {
    error: 'must be 365, 731, 1827 or 3653 (a year or more, in values CloudWatch Logs offers)',
  }),
});

export const regionSchema = z.strictObject({
  /** AWS region code. The first region in the list is the primary. */
  name: z.string(),
  /** Overrides of the shared `web` settings for this region (e.g. a smaller warm standby). */
  web: webSchema.partial().optional(),
  /** Overrides of the shared `network` settings for this region; `cidr` usually differs. */
  network: networkSchema.partial().optional(),
  /** DR posture of this region while it stands by (see `capacitySchema`); default `warm`. */
  posture: z.enum(['pilot-light', 'warm', 'hot']).optional(),
});

export const promotionSchema = z.strictObject({
  /** Short name, used in scheduled action names: lower-case letters, digits and dashes. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'use lower-case letters, digits and dashes, e.g. "winter-sale"'),
  /** ISO 8601 UTC start, e.g. "2026-12-01T10:00:00Z". Capacity is raised at this time. */
  start: z.iso.datetime({ message: 'must be an ISO 8601 UTC time such as "2026-12-01T10:00:00Z"' }),
  /** ISO 8601 UTC end; capacity returns to normal then. */
  end: z.iso.datetime({ message: 'must be an ISO 8601 UTC time such as "2026-12-01T14:00:00Z"' }),
  /** Minimum instances per region during the window. */
  minCapacity: int(1, 500),
  /** Regions the promotion applies to; default: every region (the standby must absorb it after a failover). */
  regions: z.array(z.string()).optional(),
});

export const databaseSchema = z.strictObject({
  /** Aurora PostgreSQL engine version, pinned for every region (promotion needs an exact match). */
  engineVersion,
  /** Serverless v2 minimum ACUs for every instance. */
  minCapacityAcu: acu,
  /** Serverless v2 maximum ACUs. */
  maxCapacityAcu: acu.min(1, 'must be at least 1 ACU, the Aurora Serverless v2 minimum for a maximum'),
  /** Days of automated backups (7 to 35). */
  backupRetentionDays: int(7, 35),
  /** Database name created in the primary cluster. */
  databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and underscores'),
  /** Alarm when AuroraGlobalDBReplicationLag (ms) stays above this for 5 minutes. */
  replicationLagAlarmMs: int(100, 600000),
});

export const healthCheckSchema = z.strictObject({
  /** Route 53 request interval: 10 (fast) or 30 seconds. */
  intervalSeconds: z.literal([10, 30], {
    error: 'must be 10 or 30: the only request intervals Route 53 offers',
  }),
  /** Consecutive failures before unhealthy (1-10). */
  failureThreshold: int(1, 10),
  /** Route 53 checker regions (at least 3). */
  checkerRegions: z.array(z.enum(HEALTH_CHECKER_REGIONS)).min(3).optional(),
});

export const canarySchema = z.strictObject({
  /** Minutes between canary runs (EventBridge runs at most once a minute). */
  scheduleMinutes: int(1, 60),
  /** Failures (M) within the evaluation window (N datapoints) that raise a target's alarm. */
  failuresToAlarm: int(1, 10),
  evaluationPeriods: int(1, 10),
  /** Timeout of one step of the customer journey, ms. */
  stepTimeoutMs: int(500, 15000),
});

/**
 * Text a customer reads: one string for every language (a brand name such as "KakaoTalk"), or
 * `{ "ko": ..., "en": ... }` when the wording differs.
 */
export const localizedTextSchema = z.union(
  [
    z.string().min(1, 'must not be empty'),
    z.strictObject({
      ko: z.string().min(1, 'must not be empty'),
      en: z.string().min(1, 'must not be empty'),
    }),
  ],
  {
    error:
      'must be a non-empty text, or { "ko": "...", "en": "..." } with a non-empty text per language, e.g. { "ko": "카카오톡", "en": "KakaoTalk" }',
  },
);

const paymentListSchema = z
  .array(z.string().min(1, 'must not be empty'))
  .min(1, 'needs at least one way to pay, e.g. ["계좌이체"]');

/**
 * Its output is lib/contract/contacts.ts `Contacts`, the type the shop (SHOP_CONTACTS) and the outage
 * page read; the type checker holds them together where the page renders `config.contacts`.
 */
export const contactsSchema = z.strictObject({
  /** Phone number that takes orders while the shop is degraded. */
  phone: z.string().min(3),
  /** When the phone answers, per language (e.g. "평일 09:00~18:00" / "Weekdays 9:00-18:00 KST"). */
  phoneHours: localizedTextSchema.optional(),
  /**
   * Other ways to pay, one list per language: `{ "ko": ["계좌이체"], "en": ["Bank transfer"] }`. A
   * plain list (the format before languages) is still accepted and shown as is in both languages.
   */
  paymentAlternatives: z.union(
    [paymentListSchema, z.strictObject({ ko: paymentListSchema, en: paymentListSchema })],
    {
      error:
        'must give at least one way to pay per language: { "ko": ["계좌이체"], "en": ["Bank transfer"] } (a plain list is shown unchanged in both languages)',
    },
  ),
  /** Messenger channels (KakaoTalk, LINE, ...), shown on the outage page; `name` may differ per language. */
  messengers: z
    .array(
      z.strictObject({
        name: localizedTextSchema,
        /** Shown as a link to customers, so only http(s): never `javascript:` or `data:`. */
        url: z.url({
          protocol: /^https?$/,
          error: 'must be an http(s) URL such as "https://pf.kakao.com/_example"',
        }),
      }),
    )
    .default([]),
  /** Support e-mail shown to customers. */
  email: z.string().regex(EMAIL_RE, 'must be an e-mail address'),
});

/** ISO 4217 codes this Node.js (ICU) can format; the shop formats prices with Intl.NumberFormat. */
const KNOWN_CURRENCIES: readonly string[] = Intl.supportedValuesOf('currency');

/** Currency of the catalogue's prices (`price_cents` holds minor units of it: whole won for KRW). */
export const currencySchema = z
  .string({ error: 'must be an ISO 4217 currency code in quotes, e.g. "KRW"' })
  .refine((c) => KNOWN_CURRENCIES.includes(c), {
    error: (issue) => {
      const upper = String(issue.input).toUpperCase();
      return KNOWN_CURRENCIES.includes(upper)
        ? `must be in capitals: use "${upper}"`
        : 'is not an ISO 4217 currency code; use e.g. "KRW" (won), "USD" or "JPY"';
    },
  });

/** How standbys are sized for a failover (issue #14); every key has a default. */
export const capacitySchema = z.strictObject({
  /** Capacity a standby scales to when traffic arrives, in % of the mirrored peak (100-300). */
  headroomPercent: int(100, 300).default(120),
  /** Hours over which the mirrored peak is taken (1-24). */
  peakWindowHours: int(1, 24).default(3),
  /** A `hot` standby keeps this % of the other regions' instances in service (1-100). */
  hotPercent: int(1, 100).default(50),
  /** Minutes of low traffic (and no trigger alarm) before a scaled-up standby returns to its posture. */
  quietMinutes: int(5, 240).default(30),
  /** Readiness: a certificate must stay valid at least this many days. */
  certificateMinDays: int(1, 90).default(30),
});

/** Game days (issue #15); every key has a default. */
export const gameDaysSchema = z.strictObject({
  /**
   * Put the AWS FIS Lambda extension (layer, S3 configuration bucket, environment) on the canary and
   * the drain switch publisher of every regional stack and create their fault experiments. Off by
   * default: the extension then runs in those functions on every invocation, experiment or not (see
   * the README, "Fault experiments (AWS FIS)").
   */
  lambdaFaultInjection: z
    .boolean({
      error:
        'must be true or false (JSON booleans, without quotes). Fix: write true to add the FIS Lambda extension and the Lambda fault experiments, false (the default) to leave the functions as they are',
    })
    .default(false),
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
  id: providerId,
  /** Which adapter speaks to it (lib/contract/payments.ts `PROVIDER_KIND_METHODS`). */
  kind: providerKind,
  /** The provider's API base URL, https (a test-mode or sandbox host in a staging config). */
  baseUrl: z.url({
    error: 'must be an absolute URL such as "https://api.tosspayments.com". Fix: correct the value',
  }),
  /** Online methods taken through this provider. The order of providers is the fallback order. */
  methods: z.array(onlineMethod).min(1, 'needs at least one online method, e.g. ["card"]. Fix: add one'),
  /**
   * How long the shop waits for one call. A call that times out leaves the outcome unknown until a
   * look-up settles it, so this bounds how long a customer waits, not whether money moves.
   */
  timeoutMs: int(1000, 30000),
  /**
   * Toss Payments only: the page that opens Toss's payment window (its JavaScript SDK) for the shop.
   * The shop offers a Toss provider only when it is set (shop/src/payments/config.ts).
   */
  windowUrl: z
    .url({
      protocol: /^https$/,
      error: 'must be an https URL such as "https://shop.example.com/pay/toss". Fix: correct the value',
    })
    .optional(),
});

/** A bank account for transfers: the order waits `holdHours` for the deposit. */
export const bankTransferSchema = z.strictObject({
  bank: localizedTextSchema,
  account: z.string().min(1, 'must not be empty'),
  holder: localizedTextSchema,
  /** Hours an order waits for the deposit (1 to 168, a week) before its stock is released. */
  holdHours: int(1, 168),
});

/** Payments (issue #21): providers in fallback order, the manual ways, breaker and alarm settings. */
export const paymentsSchema = z.strictObject({
  providers: z.array(paymentProviderSchema),
  manual: z.strictObject({
    bankTransfer: bankTransferSchema.optional(),
    /** The shop's phone (contacts.phone) takes orders and payment. */
    phoneOrders: z.boolean({ error: 'must be true or false (a JSON boolean, without quotes)' }),
  }),
  /** Circuit breaker per provider and method, on approvals against attempts (customer declines excluded). */
  breaker: z.strictObject({
    /** Failed attempts (provider errors, unknowns) in % of attempts that open the circuit. */
    failureRatePercent: int(1, 100),
    /** Attempts within the window before the rate counts. */
    minimumAttempts: int(1, 10000),
    windowSeconds: int(10, 3600),
    /** Seconds an open circuit waits before letting one trial call through. */
    halfOpenAfterSeconds: int(1, 3600),
  }),
  /** Alarms per region over the shop's payment metrics (lib/payments/payment-alarms.ts). */
  alarms: z.strictObject({
    /** Alarm when approvals fall below this % of attempts (customer declines excluded)... */
    approvalRateFloorPercent: int(1, 100),
    /** ...in a minute with at least this many attempts. */
    minimumAttempts: int(1, 100000),
    /** Alarm when this many attempts in a region have an unknown outcome that no look-up has settled. */
    unknownsThreshold: int(1, 10000),
  }),
  /** Seconds between reconciliation runs that settle unknown outcomes. */
  reconcileEverySeconds: int(10, 3600),
});

export const configSchema = z.strictObject({
  /** Short application name; prefixes every physical name. */
  appName: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{2,24}$/,
      'use 3-25 lower-case letters, digits and dashes, starting with a letter',
    ),
  /** AWS account id (12 digits). The default is a placeholder that synthesizes offline. */
  account: z.string().regex(ACCOUNT_RE, 'must be a 12-digit AWS account id, e.g. "123456789012"'),
  /** Public domain of the shop, e.g. "shop.example.com". */
  domainName: z.string().regex(DOMAIN_RE, 'must be a lower-case DNS name such as "shop.example.com"'),
  /** Also serve `www.<domainName>` through the same failover chain. */
  includeWww: z.boolean(),
  /** The Route 53 public hosted zone that holds domainName (imported by id, never looked up). */
  hostedZone: z.strictObject({
    id: z.string().regex(ZONE_ID_RE, 'must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"'),
    name: z.string().regex(DOMAIN_RE, 'must be a lower-case DNS name such as "example.com"'),
  }),
  /** Ordered regions: the first is the primary, the rest are standbys in failover order. */
  regions: z.array(regionSchema),
  network: networkSchema,
  web: webSchema,
  promotions: z.array(promotionSchema).default([]),
  database: databaseSchema,
  healthCheck: healthCheckSchema,
  canary: canarySchema,
  /** E-mail addresses subscribed to every alarm topic. */
  alarmEmails: z.array(z.string().regex(EMAIL_RE, 'must be an e-mail address')).min(1),
  /** Ways to reach and pay the shop while it is degraded; shown on the shop and the outage page. */
  contacts: contactsSchema,
  /** ISO 4217 currency of the shop's prices, formatted per language (₩/원 for KRW). Default KRW. */
  currency: currencySchema.default('KRW'),
  /** Worst-case automatic failover time (seconds) the design must stay within. */
  failoverBudgetSeconds: int(30, 3600),
  /** Standby capacity at failover (issue #14); defaults when absent. */
  capacity: capacitySchema.prefault({}),
  /** Game days: fault experiments (issue #15); defaults when absent. */
  gameDays: gameDaysSchema.prefault({}),
  /** Payment providers, manual ways to pay, breaker and alarms (issue #21). */
  payments: paymentsSchema,
  /** WAF web ACLs (per-IP rate rule, AWS managed rules, logging). */
  waf: z.strictObject({
    /** In front of every region's ALB. */
    alb: z.boolean(),
    /** In front of the outage page's CloudFront distribution. */
    outagePage: z.boolean(),
    /** Requests per IP in any 5 minutes before it is blocked (WAF allows 10 to 2,000,000,000). */
    ratePer5MinPerIp: int(10, 2_000_000_000),
  }),
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
