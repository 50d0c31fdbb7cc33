import { Match } from 'aws-cdk-lib/assertions';
import { PAYMENT_ALARM_SHAPE, unknownsAlarmMinutes } from '../lib/payments/payment-alarms';
import { shopPayments } from '../lib/payments/regional-payments';
import {
  dataKeyOf,
  envLine,
  idOf,
  instanceStatements,
  PRIMARY,
  regionalFixture,
  STANDBY,
  userDataText,
} from './support/regional-templates';
import { resourcesOf } from './support/synth';

const { config, names, templates, regional, arn } = regionalFixture();

describe('provider secrets: created in the primary, replicated like the database secret', () => {
  const t = regional(PRIMARY);
  const dataKey = dataKeyOf(t);

  test.each(
    config.payments.providers.flatMap((p) => [
      [p.id, `resilient-shop/payments/${p.id}`],
      [`${p.id} (test keys of the canary's test payment)`, `resilient-shop/payments/${p.id}/test`],
    ]),
  )('%s', (_id, name) => {
    t.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        Name: name,
        KmsKeyId: { 'Fn::GetAtt': [dataKey, 'Arn'] },
        // The standby's replica uses its foundation stack's replica key, named by alias.
        ReplicaRegions: [{ Region: STANDBY, KmsKeyId: arn('kms', STANDBY, 'alias/resilient-shop-replicas') }],
        GenerateSecretString: {
          SecretStringTemplate: '{"configured":false}',
          GenerateStringKey: 'placeholder',
          ExcludePunctuation: true,
          PasswordLength: 64,
        },
      },
    });
  });

  test('the standby creates no secret of its own: it has the replicas', () => {
    expect(
      resourcesOf(regional(STANDBY), 'AWS::SecretsManager::Secret').map(([, r]) => r.Properties.Name),
    ).toEqual([]);
  });

  test('the test-signing key is replicated to the standby (replica key) and to the edge region (AWS managed key)', () => {
    t.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        Name: 'resilient-shop/test-signing',
        KmsKeyId: { 'Fn::GetAtt': [dataKey, 'Arn'] },
        ReplicaRegions: [
          { Region: STANDBY, KmsKeyId: arn('kms', STANDBY, 'alias/resilient-shop-replicas') },
          { Region: 'us-east-1' },
        ],
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'key', PasswordLength: 64 }),
      },
    });
  });
});

