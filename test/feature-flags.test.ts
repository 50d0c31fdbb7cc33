import * as fs from 'node:fs';
import * as path from 'node:path';

const recommended: Record<string, unknown> = JSON.parse(
  fs.readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
);
const context: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;

/**
 * Flags deliberately not at aws-cdk-lib's recommended value; docs/review.md ("Feature flags") gives each
 * reason. Adding one here without a reason there is a review finding.
 */
const DEPARTURES: Record<string, unknown> = {
  '@aws-cdk/core:enablePartitionLiterals': false,
  '@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments': false,
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false,
};

describe('feature flags (cdk.json)', () => {
  test('every flag aws-cdk-lib recommends is set, as `cdk init` would, so synth has nothing unconfigured', () => {
    const missing = Object.keys(recommended).filter((k) => !(k in context));
    expect(missing).toEqual([]);
  });

  test('every departure from the recommended value is one of the documented ones', () => {
    const departures = Object.fromEntries(
      Object.entries(recommended)
        .filter(([k, v]) => JSON.stringify(context[k]) !== JSON.stringify(v))
        .map(([k]) => [k, context[k]]),
    );
    expect(departures).toEqual(DEPARTURES);
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'review.md'), 'utf8');
    for (const flag of Object.keys(DEPARTURES)) expect(doc).toContain(`\`${flag}\``);
  });
});
