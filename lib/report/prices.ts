/**
 * Unit prices (USD, public on-demand list prices) per region, with where and when each was read.
 *
 * The base price of every unit is us-east-1's. A unit that costs the same everywhere says so
 * (`scope: 'global'`, with its source); a regional unit lists the regions whose price was found,
 * each with its source. Where no source was found for a region, the report uses the us-east-1 price
 * and says so on the line ("us-east-1 price; no source for R found"): list prices in the Asia
 * Pacific regions are usually higher, so those lines are a floor. A region outside
 * {@link PRICED_REGIONS} gets a warning in the report, never a silent us-east-1 price.
 */

/** The day the sources below were read. */
export const READ_ON = '2026-12-08';

/** Regions this table was researched for (a price found, or its absence recorded per unit). */
export const PRICED_REGIONS: readonly string[] = ['us-east-1', 'ap-northeast-2', 'ap-northeast-1'];

/**
 * CloudWatch prices (custom metrics $0.30 each for the first 10,000; GetMetricStatistics, ListMetrics,
 * PutMetricData… $0.01 per 1,000 requests), as quoted from https://aws.amazon.com/jp/cloudwatch/pricing/
 * by https://github.com/nishinoshake/aws-rough/issues/37 (the AWS page renders its table by script).
 * Each unique dimension combination is a separate billable metric:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/metrics-otel-pricing.html
 */
const CLOUDWATCH_PRICES =
  'https://aws.amazon.com/cloudwatch/pricing/ as quoted by https://github.com/nishinoshake/aws-rough/issues/37 ; one metric per dimension set: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/metrics-otel-pricing.html';

/** WAF: one price list for every region. */
const WAF_PRICES =
  'https://aws.amazon.com/waf/pricing/ ; "The pricing for AWS WAF is consistent across all AWS Regions": https://aws.amazon.com/blogs/networking-and-content-delivery/cost-effective-ways-for-securing-your-web-applications-using-aws-waf/';

/** ALB in ap-northeast-1: $0.0243 per ALB-hour and $0.008 per LCU-hour (a third-party page quoting the AWS table). */
const ALB_TOKYO =
  'https://aws.darcy-it.com/elb%E3%81%AE%E3%82%B3%E3%82%B9%E3%83%88%E6%96%99%E9%87%91/ ("時間(または1時間未満)あたり、0.0243USD / LCU時間…0.008USD"; third-party, the AWS table is rendered by script)';

/** A price read for one region. */
export interface RegionalPrice {
  readonly usd: number;
  readonly source: string;
  readonly asOf: string;
}

/** A unit price the estimate assumes. */
export interface UnitPrice {
  readonly key: string;
  readonly item: string;
  readonly unit: string;
  /** The us-east-1 price. */
  readonly usd: number;
  /** Where the us-east-1 price was read, and when (prices without one predate this field). */
  readonly source?: string;
  readonly asOf?: string;
  /** `global`: the same price in every region (the source says so). @default 'regional' */
  readonly scope?: 'regional' | 'global';
  /** Prices found for other regions. */
  readonly regional?: Readonly<Record<string, RegionalPrice>>;
}

/** The price of a unit in one region, and how sure it is. */
export interface ResolvedPrice {
  readonly key: string;
  readonly region: string;
  readonly item: string;
  readonly unit: string;
  readonly usd: number;
  readonly source?: string;
  readonly asOf?: string;
  /** Set when the price is not that region's own: what the reader must know. */
  readonly flag?: string;
}