describe.each([PRIMARY, STANDBY])('regional stack %s', (region) => {
  const t = regional(region);

  test('the operator switch exists with exactly these properties (a change would let a deploy rewrite it to [])', () => {
    const params = resourcesOf(t, 'AWS::SSM::Parameter').filter(
      ([, r]) => r.Properties.Name === '/resilient-shop/payments/disabled',
    );
    expect(params).toHaveLength(1);
    expect(params[0][0]).toMatch(/^PaymentsSwitch/);
    expect(params[0][1].Properties).toEqual({
      Name: '/resilient-shop/payments/disabled',
      Type: 'String',
      Value: '[]',
      Tier: 'Standard',
      Description:
        'Payments operator switch: JSON array of provider:<id> / method:<method> the shop stops offering. Written by shopctl payments, never by a deploy.',
    });
  });

  test("the game day's fault switch exists as {} with exactly these properties (a deploy never rewrites it)", () => {
    const params = resourcesOf(t, 'AWS::SSM::Parameter').filter(
      ([, r]) => r.Properties.Name === '/resilient-shop/payments/drill-fault',
    );
    expect(params).toHaveLength(1);
    expect(params[0][0]).toMatch(/^PaymentsDrillFault/);
    expect(params[0][1].Properties).toEqual({
      Name: '/resilient-shop/payments/drill-fault',
      Type: 'String',
      Value: '{}',
      Tier: 'Standard',
      Description:
        'Payment game day fault switch: {} or {provider, mode, until}; the shop makes its calls to that provider fail until then. Written by shopctl drill payment-provider-outage, never by a deploy.',
    });
    expect(shopPayments(config).faultParameter).toBe('/resilient-shop/payments/drill-fault');
    expect(shopPayments(config).providers.map((p) => p.testSecretName)).toEqual([
      'resilient-shop/payments/toss/test',
      'resilient-shop/payments/kakaopay/test',
    ]);
  });

  test('the instances read exactly the provider secrets, the test-signing key and the switch here, and publish only payment metrics', () => {
    const statements = instanceStatements(t);
    // One statement (CDK merges statements that differ only in resources), each name exact.
    expect(statements).toContainEqual({
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: [
        arn('secretsmanager', region, 'secret:resilient-shop/payments/kakaopay-??????'),
        arn('secretsmanager', region, 'secret:resilient-shop/payments/kakaopay/test-??????'),
        arn('secretsmanager', region, 'secret:resilient-shop/payments/toss-??????'),
        arn('secretsmanager', region, 'secret:resilient-shop/payments/toss/test-??????'),
        arn('secretsmanager', region, 'secret:resilient-shop/test-signing-??????'),
      ],
    });
    expect(statements).toContainEqual({
      Action: 'ssm:GetParameter',
      Effect: 'Allow',
      Resource: [
        arn('ssm', region, 'parameter/resilient-shop/payments/disabled'),
        arn('ssm', region, 'parameter/resilient-shop/payments/drill-fault'),
      ],
    });
    expect(statements).toContainEqual({
      Action: 'cloudwatch:PutMetricData',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'resilient-shop/payments' } },
      Effect: 'Allow',
      Resource: '*',
    });
    // Nothing may write the switch or any parameter but through shopctl.
    expect(JSON.stringify(statements)).not.toMatch(/ssm:PutParameter|secretsmanager:PutSecretValue/);
  });

  test('SHOP_PAYMENTS and the signing secret name are in the environment the instances write', () => {
    const line = envLine(t, 'SHOP_PAYMENTS');
    expect(line).toBeDefined();
    expect(JSON.parse(line!.slice(1, -1))).toEqual(shopPayments(config));
    expect(shopPayments(config).providers.map((p) => [p.id, p.secretName])).toEqual([
      ['toss', 'resilient-shop/payments/toss'],
      ['kakaopay', 'resilient-shop/payments/kakaopay'],
    ]);
    expect(shopPayments(config).switchParameter).toBe('/resilient-shop/payments/disabled');
    expect(userDataText(t)).toContain('\nSHOP_TEST_SIGNING_SECRET_NAME=resilient-shop/test-signing\n');
  });

  const topic = () => idOf(t, 'AWS::SNS::Topic', { TopicName: 'resilient-shop-alarms' });

  test.each([
    ['toss', 'card'],
    ['toss', 'easy-pay'],
    ['kakaopay', 'easy-pay'],
  ])(
    'approval rate of %s %s: below 80 %% at 20 attempts or more, 2 of 3 minutes, notifies',
    (provider, method) => {
      const dims = [
        { Name: 'Method', Value: method },
        { Name: 'Provider', Value: provider },
        { Name: 'Region', Value: region },
      ];
      const stat = (id: string, metricName: string) => ({
        Id: id,
        MetricStat: {
          Metric: { Dimensions: dims, MetricName: metricName, Namespace: 'resilient-shop/payments' },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      });
      const found = resourcesOf(t, 'AWS::CloudWatch::Alarm').filter(
        ([, r]) =>
          r.Properties.AlarmName === `resilient-shop-payments-approval-${region}-${provider}-${method}`,
      );
      expect(found).toHaveLength(1);
      const p = found[0][1].Properties;
      expect(p).toMatchObject({
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 80,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topic() }],
        OKActions: [{ Ref: topic() }],
      });
      expect(p.Metrics).toEqual([
        {
          Expression: 'IF(eligible >= 20, 100 * FILL(approvals, 0) / eligible, 100)',
          Id: 'expr_1',
          Label: `Approval rate % of ${provider} ${method} (customer declines excluded)`,
          ReturnData: true,
        },
        { Expression: 'FILL(attempts, 0) - FILL(declines, 0)', Id: 'eligible', ReturnData: false },
        stat('attempts', 'Attempts'),
        stat('declines', 'CustomerDeclines'),
        stat('approvals', 'Approvals'),
      ]);
    },
  );

  test('no approval alarm for a method a provider does not offer', () => {
    t.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { AlarmName: Match.stringLikeRegexp('payments-approval') },
      3,
    );
    expect(
      Object.keys(
        t.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: `resilient-shop-payments-approval-${region}-kakaopay-card` },
        }),
      ),
    ).toEqual([]);
  });

  test('unresolved unknowns >= 3 for 3 minutes (two reconciler runs) notifies', () => {
    expect(unknownsAlarmMinutes(60)).toBe(3);
    expect(unknownsAlarmMinutes(300)).toBe(10);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `resilient-shop-payments-unknowns-${region}`,
      Namespace: 'resilient-shop/payments',
      MetricName: 'UnresolvedUnknowns',
      Dimensions: [{ Name: 'Region', Value: region }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 3,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic() }],
    });
  });

  test('no online method on any instance for 2 minutes pages', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `resilient-shop-payments-online-down-${region}`,
      AlarmDescription: Match.stringLikeRegexp('^PAGE: no online payment method'),
      Namespace: 'resilient-shop/payments',
      MetricName: 'OnlineMethodsAvailable',
      Dimensions: [{ Name: 'Region', Value: region }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
      EvaluationPeriods: PAYMENT_ALARM_SHAPE.onlineDown.evaluationPeriods,
      DatapointsToAlarm: PAYMENT_ALARM_SHAPE.onlineDown.datapointsToAlarm,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic() }],
      OKActions: [{ Ref: topic() }],
    });
  });

  test('the canary reads its local copy of the test-signing key and knows its name', () => {
    const fn = resourcesOf(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith('CanaryHandler'))!;
    expect(JSON.parse(fn[1].Properties.Environment.Variables.CANARY_CONFIG).signingSecretName).toBe(
      'resilient-shop/test-signing',
    );
    const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
      id.startsWith('CanaryHandlerPolicy'),
    )!;
    const statements = policy[1].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: arn('secretsmanager', region, 'secret:resilient-shop/test-signing-??????'),
    });
    const decrypt = statements.filter((s: any) => s.Action === 'kms:Decrypt');
    expect(decrypt).toHaveLength(1);
    if (region === PRIMARY) {
      expect(decrypt[0].Resource).toEqual({ 'Fn::GetAtt': [idOf(t, 'AWS::KMS::Key', {}), 'Arn'] });
    } else {
      expect(decrypt[0].Condition).toEqual({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/resilient-shop-replicas' },
        StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      });
    }
  });
});

test('the edge canary reads the us-east-1 replica of the test-signing key and needs no key grant (AWS managed key)', () => {
  const t = templates[names.edgeStack()];
  const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
    id.startsWith('CanaryHandlerPolicy'),
  )!;
  const statements = policy[1].Properties.PolicyDocument.Statement;
  expect(statements).toContainEqual({
    Action: 'secretsmanager:GetSecretValue',
    Effect: 'Allow',
    Resource: arn('secretsmanager', 'us-east-1', 'secret:resilient-shop/test-signing-??????'),
  });
  expect(statements.filter((s: any) => s.Action === 'kms:Decrypt')).toEqual([]);
});
