/**
 * FIS experiment templates of every regional stack: one per game-day scenario, each with its own
 * least-privilege role, the shop's paging alarm as stop condition, logs to an encrypted one-year
 * log group, tags; and nothing that starts an experiment at deploy time.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { GAME_DAY_TARGET_TAG } from '../lib/fis/game-day-experiments';
import { SCENARIO_TAG } from '../lib/fis/scenarios';
import { resourcesOf, synth } from './support/synth';

const config = loadConfig('default');
const names = new Names(config);
const { templates } = synth(config);

const regions = config.regions.map((r) => [r.name, r.role] as const);

/** Experiment templates of a region by scenario id. */
function experiments(region: string): Record<string, any> {
  const t = templates[names.regionalStack(region)];
  return Object.fromEntries(
    resourcesOf(t, 'AWS::FIS::ExperimentTemplate').map(([, r]) => [
      r.Properties.Tags[SCENARIO_TAG],
      r.Properties,
    ]),
  );
}

/** Logical id of the resource whose properties are `props`. */
function logicalIdOf(region: string, type: string, pred: (p: any) => boolean): string {
  const hit = resourcesOf(templates[names.regionalStack(region)], type).find(([, r]) => pred(r.Properties));
  if (!hit) throw new Error(`no ${type} matching in ${region}`);
  return hit[0];
}

/** Statements of the managed policy attached to the role of an experiment. */
function statementsOf(region: string, experiment: any): any[] {
  const roleId = experiment.RoleArn['Fn::GetAtt'][0];
  const policies = resourcesOf(templates[names.regionalStack(region)], 'AWS::IAM::ManagedPolicy').filter(
    ([, p]) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
  );
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

const actionsOf = (statements: any[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe.each(regions)('game-day experiments in %s (%s)', (region, role) => {
  const t = templates[names.regionalStack(region)];
  const x = experiments(region);
  const publicAlarm = logicalIdOf(
    region,
    'AWS::CloudWatch::CompositeAlarm',
    (p) => p.AlarmName === names.canaryConsensusAlarm('public'),
  );
  const logGroup = logicalIdOf(
    region,
    'AWS::Logs::LogGroup',
    (p) => p.LogGroupName === `/${config.appName}/game-days`,
  );

  test('one template per scenario; Aurora failover only where the writer lives', () => {
    const expected = [
      'az-power-interruption',
      'web-instance-loss',
      ...(role === 'primary' ? ['database-failover'] : []),
      'database-network-disruption',
      'region-unreachable',
    ];
    expect(Object.keys(x).sort()).toEqual([...expected].sort());
  });

  test('every template: stops on the public paging alarm, logs to the encrypted one-year group, tags, own role', () => {
    const roles = new Set<string>();
    for (const [id, e] of Object.entries<any>(x)) {
      expect(e.StopConditions).toEqual([
        { Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [publicAlarm, 'Arn'] } },
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
    expect(roles.size).toBe(Object.keys(x).length);
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
    expect(e.Actions.StopZoneInstances.Parameters).toEqual({ startInstancesAfterDuration: 'PT10M' });
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

  test('only Describe*, InjectApiError (conditioned) and log delivery use Resource "*"', () => {
    for (const e of Object.values<any>(x)) {
      for (const s of statementsOf(region, e)) {
        if (s.Resource !== '*') continue;
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        for (const a of actions) {
          const ok =
            /^(ec2|rds|autoscaling):(Describe|Get)/.test(a) ||
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
