import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { parseNotifySwitchValue } from '../lib/contract/notify';
import { NOTIFY_ALARM_SHAPE } from '../lib/notify/notify-alarms';
import { NOTIFY_SWITCH_INITIAL, sendEmailStatement, shopNotify } from '../lib/notify/regional-notify';
import { leaseOf, parseNotify } from '../shop/src/notify/config';
import {
  dataKeyOf,
  envLine,
  idOf,
  instanceStatements,
  PRIMARY,
  regionalFixture,
  STANDBY,
} from './support/regional-templates';
import { resourcesOf, testConfig } from './support/synth';

const { config, regional, arn } = regionalFixture();

describe('channel secrets: NHN channels only, created in the primary, replicated like the payment secrets', () => {
  const t = regional(PRIMARY);
  const dataKey = dataKeyOf(t);

  test.each(['alimtalk', 'sms'])('%s', (id) => {
    t.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Name: `resilient-shop/notify/${id}`,
        KmsKeyId: { 'Fn::GetAtt': [dataKey, 'Arn'] },
        ReplicaRegions: [{ Region: STANDBY, KmsKeyId: arn('kms', STANDBY, 'alias/resilient-shop-replicas') }],
        GenerateSecretString: {
          SecretStringTemplate: '{"configured":false}',
          GenerateStringKey: 'placeholder',
          ExcludePunctuation: true,
          PasswordLength: 64,
        },
        Description: Match.stringLikeRegexp(`^Secret key of notification channel ${id} `),
      },
    });
  });

  test('no secret for e-mail (SES is called with the instance role), none in the standby', () => {
    const notifySecrets = (r: string) =>
      resourcesOf(regional(r), 'AWS::SecretsManager::Secret')
        .map(([, s]) => s.Properties.Name as string)
        .filter((n) => n.startsWith('resilient-shop/notify/'));
    expect(notifySecrets(PRIMARY)).toEqual(['resilient-shop/notify/alimtalk', 'resilient-shop/notify/sms']);
    expect(notifySecrets(STANDBY)).toEqual([]);
  });

  test('the logical ids of the channel secrets are fixed by the channel id', () => {
    const ids = resourcesOf(t, 'AWS::SecretsManager::Secret')
      .filter(([, s]) => String(s.Properties.Name).startsWith('resilient-shop/notify/'))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(ids).toEqual(['NotifyChannelalimtalkSecret', 'NotifyChannelsmsSecret']);
  });
});

describe.each([PRIMARY, STANDBY])('regional stack %s', (region) => {
  const t = regional(region);
  const topic = () => idOf(t, 'AWS::SNS::Topic', { TopicName: 'resilient-shop-alarms' });

  test('the switch exists with exactly these properties (a change would let a deploy rewrite it to [])', () => {
    const params = resourcesOf(t, 'AWS::SSM::Parameter').filter(
      ([, r]) => r.Properties.Name === '/resilient-shop/notify/disabled',
    );
    expect(params).toHaveLength(1);
    expect(params[0][0]).toMatch(/^NotifySwitch[0-9A-F]{8}$/);
    expect(params[0][1].Properties).toEqual({
      Name: '/resilient-shop/notify/disabled',
      Type: 'String',
      Value: '[]',
      Tier: 'Standard',
      Description:
        'Notifications operator switch: JSON array of channel ids the shop stops sending through. Written by shopctl channels, never by a deploy.',
    });
    expect(parseNotifySwitchValue(NOTIFY_SWITCH_INITIAL)).toEqual([]);
  });

  test('the instances read exactly the channel secrets and the switch here, send only as the configured identity, and publish only notice metrics', () => {
    const statements = instanceStatements(t);
    const notify = statements.filter((s) => String(s.Sid).startsWith('Notify'));
    expect(notify).toEqual([
      {
        Sid: 'NotifySecrets',
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: [
          arn('secretsmanager', region, 'secret:resilient-shop/notify/alimtalk-??????'),
          arn('secretsmanager', region, 'secret:resilient-shop/notify/sms-??????'),
        ],
      },
      {
        Sid: 'NotifySwitch',
        Action: 'ssm:GetParameter',
        Effect: 'Allow',
        Resource: arn('ssm', region, 'parameter/resilient-shop/notify/disabled'),
      },
      {
        Sid: 'NotifyMetrics',
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'resilient-shop/notify' } },
        Effect: 'Allow',
        Resource: '*',
      },
      {
        Sid: 'NotifySendEmail',
        Action: 'ses:SendEmail',
        Effect: 'Allow',
        Resource: [
          arn('ses', region, 'identity/orders@shop.example.com'),
          arn('ses', region, 'identity/shop.example.com'),
        ],
      },
    ]);
    // Nothing may write the switch or a secret but through shopctl and the operator.
    expect(JSON.stringify(statements)).not.toMatch(/ssm:PutParameter|secretsmanager:PutSecretValue/);
  });

  test('SHOP_NOTIFY in the environment the instances write is shopNotify(config)', () => {
    const line = envLine(t, 'SHOP_NOTIFY');
    expect(line).toBeDefined();
    expect(JSON.parse(line!.slice(1, -1))).toEqual(shopNotify(config));
  });

  test(`oldest unsent notice above 300 s in ${NOTIFY_ALARM_SHAPE.datapointsToAlarm} of ${NOTIFY_ALARM_SHAPE.evaluationPeriods} minutes pages; missing data is not breaching`, () => {
    const found = resourcesOf(t, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.AlarmName === `resilient-shop-notify-oldest-unsent-${region}`,
    );
    expect(found).toHaveLength(1);
    expect(found[0][1].Properties).toEqual({
      AlarmName: `resilient-shop-notify-oldest-unsent-${region}`,
      AlarmDescription: `PAGE: a customer notice in ${region} has waited more than 300 s to be sent, in each of the last 3 minutes: every channel it can use is failing, switched off or open. Customers are not being told about their orders. Run: npx shopctl channels status`,
      Namespace: 'resilient-shop/notify',
      MetricName: 'OldestUnsentAgeSeconds',
      Dimensions: [{ Name: 'Region', Value: region }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic() }],
      OKActions: [{ Ref: topic() }],
    });
  });

  test('no notice metrics while the shop has a healthy host, 3 minutes: the composite pages; its parts do not', () => {
    const silent = idOf(t, 'AWS::CloudWatch::Alarm', {
      AlarmName: `resilient-shop-notify-silent-${region}`,
    });
    const up = idOf(t, 'AWS::CloudWatch::Alarm', { AlarmName: `resilient-shop-notify-shop-up-${region}` });
    const alarms = t.findResources('AWS::CloudWatch::Alarm');
    expect(alarms[silent].Properties).toMatchObject({
      Namespace: 'resilient-shop/notify',
      MetricName: 'OldestUnsentAgeSeconds',
      Dimensions: [{ Name: 'Region', Value: region }],
      Statistic: 'SampleCount',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
    expect(alarms[up].Properties).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    for (const id of [silent, up]) {
      expect(alarms[id].Properties.AlarmActions).toBeUndefined();
      expect(alarms[id].Properties.OKActions).toBeUndefined();
    }
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: `resilient-shop-notify-unmeasured-${region}`,
      AlarmDescription: Match.stringLikeRegexp(
        `^PAGE: the shop in ${region} is up but has published no notice metrics`,
      ),
      AlarmRule: {
        'Fn::Join': [
          '',
          [
            '(ALARM("',
            { 'Fn::GetAtt': [silent, 'Arn'] },
            '") AND ALARM("',
            { 'Fn::GetAtt': [up, 'Arn'] },
            '"))',
          ],
        ],
      },
      AlarmActions: [{ Ref: topic() }],
      OKActions: [{ Ref: topic() }],
    });
  });
});

