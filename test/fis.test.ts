/**
 * FIS experiment templates of every regional stack: one per game-day scenario, each with its own
 * least-privilege role, the game-day brake alarm as stop condition, logs to an encrypted one-year
 * log group, tags; and nothing that starts an experiment at deploy time. With
 * `gameDays.lambdaFaultInjection`, the FIS Lambda extension on the canary and the switch publisher
 * and their fault experiments; without it, neither.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { GAME_DAY_TARGET_TAG, GameDayExperiments } from '../lib/fis/game-day-experiments';
import { SCENARIO_IDS, SCENARIO_TAG } from '../lib/fis/scenarios';
import { resourcesOf, sharedTemplates, testConfig } from './support/synth';

const config = loadConfig('default');
const names = new Names(config);
// The default app's templates, synthesized once per Jest run for every suite that only reads them.
const templates = sharedTemplates(config);
/**
 * The same app with the FIS Lambda extension on (off by default); shared with test/report.test.ts,
 * which prices the extension's polling from the same templates.
 */
const onConfig = testConfig((raw) => {
  raw.gameDays = { lambdaFaultInjection: true };
});
const on = sharedTemplates(onConfig);

const regions = config.regions.map((r) => [r.name, r.role] as const);

/** Experiment templates of a region by scenario id. */
function experiments(region: string, set: Record<string, Template> = templates): Record<string, any> {
  const t = set[names.regionalStack(region)];
  return Object.fromEntries(
    resourcesOf(t, 'AWS::FIS::ExperimentTemplate').map(([, r]) => [
      r.Properties.Tags[SCENARIO_TAG],
      r.Properties,
    ]),
  );
}

/** Logical id of the resource whose properties are `props`. */
function logicalIdOf(
  region: string,
  type: string,
  pred: (p: any) => boolean,
  set: Record<string, Template> = templates,
): string {
  const hit = resourcesOf(set[names.regionalStack(region)], type).find(([, r]) => pred(r.Properties));
  if (!hit) throw new Error(`no ${type} matching in ${region}`);
  return hit[0];
}