/** Every unit the estimate prices, at its us-east-1 price, with the other regions found. */
export const UNIT_PRICES: readonly UnitPrice[] = [
  {
    key: 'nat',
    item: 'NAT gateway',
    unit: 'gateway-hour',
    usd: 0.045,
    regional: {
      'ap-northeast-1': {
        usd: 0.062,
        source:
          'https://awsi.click/en/articles/nat-gateway-cost-structure-avoidance/ ("In ap-northeast-1, it costs $0.062 per hour"; a third-party page: the AWS VPC pricing table is rendered by script)',
        asOf: READ_ON,
      },
    },
  },
  {
    key: 'ipv4',
    item: 'Public IPv4 address (EIP, ALB node)',
    unit: 'address-hour',
    usd: 0.005,
    // "US$0.005 per address ... in all AWS regions": the 2024 announcement as reported.
    source: 'https://www.techpartner.news/news/aws-to-charge-for-ipv4-addresses-598672',
    asOf: READ_ON,
    scope: 'global',
  },
  // Billed per endpoint per Availability Zone (one network interface per subnet), whether used or
  // not, plus $0.01/GB processed: https://aws.amazon.com/privatelink/pricing/
  { key: 'vpce', item: 'Interface VPC endpoint (PrivateLink)', unit: 'endpoint-AZ-hour', usd: 0.01 },
  {
    key: 'alb',
    item: 'Application Load Balancer (fixed part, LCUs extra)',
    unit: 'ALB-hour',
    usd: 0.0225,
    regional: { 'ap-northeast-1': { usd: 0.0243, source: ALB_TOKYO, asOf: READ_ON } },
  },
  { key: 'ec2:t4g.nano', item: 'EC2 t4g.nano on-demand', unit: 'instance-hour', usd: 0.0042 },
  { key: 'ec2:t4g.micro', item: 'EC2 t4g.micro on-demand', unit: 'instance-hour', usd: 0.0084 },
  { key: 'ec2:t4g.small', item: 'EC2 t4g.small on-demand', unit: 'instance-hour', usd: 0.0168 },
  { key: 'ec2:t4g.medium', item: 'EC2 t4g.medium on-demand', unit: 'instance-hour', usd: 0.0336 },
  { key: 'ec2:t4g.large', item: 'EC2 t4g.large on-demand', unit: 'instance-hour', usd: 0.0672 },
  { key: 'ebs', item: 'EBS gp3 storage', unit: 'GiB-month', usd: 0.08 },
  {
    key: 'acu',
    item: 'Aurora Serverless v2 capacity (upper end of $0.12–0.14)',
    unit: 'ACU-hour',
    usd: 0.14,
  },
  { key: 'secret', item: 'Secrets Manager secret or replica', unit: 'secret-month', usd: 0.4 },
  { key: 'kms', item: 'KMS customer-managed key', unit: 'key-month', usd: 1 },
  {
    key: 'waf-acl',
    item: 'WAF web ACL',
    unit: 'ACL-month',
    usd: 5,
    source: WAF_PRICES,
    asOf: READ_ON,
    scope: 'global',
  },
  {
    key: 'waf-rule',
    item: 'WAF rule (incl. AWS managed rule group)',
    unit: 'rule-month',
    usd: 1,
    source: WAF_PRICES,
    asOf: READ_ON,
    scope: 'global',
  },
  { key: 'alarm', item: 'CloudWatch standard-resolution alarm metric', unit: 'metric-month', usd: 0.1 },
  { key: 'alarm-hr', item: 'CloudWatch high-resolution alarm metric', unit: 'metric-month', usd: 0.3 },
  { key: 'composite', item: 'CloudWatch composite alarm', unit: 'alarm-month', usd: 0.5 },
  {
    key: 'dashboard',
    item: 'CloudWatch dashboard (first 3 per account free)',
    unit: 'dashboard-month',
    usd: 3,
  },
  {
    key: 'metric',
    item: 'CloudWatch custom metric (first 10,000; each namespace + name + dimension set, per region)',
    unit: 'metric-month',
    usd: 0.3,
    source: CLOUDWATCH_PRICES,
    asOf: READ_ON,
  },
  {
    key: 'cw-request',
    item: 'CloudWatch API requests (PutMetricData)',
    unit: '1,000 requests',
    usd: 0.01,
    source: CLOUDWATCH_PRICES,
    asOf: READ_ON,
  },
  { key: 'lambda-req', item: 'Lambda requests', unit: 'million requests', usd: 0.2 },
  { key: 'lambda-arm', item: 'Lambda compute, arm64', unit: 'GB-second', usd: 0.0000133334 },
  { key: 'lambda-x86', item: 'Lambda compute, x86_64', unit: 'GB-second', usd: 0.0000166667 },
  { key: 's3-list', item: 'S3 Standard LIST requests', unit: '1,000 requests', usd: 0.005 },
  {
    key: 'waf-req',
    item: 'WAF requests inspected (same price in every region)',
    unit: 'million requests',
    usd: 0.6,
    source: WAF_PRICES,
    asOf: READ_ON,
    scope: 'global',
  },
  {
    key: 'alb-lcu',
    item: 'ALB capacity unit (25 new connections/s)',
    unit: 'LCU-hour',
    usd: 0.008,
    source:
      'https://aws.amazon.com/elasticloadbalancing/pricing/ (its price table is rendered by script: $0.008 and the LCU dimensions as quoted by https://handbook.vantage.sh/aws/services/elb-pricing)',
    asOf: READ_ON,
    regional: { 'ap-northeast-1': { usd: 0.008, source: ALB_TOKYO, asOf: READ_ON } },
  },
  {
    key: 'hc-basic',
    item: 'Route 53 health check, AWS endpoint (basic; also CALCULATED and alarm-based)',
    unit: 'check-month',
    usd: 0.5,
  },
  {
    key: 'hc-option',
    item: 'Route 53 health check option (HTTPS, string match, fast interval, latency), AWS endpoint',
    unit: 'option-month',
    usd: 1,
  },
];

const BY_KEY = new Map(UNIT_PRICES.map((p) => [p.key, p]));

/**
 * The price of `key` in `region`: the region's own where found, the global price for a global unit,
 * else the us-east-1 price with a flag saying that no source was found for that region.
 */
export function priceIn(key: string, region: string): ResolvedPrice | undefined {
  const p = BY_KEY.get(key);
  if (!p) return undefined;
  const base = { key, region, item: p.item, unit: p.unit };
  const own = p.regional?.[region];
  if (own) return { ...base, usd: own.usd, source: own.source, asOf: own.asOf };
  const found = { ...base, usd: p.usd, source: p.source, asOf: p.asOf };
  if (region === 'us-east-1' || p.scope === 'global') return found;
  return {
    ...found,
    flag: PRICED_REGIONS.includes(region)
      ? `us-east-1 price; no source for ${region} found`
      : `us-east-1 price; ${region} is not in the price table`,
  };
}

/** Regions of the stacks that the price table was not researched for (the report warns about each). */
export function unpricedRegions(regions: readonly string[]): string[] {
  return [...new Set(regions)].filter((r) => !PRICED_REGIONS.includes(r)).sort();
}