describe('shopNotify: what the web tier writes to SHOP_NOTIFY', () => {
  test('channels in config order, NHN ones with their secret name, times in ms, the switch and the namespace', () => {
    const n = shopNotify(config)!;
    expect(n.channels.map((c) => [c.id, c.kind, c.secretName])).toEqual([
      ['alimtalk', 'nhn-alimtalk', 'resilient-shop/notify/alimtalk'],
      ['sms', 'nhn-sms', 'resilient-shop/notify/sms'],
      ['email', 'ses', undefined],
    ]);
    expect('secretName' in n.channels[2]).toBe(false);
    expect(n.channels[2]).toEqual({
      id: 'email',
      kind: 'ses',
      from: '"Resilient Shop" <orders@shop.example.com>',
    });
    expect(n).toMatchObject({
      deadlineMs: 5000,
      leaseMs: 60000,
      dispatchEverySeconds: 5,
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 30000 },
      switchParameter: '/resilient-shop/notify/disabled',
      namespace: 'resilient-shop/notify',
    });
  });

  test("the shop's own parser takes it as written: channels, lease, breaker, switch, namespace", () => {
    const written = shopNotify(
      testConfig((r) => (r.notifications.channels[2].configurationSet = 'shop-notices')),
    )!;
    const parsed = parseNotify(JSON.stringify(written))!;
    expect(parsed.channels).toEqual(written.channels);
    expect(leaseOf(parsed)).toBe(60_000);
    expect(parsed).toMatchObject({
      deadlineMs: 5000,
      dispatchEverySeconds: 5,
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 30_000 },
      switchParameter: '/resilient-shop/notify/disabled',
      namespace: 'resilient-shop/notify',
    });
  });

  test('without notifications nothing is written and nothing is created (the shop sends no notice)', () => {
    const c = testConfig((r) => delete r.notifications);
    expect(shopNotify(c)).toBeUndefined();
  });
});

describe('sendEmailStatement: the SES grant', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '111111111111', region: 'ap-northeast-2' } });
  const json = (channels: Parameters<typeof sendEmailStatement>[1]) =>
    stack.resolve(sendEmailStatement(stack, channels)?.toStatementJson());
  const sesArn = (resource: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ses:ap-northeast-2:111111111111:${resource}`]],
  });

  test('with a configuration set: the domain, the address and the configuration set, nothing else', () => {
    expect(
      json([{ kind: 'ses', from: 'Shop <orders@mail.shop.example.com>', configurationSet: 'shop-notices' }]),
    ).toEqual({
      Sid: 'NotifySendEmail',
      Action: 'ses:SendEmail',
      Effect: 'Allow',
      Resource: [
        sesArn('identity/mail.shop.example.com'),
        sesArn('identity/orders@mail.shop.example.com'),
        sesArn('configuration-set/shop-notices'),
      ],
    });
  });

  test('no SES channel: no statement', () => {
    expect(json([{ kind: 'nhn-sms' }])).toBeUndefined();
  });
});