/** Statements of the managed policy attached to the role of an experiment. */
function statementsOf(region: string, experiment: any, set: Record<string, Template> = templates): any[] {
  const roleId = experiment.RoleArn['Fn::GetAtt'][0];
  const policies = resourcesOf(set[names.regionalStack(region)], 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
    (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
  );
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

const actionsOf = (statements: any[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe.each(regions)('game-day experiments in %s (%s)', (region, role) => {
  const t = templates[names.regionalStack(region)];
  const x = experiments(region);
  const brake = logicalIdOf(
    region,
    'AWS::CloudWatch::Alarm',
    (p) => p.AlarmName === names.gameDayBrakeAlarm(),
  );
  const logGroup = logicalIdOf(
    region,
    'AWS::Logs::LogGroup',
    (p) => p.LogGroupName === `/${config.appName}/game-days`,
  );

  test('one template per scenario; Aurora failover only where the writer lives; Lambda faults only when on', () => {
    const expected = [
      'az-power-interruption',
      'web-instance-loss',
      ...(role === 'primary' ? ['database-failover'] : []),
      'database-network-disruption',
      'region-unreachable',
    ];
    expect(Object.keys(x).sort()).toEqual([...expected].sort());
    const withLambda = [...expected, 'canary-failure', 'switch-publisher-failure'];
    expect(Object.keys(experiments(region, on)).sort()).toEqual(withLambda.sort());
    // Every template the stacks can hold is a scenario `shopctl drill` accepts.
    for (const id of withLambda) expect(SCENARIO_IDS).toContain(id);
  });

  test('the brake: a metric alarm, public failing from two vantage points in the same minutes, M of N, silent', () => {
    const vantages = names.canaryVantages();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.gameDayBrakeAlarm(),
      Metrics: [
        {
          Id: 'expr_1',
          Expression: 'FILL(v0, 0) + FILL(v1, 0) + FILL(v2, 0)',
          Label: 'Vantage points failing on public',
          ReturnData: true,
        },
        ...vantages.map((vantage, i) => ({
          Id: `v${i}`,
          MetricStat: {
            Metric: {
              Namespace: names.canaryNamespace(),
              MetricName: 'TargetFailed',
              Dimensions: [
                { Name: 'Target', Value: 'public' },
                { Name: 'Vantage', Value: vantage },
              ],
            },
            Period: 60 * config.canary.scheduleMinutes,
            Stat: 'Maximum',
          },
          ReturnData: false,
        })),
      ],
      Threshold: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: config.canary.evaluationPeriods,
      DatapointsToAlarm: config.canary.failuresToAlarm,
      TreatMissingData: 'notBreaching',
    });
    const props = t.toJSON().Resources[brake].Properties;
    // It stops experiments; the page stays with the composite alarm.
    expect(props.AlarmActions).toBeUndefined();
    expect(props.OKActions).toBeUndefined();
    expect(vantages).toHaveLength(3);
    // The composite paging alarm is unchanged and still pages.
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: names.canaryConsensusAlarm('public'),
      AlarmActions: [Match.anyValue()],
    });
  });

  test('every template: stops on the brake alarm, logs to the encrypted one-year group, tags, own role', () => {
    const roles = new Set<string>();
    for (const [id, e] of Object.entries<any>({ ...x, ...experiments(region, on) })) {
      expect(e.StopConditions).toEqual([
        { Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [brake, 'Arn'] } },
      ]);
      expect(e.LogConfiguration).toEqual({
        LogSchemaVersion: 2,
        CloudWatchLogsConfiguration: { LogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
      });
      expect(e.Tags).toEqual({ Name: `${config.appName} ${region} ${id}`, [SCENARIO_TAG]: id });
      expect(e.ExperimentOptions).toEqual({
        AccountTargeting: 'single-account',
        EmptyTargetResolutionMode: 'fail',
      });
      roles.add(e.RoleArn['Fn::GetAtt'][0]);
    }
    expect(roles.size).toBe(Object.keys(x).length + 2);
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/${config.appName}/game-days`,
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
  });

  test('roles trust only FIS experiments of this account', () => {
    for (const e of Object.values<any>(x)) {
      const roleId = e.RoleArn['Fn::GetAtt'][0];
      const doc = t.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument;
      expect(doc.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'fis.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': config.account },
            ArnLike: { 'aws:SourceArn': expect.anything() },
          },
        },
      ]);
    }
  });

  test('AZ power interruption: zone-0 web instances stop, zone-0 app and data subnets cut, no capacity there', () => {
    const e = x['az-power-interruption'];
    const zone0 = { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] };
    expect(e.Targets.ZoneInstances).toEqual({
      ResourceType: 'aws:ec2:instance',
      SelectionMode: 'ALL',
      ResourceTags: { 'aws:autoscaling:groupName': { Ref: expect.anything() } },
      Filters: [
        { Path: 'State.Name', Values: ['running'] },
        { Path: 'Placement.AvailabilityZone', Values: [zone0] },
      ],
    });
    expect(e.Targets.subnets.ResourceArns).toHaveLength(2);
    const json = JSON.stringify(e.Targets.subnets.ResourceArns);
    expect(json).toMatch(/appSubnet1/);
    expect(json).toMatch(/dataSubnet1/);
    expect(
      Object.values<any>(e.Actions)
        .map((a) => a.ActionId)
        .sort(),
    ).toEqual(
      [
        'aws:ec2:asg-insufficient-instance-capacity-error',
        'aws:ec2:stop-instances',
        'aws:network:disrupt-connectivity',
        ...(role === 'primary' ? ['aws:rds:failover-db-cluster'] : []),
      ].sort(),
    );
    expect(e.Targets.Group).toEqual({
      ResourceType: 'aws:ec2:autoscaling-group',
      SelectionMode: 'ALL',
      ResourceTags: { [GAME_DAY_TARGET_TAG[0]]: GAME_DAY_TARGET_TAG[1] },
    });
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      Tags: Match.arrayWith([
        { Key: GAME_DAY_TARGET_TAG[0], Value: GAME_DAY_TARGET_TAG[1], PropagateAtLaunch: false },
      ]),
    });
    // Auto Scaling may terminate a stopped instance; the action then completes instead of failing.
    expect(e.Actions.StopZoneInstances.Parameters).toEqual({
      startInstancesAfterDuration: 'PT10M',
      completeIfInstancesTerminated: 'true',
    });
    expect(e.Actions.NoCapacityInZone.Parameters).toEqual({
      availabilityZoneIdentifiers: zone0,
      duration: 'PT10M',
      percentage: '100',
    });
    expect(actionsOf(statementsOf(region, e))).toEqual(
      [
        'autoscaling:DescribeAutoScalingGroups',
        'ec2:CreateNetworkAcl',
        'ec2:CreateNetworkAcl',
        'ec2:CreateNetworkAclEntry',
        'ec2:CreateTags',
        'ec2:DeleteNetworkAcl',
        'ec2:DescribeInstances',
        'ec2:DescribeManagedPrefixLists',
        'ec2:DescribeNetworkAcls',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
        'ec2:GetManagedPrefixListEntries',
        'ec2:InjectApiError',
        'ec2:ReplaceNetworkAclAssociation',
        'ec2:StartInstances',
        'ec2:StopInstances',
        'logs:CreateLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:PutResourcePolicy',
        ...(role === 'primary' ? ['rds:DescribeDBClusters', 'rds:FailoverDBCluster'] : []),
      ].sort(),
    );
  });

  test('web instance loss: half of the group terminated; the role may terminate only the group instances', () => {
    const e = x['web-instance-loss'];
    expect(e.Targets.HalfOfTheWebTier.SelectionMode).toBe('PERCENT(50)');
    expect(e.Actions.Terminate.ActionId).toBe('aws:ec2:terminate-instances');
    const terminate = statementsOf(region, e).find((s) => s.Action === 'ec2:TerminateInstances');
    expect(terminate.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': { Ref: expect.anything() } },
    });
    expect(terminate.Condition.StringEquals['aws:ResourceTag/aws:autoscaling:groupName'].Ref).toBe(
      e.Targets.HalfOfTheWebTier.ResourceTags['aws:autoscaling:groupName'].Ref,
    );
  });

  test('database network disruption cuts every data subnet; region unreachable cuts every public subnet', () => {
    const db = x['database-network-disruption'];
    const pub = x['region-unreachable'];
    for (const [e, tier] of [
      [db, 'data'],
      [pub, 'public'],
    ] as const) {
      expect(Object.values<any>(e.Actions)).toEqual([
        {
          ActionId: 'aws:network:disrupt-connectivity',
          Description: expect.anything(),
          Parameters: { duration: 'PT10M', scope: 'all' },
          Targets: { Subnets: 'subnets' },
        },
      ]);
      const arns = JSON.stringify(e.Targets.subnets.ResourceArns);
      expect(e.Targets.subnets.ResourceArns).toHaveLength(config.network.azCount);
      for (let i = 1; i <= config.network.azCount; i++) expect(arns).toContain(`${tier}Subnet${i}`);
    }
  });

  test('the database network game day cuts the database only: no interface endpoint sits in a subnet it cuts', () => {
    const cut = JSON.stringify(x['database-network-disruption'].Targets.subnets.ResourceArns);
    const endpoints = resourcesOf(templates[names.regionalStack(region)], 'AWS::EC2::VPCEndpoint').filter(
      ([, r]) => r.Properties.VpcEndpointType === 'Interface',
    );
    expect(endpoints.length).toBeGreaterThanOrEqual(2);
    for (const [id, ep] of endpoints) {
      for (const subnet of ep.Properties.SubnetIds)
        expect([id, cut.includes(subnet.Ref)]).toEqual([id, false]);
    }
  });

  if (role === 'primary') {
    test('Aurora failover targets this region cluster and may fail over nothing else', () => {
      const e = x['database-failover'];
      expect(JSON.stringify(e.Targets.Cluster.ResourceArns)).toContain(
        `:cluster:${names.dbClusterId(region)}`,
      );
      const failover = statementsOf(region, e).find((s) => s.Action === 'rds:FailoverDBCluster');
      expect(failover.Resource).toEqual(e.Targets.Cluster.ResourceArns[0]);
    });
  }

  test('only Describe*, tag lookups, InjectApiError (conditioned) and log delivery use Resource "*"', () => {
    for (const e of Object.values<any>(experiments(region, on))) {
      for (const s of statementsOf(region, e, on)) {
        if (s.Resource !== '*') continue;
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        for (const a of actions) {
          const ok =
            /^(ec2|rds|autoscaling):(Describe|Get)/.test(a) ||
            a === 'tag:GetResources' ||
            a.startsWith('logs:') ||
            (a === 'ec2:InjectApiError' && s.Condition !== undefined);
          expect([a, ok]).toEqual([a, true]);
        }
      }
    }
  });
});

test('no deploy starts an experiment: no template calls fis:StartExperiment or holds an experiment resource', () => {
  for (const t of Object.values(templates)) {
    const json = JSON.stringify(t.toJSON());
    expect(json).not.toMatch(/StartExperiment/);
    expect(Object.values<any>(t.toJSON().Resources).map((r) => r.Type)).not.toContain('AWS::FIS::Experiment');
  }
});

/** Logical ids of the canary and the switch publisher functions of a region. */
function lambdaIds(region: string, set: Record<string, Template>) {
  const fns = resourcesOf(set[names.regionalStack(region)], 'AWS::Lambda::Function');
  const by = (description: RegExp) => {
    const hits = fns.filter(([, r]) => description.test(r.Properties.Description));
    expect(hits).toHaveLength(1);
    return hits[0][0];
  };
  return { canary: by(/^Customer-journey canary/), publisher: by(/^Re-publishes the drain switches/) };
}

const EXTENSION_PARAMETER = '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x';

describe.each(regions)('Lambda fault experiments in %s (%s), gameDays.lambdaFaultInjection on', (region) => {
  const t = on[names.regionalStack(region)];
  const json = t.toJSON();
  const x = experiments(region, on);
  const fns = lambdaIds(region, on);
  const bucket = logicalIdOf(
    region,
    'AWS::S3::Bucket',
    (p) => p.LoggingConfiguration?.LogFilePrefix === 's3/fis-config/',
    on,
  );
  const configObjects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/fis-configs/*']] };
  const layerParameter = Object.entries<any>(json.Parameters).find(
    ([, p]) => p.Default === EXTENSION_PARAMETER,
  )?.[0];

  test('the layer ARN is the public SSM parameter of the arm64 extension, resolved by CloudFormation at deploy', () => {
    expect(json.Parameters[layerParameter!]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: EXTENSION_PARAMETER,
    });
  });

  test.each(['canary', 'publisher'] as const)(
    'the %s carries the extension: layer, wrapper, configuration folder',
    (which) => {
      const fn = json.Resources[fns[which]].Properties;
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Layers).toEqual([{ Ref: layerParameter }]);
      expect(fn.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBe('/opt/aws-fis/bootstrap');
      expect(fn.Environment.Variables.AWS_FIS_CONFIGURATION_LOCATION).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/fis-configs/']],
      });
    },
  );

  test.each(['canary', 'publisher'] as const)(
    'the %s role may list and read the configuration folder, nothing else of the bucket',
    (which) => {
      const roleId = json.Resources[fns[which]].Properties.Role['Fn::GetAtt'][0];
      const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([, p]) =>
        (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
      )![1];
      const onBucket = policy.Properties.PolicyDocument.Statement.filter((s: any) =>
        JSON.stringify(s.Resource).includes(bucket),
      );
      expect(onBucket).toEqual([
        {
          Action: 's3:ListBucket',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['fis-configs/*'] } },
        },
        { Action: 's3:GetObject', Effect: 'Allow', Resource: configObjects },
      ]);
    },
  );

  test('no other function carries the extension', () => {
    const carrying = resourcesOf(t, 'AWS::Lambda::Function')
      .filter(([, r]) => r.Properties.Layers || r.Properties.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER)
      .map(([id]) => id)
      .sort();
    expect(carrying).toEqual([fns.canary, fns.publisher].sort());
    // The edge region runs a canary and a switch publisher too, but no experiment: no extension there.
    expect(JSON.stringify(on[names.edgeStack()].toJSON())).not.toMatch(/aws-fis|AWS_FIS/);
  });

  test('the configuration bucket: SSE-S3, private, TLS only, versioned, logged, expires in a day, deleted with the stack', () => {
    expect(json.Resources[bucket]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^WebAccessLogs') },
        LogFilePrefix: 's3/fis-config/',
      },
      LifecycleConfiguration: {
        Rules: [
          { ExpirationInDays: 1, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' },
          { ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
        ],
      },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    // The access-log bucket lets S3 log delivery write only this bucket's logs, only under its prefix.
    const logsBucket = json.Resources[bucket].Properties.LoggingConfiguration.DestinationBucketName.Ref;
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logsBucket, 'Arn'] }, '/s3/fis-config/*']] },
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': config.account },
            },
          },
        ]),
      },
    });
  });

  test.each([
    ['canary-failure', 'canary', 'FailCanary', 'PT15M'],
    ['switch-publisher-failure', 'publisher', 'FailPublisher', 'PT10M'],
  ] as const)(
    '%s: every invocation of exactly that function fails without running',
    (id, which, action, duration) => {
      const e = x[id];
      expect(e.Targets).toEqual({
        Function: {
          ResourceType: 'aws:lambda:function',
          SelectionMode: 'ALL',
          ResourceArns: [{ 'Fn::GetAtt': [fns[which], 'Arn'] }],
        },
      });
      expect(e.Actions).toEqual({
        [action]: {
          ActionId: 'aws:lambda:invocation-error',
          Description: expect.stringMatching(/fails without running$/),
          Parameters: { duration, invocationPercentage: '100', preventExecution: 'true' },
          Targets: { Functions: 'Function' },
        },
      });
    },
  );

  test.each([
    ['canary-failure', 'canary'],
    ['switch-publisher-failure', 'publisher'],
  ] as const)(
    '%s role: write and delete configurations, read its own target, tag lookups and log delivery',
    (id, which) => {
      const fnArn = { 'Fn::GetAtt': [fns[which], 'Arn'] };
      expect(statementsOf(region, x[id], on)).toEqual([
        { Action: ['s3:DeleteObject', 's3:PutObject'], Effect: 'Allow', Resource: configObjects },
        {
          Action: 'lambda:GetFunction',
          Effect: 'Allow',
          Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
        },
        {
          Action: [
            'logs:CreateLogDelivery',
            'logs:DescribeLogGroups',
            'logs:DescribeResourcePolicies',
            'logs:PutResourcePolicy',
            'tag:GetResources',
          ],
          Effect: 'Allow',
          Resource: '*',
        },
      ]);
    },
  );

  test('turning the extension on changes the two functions in place: same logical ids, only layers and environment differ', () => {
    const off = templates[names.regionalStack(region)].toJSON().Resources;
    const offIds = lambdaIds(region, templates);
    expect(offIds).toEqual(fns);
    for (const id of [fns.canary, fns.publisher]) {
      const { Layers, Environment, ...rest } = json.Resources[id].Properties;
      const { Environment: offEnv, ...offRest } = off[id].Properties;
      expect(off[id].Properties.Layers).toBeUndefined();
      expect(Layers).toHaveLength(1);
      // Layers and Environment are updated without replacement; nothing else of the function moves.
      expect(rest).toEqual(offRest);
      const { AWS_LAMBDA_EXEC_WRAPPER, AWS_FIS_CONFIGURATION_LOCATION, ...vars } = Environment.Variables;
      expect([AWS_LAMBDA_EXEC_WRAPPER, AWS_FIS_CONFIGURATION_LOCATION]).not.toContain(undefined);
      expect(vars).toEqual(offEnv.Variables);
      expect(offEnv.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBeUndefined();
    }
    // Every resource of the off stack keeps its logical id and type with the extension on.
    for (const [id, r] of Object.entries<any>(off))
      expect([id, json.Resources[id]?.Type]).toEqual([id, r.Type]);
  });
});

test('off (the default): no extension parameter, no configuration bucket, no Lambda experiment in any stack', () => {
  expect(loadConfig('default').gameDays.lambdaFaultInjection).toBe(false);
  for (const t of Object.values(templates)) {
    const json = JSON.stringify(t.toJSON());
    expect(json).not.toMatch(/lambda-extension|aws-fis|AWS_FIS|aws:lambda:/);
    expect(json).not.toContain('fis-configs');
  }
});

test('a composite stop alarm is refused, with the fix (the FIS docs do not say composite alarms work)', () => {
  const stack = new Stack();
  const metricAlarm = new cloudwatch.Alarm(stack, 'Vantage', {
    metric: new cloudwatch.Metric({ namespace: 'n', metricName: 'm' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  const composite = new cloudwatch.CompositeAlarm(stack, 'Down', {
    alarmRule: cloudwatch.AlarmRule.fromAlarm(metricAlarm, cloudwatch.AlarmState.ALARM),
  });
  // The stop alarms are checked before anything else is read.
  const build = (stopAlarms: cloudwatch.IAlarm[]) => () =>
    new GameDayExperiments(stack, `GameDays${stopAlarms.length}`, {
      appName: 'shop',
      vpc: undefined as never,
      asg: undefined as never,
      key: undefined as never,
      stopAlarms,
    });
  expect(build([metricAlarm, composite])).toThrow(
    'GameDays2: stopAlarms has composite alarms (Default/Down); the FIS docs do not say a composite alarm can be a stop condition, so a template on one may fail to create. Fix: pass metric alarms with the same rule (Canary.addGameDayBrake)',
  );
});
