import { z } from 'zod';

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
const INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Web tier settings; every field can be overridden per region. */
export const webSchema = z.strictObject({
  /** EC2 instance type. Graviton (`t4g`, `m7g`, `c7g`, ...) and x86 types both work; the AMI follows. */
  instanceType: z.string().regex(INSTANCE_TYPE_RE, 'must look like an EC2 instance type, e.g. "t4g.small"'),
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
  cidr: z.string().regex(CIDR16_RE, 'must be a /16 inside 10.0.0.0/8, e.g. "10.1.0.0/16"'),
  /** Days to keep VPC flow logs: at least a year (PCI DSS 10.7, Control Tower CT.CLOUDWATCH.PR.2). */
  flowLogRetentionDays: z.union([z.literal(365), z.literal(731), z.literal(1827), z.literal(3653)]),
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
  engineVersion: z.string().regex(/^\d+\.\d+$/, 'must be an Aurora PostgreSQL version such as "16.6"'),
  /** Serverless v2 minimum ACUs for every instance. */
  minCapacityAcu: z.number().min(0.5).max(256),
  /** Serverless v2 maximum ACUs. */
  maxCapacityAcu: z.number().min(1).max(256),
  /** Days of automated backups (7 to 35). */
  backupRetentionDays: int(7, 35),
  /** Database name created in the primary cluster. */
  databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and underscores'),
  /** Alarm when AuroraGlobalDBReplicationLag (ms) stays above this for 5 minutes. */
  replicationLagAlarmMs: int(100, 600000),
});

export const healthCheckSchema = z.strictObject({
  /** Route 53 request interval: 10 (fast) or 30 seconds. */
  intervalSeconds: z.union([z.literal(10), z.literal(30)]),
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

export const contactsSchema = z.strictObject({
  /** Phone number that takes orders while the shop is degraded. */
  phone: z.string().min(3),
  /** Other ways to pay (bank transfer, another provider, ...). */
  paymentAlternatives: z.array(z.string().min(1)).min(1),
  /** Messenger channels (KakaoTalk, LINE, ...), shown on the outage page. */
  messengers: z.array(z.strictObject({ name: z.string().min(1), url: z.url() })).default([]),
  /** Support e-mail shown to customers. */
  email: z.string().regex(EMAIL_RE, 'must be an e-mail address'),
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
  /** Worst-case automatic failover time (seconds) the design must stay within. */
  failoverBudgetSeconds: int(30, 3600),
  /** Standby capacity at failover (issue #14); defaults when absent. */
  capacity: capacitySchema.prefault({}),
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
