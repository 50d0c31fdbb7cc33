import { App, Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ACCOUNT, findingsOf, newApp, stackIn } from './helpers';

const HOME = 'eu-west-1';
const AWAY = 'eu-central-1';

/** A stack in HOME and one in AWAY; `order` says which deploys first. */
function twoRegions(order: 'home-first' | 'away-first'): { app: App; home: Stack; away: Stack } {
  const app = newApp();
  const home = stackIn(app, 'Home', HOME);
  const away = stackIn(app, 'Away', AWAY);
  if (order === 'home-first') away.addStackDependency(home);
  else home.addStackDependency(away);
  return { app, home, away };
}

/** A secret in HOME replicated to AWAY with the key alias that the AWAY stack creates. */
function replicatedSecret(order: 'home-first' | 'away-first'): App {
  const { app, home, away } = twoRegions(order);
  new kms.Alias(away, 'DataAlias', { aliasName: 'alias/data', targetKey: new kms.Key(away, 'Key') });
  new secretsmanager.CfnSecret(home, 'Secret', {
    name: 'db/master',
    replicaRegions: [
      {
        region: AWAY,
        kmsKeyId: Arn.format(
          {
            service: 'kms',
            region: AWAY,
            account: ACCOUNT,
            resource: 'alias/data',
            arnFormat: ArnFormat.NO_RESOURCE_NAME,
          },
          home,
        ),
      },
    ],
  });
  return app;
}

describe('Resilience-NameDeployOrder', () => {
  test('non-compliant: a secret replica encrypted with a key alias of a stack deployed later', () => {
    expect(findingsOf('NameDeployOrder', replicatedSecret('home-first'))).toEqual([
      `Resilience-NameDeployOrder[kms-alias:${AWAY}:alias/data] at Home/Secret`,
    ]);
  });

  test('compliant: the key alias is in a stack deployed earlier', () => {
    expect(findingsOf('NameDeployOrder', replicatedSecret('away-first'))).toEqual([]);
  });

  test('compliant: the order holds through an intermediate stack', () => {
    const app = newApp();
    const keys = stackIn(app, 'Keys', AWAY);
    const middle = stackIn(app, 'Middle', HOME);
    const home = stackIn(app, 'Home', HOME);
    middle.addStackDependency(keys);
    home.addStackDependency(middle);
    new kms.Alias(keys, 'DataAlias', { aliasName: 'alias/data', targetKey: new kms.Key(keys, 'Key') });
    new secretsmanager.CfnSecret(home, 'Secret', {
      name: 'db/master',
      replicaRegions: [{ region: AWAY, kmsKeyId: 'alias/data' }],
    });
    expect(findingsOf('NameDeployOrder', app)).toEqual([]);
  });

  test.each<['home-first' | 'away-first', string[]]>([
    ['home-first', [`Resilience-NameDeployOrder[backup-vault:${AWAY}:copies] at Home/Plan`]],
    ['away-first', []],
  ])('a backup copy to a vault of another region (%s)', (order, expected) => {
    const { app, home, away } = twoRegions(order);
    new backup.CfnBackupVault(away, 'Vault', { backupVaultName: 'copies' });
    new backup.CfnBackupPlan(home, 'Plan', {
      backupPlan: {
        backupPlanName: 'daily',
        backupPlanRule: [
          {
            ruleName: 'daily',
            targetBackupVault: 'local',
            copyActions: [
              {
                destinationBackupVaultArn: Arn.format(
                  {
                    service: 'backup',
                    region: AWAY,
                    resource: 'backup-vault',
                    resourceName: 'copies',
                    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                  },
                  home,
                ),
              },
            ],
          },
        ],
      },
    });
    expect(findingsOf('NameDeployOrder', app)).toEqual(expected);
  });

  test.each<['home-first' | 'away-first', string[]]>([
    ['home-first', []],
    ['away-first', [`Resilience-NameDeployOrder[alarm:${HOME}:drained] at Away/Check`]],
  ])('a Route 53 health check on an alarm of another region (%s)', (order, expected) => {
    const { app, home, away } = twoRegions(order);
    new cloudwatch.CfnAlarm(home, 'Alarm', {
      alarmName: 'drained',
      namespace: 'Shop',
      metricName: 'Drained',
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    new route53.CfnHealthCheck(away, 'Check', {
      healthCheckConfig: { type: 'CLOUDWATCH_METRIC', alarmIdentifier: { name: 'drained', region: HOME } },
    });
    expect(findingsOf('NameDeployOrder', app)).toEqual(expected);
  });

  test.each<['home-first' | 'away-first', string[]]>([
    ['home-first', []],
    ['away-first', ['Resilience-NameDeployOrder[rds-global-cluster:*:shop-global] at Away/Secondary']],
  ])('an Aurora secondary joining a global cluster by identifier (%s)', (order, expected) => {
    const { app, home, away } = twoRegions(order);
    new rds.CfnGlobalCluster(home, 'Global', {
      globalClusterIdentifier: 'shop-global',
      sourceDbClusterIdentifier: 'primary',
    });
    new rds.CfnDBCluster(away, 'Secondary', {
      engine: 'aurora-postgresql',
      globalClusterIdentifier: 'shop-global',
    });
    expect(findingsOf('NameDeployOrder', app)).toEqual(expected);
  });

  describe('Route 53 aliases to another record of the same zone', () => {
    function chain(dependency: boolean): App {
      const app = newApp();
      const stack = stackIn(app, 'Edge', 'us-east-1');
      const alias = (id: string, name: string, target: string) =>
        new route53.CfnRecordSet(stack, id, {
          hostedZoneId: 'Z123',
          name,
          type: 'A',
          aliasTarget: { hostedZoneId: 'Z123', dnsName: target },
        });
      const first = alias('First', 'shop.example.com', 'next.example.com');
      const next = new route53.CfnRecordSet(stack, 'Next', {
        hostedZoneId: 'Z123',
        name: 'next.example.com.',
        type: 'A',
        resourceRecords: ['192.0.2.1'],
        ttl: '60',
      });
      if (dependency) first.addResourceDependency(next);
      return app;
    }

    test('non-compliant: the target record is created in parallel (no dependency)', () => {
      expect(findingsOf('NameDeployOrder', chain(false))).toEqual([
        'Resilience-NameDeployOrder[dns:Z123:next.example.com] at Edge/First',
      ]);
    });

    test('compliant: the alias depends on its target record', () => {
      expect(findingsOf('NameDeployOrder', chain(true))).toEqual([]);
    });

    test('an alias to an AWS resource (another zone) is not a name of the app', () => {
      const app = newApp();
      new route53.CfnRecordSet(stackIn(app, 'Edge', 'us-east-1'), 'Cdn', {
        hostedZoneId: 'Z123',
        name: 'shop.example.com',
        type: 'A',
        aliasTarget: { hostedZoneId: 'Z2FDTNDATAQYW2', dnsName: 'd111111abcdef8.cloudfront.net' },
      });
      expect(findingsOf('NameDeployOrder', app)).toEqual([]);
    });
  });

  test('a name the app does not create (an existing resource) is not judged', () => {
    const app = newApp();
    new secretsmanager.CfnSecret(stackIn(app, 'Home', HOME), 'Secret', {
      replicaRegions: [{ region: AWAY, kmsKeyId: 'alias/created-by-hand' }],
    });
    expect(findingsOf('NameDeployOrder', app)).toEqual([]);
  });
});
