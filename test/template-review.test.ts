import { Match } from 'aws-cdk-lib/assertions';
import { Names } from '../lib/config/names';
import { loadConfig } from '../lib/config/load';
import { resourcesOf, sharedTemplates } from './support/synth';

// Failure paths found in review of the templates: each test names the AWS behaviour it rests on
// (sources in docs/template-review.md).
// loadConfig('default'), as the other template suites: testConfig() names the config "test", and
// sharedTemplates keys on the whole config, so it synthesized the same app a second time.
const config = loadConfig('default');
const names = new Names(config);
// The default app's templates, synthesized once per Jest run for every suite that only reads them.
const templates = sharedTemplates(config);
const standby = config.regions.find((r) => r.role === 'standby')!.name;

describe('secret replicas after a rotation', () => {
  test.each(config.regions.map((r) => r.name))(
    'the replica key in %s lets Secrets Manager of that region (any caller of this account, such as the rotation function) re-encrypt a rotated version',
    (region) => {
      const t = templates[names.foundationStack(region)];
      const key = resourcesOf(t, 'AWS::KMS::Key')[0][1];
      const statement = key.Properties.KeyPolicy.Statement.find(
        (s: any) => s.Sid === 'AllowSecretsManagerReplicationInThisRegion',
      );
      expect(statement).toEqual({
        Sid: 'AllowSecretsManagerReplicationInThisRegion',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:CallerAccount': config.account,
            'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
          },
        },
      });
    },
  );
});

describe('warm pool size', () => {
  test.each(config.regions.map((r) => [r.name, r.web.warmPoolMinSize] as const))(
    'the warm pool in %s holds exactly %d instances (MaxGroupPreparedCapacity = MinSize), not MaxSize − desired',
    (region, size) => {
      const t = templates[names.regionalStack(region)];
      t.hasResourceProperties('AWS::AutoScaling::WarmPool', {
        MinSize: size,
        MaxGroupPreparedCapacity: size,
        PoolState: 'Stopped',
      });
    },
  );
});

describe('a failed cross-region backup copy pages the on-call', () => {
  test.each(config.regions.map((r) => r.name))(
    'in %s: an EventBridge rule on AWS Backup copy jobs that fail publishes to the alarm topic, whose key lets EventBridge publish',
    (region) => {
      const t = templates[names.regionalStack(region)];
      const rules = resourcesOf(t, 'AWS::Events::Rule').filter(
        ([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'Copy Job State Change',
      );
      expect(rules).toHaveLength(1);
      const rule = rules[0][1].Properties;
      expect(rule.EventPattern).toEqual({
        source: ['aws.backup'],
        'detail-type': ['Copy Job State Change'],
        detail: {
          $or: [{ state: ['FAILED', 'ABORTED', 'PARTIAL'] }, { status: ['FAILED', 'ABORTED', 'PARTIAL'] }],
        },
      });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn.Ref).toMatch(/^AlarmsTopic/);
      expect(JSON.stringify(rule.Targets[0].InputTransformer)).toContain('AWS Backup copy job failed');
      t.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'AllowEventBridgeToPublishToEncryptedTopics',
              Principal: { Service: 'events.amazonaws.com' },
            }),
          ]),
        },
      });
    },
  );
});

test("every Route 53 health check carries the app name, so shopctl never takes another deployment's check", () => {
  const checks = Object.values(templates).flatMap((t) => resourcesOf(t, 'AWS::Route53::HealthCheck'));
  expect(checks.length).toBeGreaterThan(0);
  for (const [id, hc] of checks) {
    expect([id, hc.Properties.HealthCheckTags]).toEqual([
      id,
      expect.arrayContaining([{ Key: Names.HEALTH_CHECK_APP_TAG, Value: config.appName }]),
    ]);
  }
});

void standby;
