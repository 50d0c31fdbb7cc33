/**
 * Aurora PostgreSQL versions this app can deploy: a new cluster must be creatable with the version
 * (not retired by RDS), run Aurora Serverless v2 instances, and join an Aurora Global Database.
 *
 * Kept by hand, as of 2026-11-26, from:
 * - the versions aws-cdk-lib 2.276.0 lists in `AuroraPostgresEngineVersion` without a
 *   "no longer supported by Amazon RDS" deprecation (node_modules/aws-cdk-lib/aws-rds/lib/cluster-engine.d.ts);
 * - Serverless v2 floors per major (13.6, 14.3, 15.2, 16.1, 17.4):
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html
 * - Global Database floors per major (all lower than the Serverless v2 ones):
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase.html
 *
 * Availability also varies by region; `aws rds describe-orderable-db-instance-options --engine
 * aurora-postgresql --db-instance-class db.serverless --region R` is the authority for a region
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.requirements.html).
 * To add a version: check both pages above, add it here, and update the date.
 */
export const AURORA_POSTGRES_VERSIONS_AS_OF = '2026-11-26';

/** Supported versions, oldest first. */
export const AURORA_POSTGRES_VERSIONS: readonly string[] = [
  '13.9',
  '13.16',
  '13.23',
  '14.6',
  '14.13',
  '14.15',
  '14.17',
  '14.18',
  '14.19',
  '14.20',
  '14.22',
  '15.8',
  '15.10',
  '15.12',
  '15.13',
  '15.14',
  '15.15',
  '15.17',
  '16.4',
  '16.6',
  '16.8',
  '16.9',
  '16.10',
  '16.11',
  '16.13',
  '17.4',
  '17.5',
  '17.6',
  '17.7',
  '17.9',
];

function parts(v: string): [number, number] {
  const [major, minor] = v.split('.').map(Number);
  return [major, minor ?? 0];
}

/**
 * The supported versions nearest to `version`: the same major's closest minors first (a change of
 * major is an upgrade project, not a typo), else the closest majors' newest.
 */
export function nearestAuroraVersions(version: string, count = 3): string[] {
  const [major, minor] = parts(version);
  const distance = (v: string) => {
    const [ma, mi] = parts(v);
    return Math.abs(ma - major) * 1000 + Math.abs(mi - minor);
  };
  return [...AURORA_POSTGRES_VERSIONS]
    .sort((a, b) => distance(a) - distance(b) || parts(b)[1] - parts(a)[1])
    .slice(0, count);
}
