import { Match, Template } from 'aws-cdk-lib/assertions';
import { Names } from '../lib/config/names';
import { HEALTH_PATH, SHOP_ENV, SHOP_PORT } from '../lib/contract/shop';
import { canaryTargets } from '../lib/canary/canary';
import { planPromotions, PROMOTION_DEPLOY_MARGIN_MS } from '../lib/web/promotions';
import type { Promotion } from '../lib/config/load';
import { examplePromotions, resourcesOf, synth, TEST_NOW, testConfig } from './support/synth';

// The default config plus the example promotion (config/examples/promotion.json, ahead of TEST_NOW)
// and promotions that ended, are under way, and apply to the primary only, as seen at TEST_NOW
// (2026-11-01).
const config = testConfig((raw) => {
  raw.promotions = examplePromotions();
  raw.promotions.push(
    { name: 'past', start: '2026-10-01T10:00:00Z', end: '2026-10-02T10:00:00Z', minCapacity: 4 },
    { name: 'running', start: '2026-10-30T10:00:00Z', end: '2026-11-02T10:00:00Z', minCapacity: 5 },
    {
      name: 'later',
      start: '2026-12-01T10:00:00Z',
      end: '2026-12-01T12:00:00Z',
      minCapacity: 6,
      regions: ['ap-northeast-2'],
    },
  );
});
const names = new Names(config);
const { templates } = synth(config);
const regions = config.regions.map((r) => [r.name, r.role, r] as const);
const tpl = (region: string): Template => templates[names.regionalStack(region)];

/** The user data script of the launch template, with tokens rendered as `${Logical.Attr}`. */
function userData(t: Template): string {
  const lt = resourcesOf(t, 'AWS::EC2::LaunchTemplate')[0][1];
  const parts: unknown[] = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : `\${${JSON.stringify(p)}}`)).join('');
}

describe.each(regions)('regional stack %s (%s)', (region, role, rc) => {
  const t = tpl(region);

  describe('network', () => {
    test('a VPC over the configured AZs, resolved by CloudFormation (no lookup)', () => {
      t.resourceCountIs('AWS::EC2::VPC', 1);
      t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: rc.network.cidr });
      // public, app (private with egress) and data (isolated) subnets in each AZ
      t.resourceCountIs('AWS::EC2::Subnet', 3 * rc.network.azCount);
      for (let i = 0; i < rc.network.azCount; i++) {
        t.hasResourceProperties('AWS::EC2::Subnet', {
          AvailabilityZone: { 'Fn::Select': [i, { 'Fn::GetAZs': '' }] },
        });
      }
      t.resourceCountIs('AWS::EC2::NatGateway', rc.network.natGateways);
    });

    test('public subnets do not hand out public IPs', () => {
      for (const [, s] of resourcesOf(t, 'AWS::EC2::Subnet')) {
        expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
      }
    });

    test('flow logs of all traffic go to an encrypted, retained log group', () => {
      t.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
      const flowGroup = resourcesOf(t, 'AWS::Logs::LogGroup').find(([id]) =>
        id.startsWith('NetworkFlowLogs'),
      );
      expect(flowGroup?.[1]).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { RetentionInDays: rc.network.flowLogRetentionDays, KmsKeyId: expect.anything() },
      });
    });
  });

  describe('web tier', () => {
    test('the Auto Scaling group spans the app subnets with ELB health checks and a grace period', () => {
      t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        // The "running" promotion (min 5) is in force at deploy in every region.
        MinSize: String(Math.max(rc.web.minCapacity, 5)),
        MaxSize: String(rc.web.maxCapacity),
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: rc.web.healthCheckGraceSeconds,
        VPCZoneIdentifier: Match.arrayWith([
          Match.objectLike({ Ref: Match.stringLikeRegexp('NetworkVpcappSubnet') }),
        ]),
      });
      // A deploy must never reset the group's size in the middle of a spike.
      const asg = resourcesOf(t, 'AWS::AutoScaling::AutoScalingGroup')[0][1];
      expect(asg.Properties.DesiredCapacity).toBeUndefined();
    });

    test('launch template: AL2023 from SSM, IMDSv2 only, encrypted gp3, no SSH key', () => {
      const lt = resourcesOf(t, 'AWS::EC2::LaunchTemplate')[0][1].Properties.LaunchTemplateData;
      expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
      expect(lt.BlockDeviceMappings[0].Ebs).toMatchObject({
        Encrypted: true,
        VolumeType: 'gp3',
        VolumeSize: rc.web.rootVolumeGiB,
      });
      expect(lt.KeyName).toBeUndefined();
      expect(lt.InstanceType).toBe(rc.web.instanceType);
      // The AMI comes from the public SSM parameter at deploy time (no lookup at synth).
      const param = t.toJSON().Parameters[lt.ImageId.Ref];
      expect(param).toMatchObject({
        Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        Default: expect.stringMatching(
          /^\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-.*-arm64$/,
        ),
      });
    });

    test('target tracking on requests per instance and on CPU', () => {
      t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' },
          TargetValue: rc.web.targetRequestsPerInstance,
        },
      });
      t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        TargetTrackingConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
          TargetValue: rc.web.targetCpuPercent,
        },
      });
    });

    test('promotions raise the minimum before they start and restore it after', () => {
      const promo = config.promotions[0];
      t.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
        StartTime: promo.start.toISOString(),
        MinSize: promo.minCapacity,
      });
      t.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
        StartTime: promo.end.toISOString(),
        MinSize: rc.web.minCapacity,
      });
      for (const [, a] of resourcesOf(t, 'AWS::AutoScaling::ScheduledAction')) {
        expect(a.Properties.Recurrence).toBeUndefined();
      }
    });

    test('a warm pool of stopped, pre-initialised instances and rolling instance refresh', () => {
      t.hasResourceProperties('AWS::AutoScaling::WarmPool', {
        MinSize: rc.web.warmPoolMinSize,
        PoolState: 'Stopped',
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      });
      const asg = resourcesOf(t, 'AWS::AutoScaling::AutoScalingGroup')[0][1];
      expect(JSON.stringify(asg.UpdatePolicy ?? asg.Properties)).toMatch(/Rolling/);
    });

    test('HTTPS listener with the region certificate and a modern policy; HTTP only redirects', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('WebCertificate') } }],
      });
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
        ],
      });
      t.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: config.domainName,
        SubjectAlternativeNames: [`www.${config.domainName}`, names.regionRecord(region)],
        ValidationMethod: 'DNS',
      });
    });

    test('the ALB drops invalid headers, logs access and is deletion-protected', () => {
      for (const attribute of [
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]) {
        t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
          Scheme: 'internet-facing',
          LoadBalancerAttributes: Match.arrayWith([attribute]),
        });
      }
    });

    test('the target group counts any answer of /healthz as alive (Route 53, not the ASG, reacts to a sick database)', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: SHOP_PORT,
        HealthCheckPath: HEALTH_PATH,
        Matcher: { HttpCode: '200,503' },
      });
    });

    test('a WAF web ACL with a per-IP rate rule guards the ALB and logs', () => {
      t.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: { RateBasedStatement: { Limit: config.waf.ratePer5MinPerIp, AggregateKeyType: 'IP' } },
          }),
        ]),
      });
      t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
    });

    test('instances fetch the shop artifact at boot and run it under systemd with the contract environment', () => {
      const script = userData(t);
      expect(script).toMatch(
        /aws s3 cp --region "\$REGION" "s3:\/\/.*\/\$ARTIFACT_KEY" \/opt\/resilient-shop\/artifact\.zip/,
      );
      expect(script).toContain('ExecStart=${NODE_BIN} /opt/resilient-shop/current/shop.js');
      expect(script).toContain('Restart=on-failure');
      expect(script).toContain('KillSignal=SIGTERM');
      expect(script).toContain('systemctl restart resilient-shop.service');
      expect(script).toContain(`${SHOP_ENV.region}=${region}`);
      expect(script).toContain(`${SHOP_ENV.role}=${role}`);
      expect(script).toContain(`${SHOP_ENV.dbSecretName}=${names.dbSecretName()}`);
      expect(script).toContain(`${SHOP_ENV.dbTls}=true`);
      expect(script).toMatch(new RegExp(`${SHOP_ENV.dbWriterHost}=\\$\\{.*Endpoint\\.Address`));
      expect(script).toMatch(new RegExp(`${SHOP_ENV.dbReaderHost}=\\$\\{.*ReadEndpoint\\.Address`));
      expect(script).toContain(`${SHOP_ENV.contacts}='${JSON.stringify(config.contacts)}'`);
      expect(script).toContain(`${SHOP_ENV.currency}=${config.currency}`);
    });

    describe('warm pool bootstrap (#12 defect 2)', () => {
      test('every launch waits on a launch lifecycle hook that a silent bootstrap abandons', () => {
        // On the group itself, so that it exists before the group's first launch (a separate hook
        // resource is created after the group).
        t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
          AutoScalingGroupName: names.webGroup(),
          LifecycleHookSpecificationList: [
            {
              LifecycleHookName: 'shop-bootstrap',
              LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
              DefaultResult: 'ABANDON',
              HeartbeatTimeout: 600,
            },
          ],
        });
        t.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
      });

      test('user data installs a bootstrap that systemd runs on every boot, not only the first', () => {
        const script = userData(t);
        expect(script).toContain(
          "cat > /etc/systemd/system/resilient-shop-bootstrap.service <<'SHOPBOOTUNIT'",
        );
        expect(script).toMatch(
          /\[Service\]\nType=oneshot\nExecStart=\/bin\/bash \/opt\/resilient-shop\/bootstrap\.sh/,
        );
        expect(script).toContain('WantedBy=multi-user.target');
        expect(script).toContain('systemctl enable resilient-shop-bootstrap.service');
      });

      test('the bootstrap completes the hook last with CONTINUE, and with ABANDON on any failure', () => {
        const script = userData(t);
        const bootstrap = script.slice(
          script.indexOf("<<'SHOPBOOTSTRAP'"),
          script.lastIndexOf('SHOPBOOTSTRAP'),
        );
        expect(bootstrap).toContain(`GROUP='${names.webGroup()}'`);
        expect(bootstrap).toContain('--lifecycle-hook-name "$HOOK"');
        expect(bootstrap).toContain("trap 'complete_hook ABANDON' ERR");
        const lines = bootstrap.trim().split('\n');
        expect(lines.slice(-2)).toEqual(['trap - ERR', 'complete_hook CONTINUE']);
        // Only after the shop answers locally.
        expect(bootstrap.indexOf('http://127.0.0.1:8080/healthz')).toBeLessThan(
          bootstrap.indexOf('complete_hook CONTINUE'),
        );
      });

      test('the bootstrap is idempotent and needs no internet: installs are guarded, the RDS CAs ship in the artifact', () => {
        const script = userData(t);
        expect(script).toMatch(/command -v node-22 >\/dev\/null \|\| .*\|\| dnf install -y nodejs22/);
        expect(script).toMatch(/id shop >\/dev\/null 2>&1 \|\| useradd/);
        expect(script).toContain(
          'if [ "$(cat /opt/resilient-shop/current/.artifact-key 2>/dev/null || true)" != "$ARTIFACT_KEY" ]; then',
        );
        expect(script).toContain(
          'install -m 0644 /opt/resilient-shop/current/rds-ca-bundle.pem /etc/resilient-shop/rds-ca-bundle.pem',
        );
        // Only the instance metadata service and the local shop are fetched with curl.
        expect(script).not.toMatch(/curl[^\n]*https:\/\//);
      });

      test('the instance role may complete lifecycle actions on its own group only', () => {
        const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
          id.startsWith('WebInstancePolicy'),
        )![1];
        const statement = policy.Properties.PolicyDocument.Statement.find(
          (s: any) => s.Action === 'autoscaling:CompleteLifecycleAction',
        );
        expect(JSON.stringify(statement.Resource)).toContain(
          `:autoScalingGroup:*:autoScalingGroupName/${names.webGroup()}`,
        );
      });
    });

    test('the instance role reads exactly the artifact and the local copy of the secret; Session Manager, no SSH', () => {
      const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
        id.startsWith('WebInstancePolicy'),
      )![1];
      const statements = policy.Properties.PolicyDocument.Statement;
      expect(statements.map((s: any) => s.Action)).toEqual([
        's3:GetObject',
        'autoscaling:CompleteLifecycleAction',
        // Sorted by @aws-cdk/aws-iam:minimizePolicies (cdk.json), as `cdk synth` writes it.
        ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        'kms:Decrypt',
        'kms:Decrypt',
        // Payments and the test-signing key (exact resources: test/payments-stack.test.ts).
        'secretsmanager:GetSecretValue',
        'ssm:GetParameter',
        'cloudwatch:PutMetricData',
        // Customer notices, kept apart by their Sids (exact resources: test/notify-stack.test.ts).
        'secretsmanager:GetSecretValue',
        'ssm:GetParameter',
        'cloudwatch:PutMetricData',
        'ses:SendEmail',
      ]);
      // The replica key is named by alias through kms:ResourceAliases, used only via Secrets Manager.
      expect(statements[4].Condition).toEqual({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.replicaKeyAlias() },
        StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      });
      expect(JSON.stringify(statements[0].Resource)).toMatch(/\.zip"/);
      expect(JSON.stringify(statements[2].Resource)).toContain(`:${region}:`);
      expect(JSON.stringify(statements[2].Resource)).toContain(`${names.dbSecretName()}-??????`);
      t.hasResourceProperties('AWS::IAM::Role', {
        ManagedPolicyArns: Match.arrayWith([
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
            ],
          },
        ]),
      });
      for (const [, sg] of resourcesOf(t, 'AWS::EC2::SecurityGroup')) {
        for (const rule of sg.Properties.SecurityGroupIngress ?? []) expect(rule.FromPort).not.toBe(22);
      }
    });

    test("the direct name aliases this region's ALB and evaluates its health", () => {
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: `${names.regionRecord(region)}.`,
        Type: 'A',
        HostedZoneId: config.hostedZone.id,
        AliasTarget: Match.objectLike({ EvaluateTargetHealth: true }),
      });
    });
  });

  describe('network paths to the AWS APIs each VPC resource calls (#12 defect 3)', () => {
    /** Logical ids of every `{ Ref }` inside a value (subnet lists come joined or as arrays). */
    const refs = (v: unknown): string[] =>
      v && typeof v === 'object'
        ? 'Ref' in (v as any)
          ? [(v as any).Ref]
          : Object.values(v as object).flatMap(refs)
        : [];
    const routeTableOf = (subnet: string): string =>
      resourcesOf(t, 'AWS::EC2::SubnetRouteTableAssociation').find(
        ([, a]) => a.Properties.SubnetId.Ref === subnet,
      )![1].Properties.RouteTableId.Ref;
    /** How `subnet` reaches `service` without the internet: an endpoint, or nothing. */
    const privatePath = (subnet: string, service: string): string | undefined => {
      for (const [id, e] of resourcesOf(t, 'AWS::EC2::VPCEndpoint')) {
        const name = JSON.stringify(e.Properties.ServiceName);
        if (!name.endsWith(`.${service}"`) && !name.endsWith(`.${service}"]]}`)) continue;
        if (e.Properties.VpcEndpointType === 'Interface' && e.Properties.PrivateDnsEnabled) return id;
        if (
          e.Properties.VpcEndpointType === 'Gateway' &&
          refs(e.Properties.RouteTableIds).includes(routeTableOf(subnet))
        )
          return id;
      }
      return undefined;
    };
    // What each resource placed in the VPC calls, from where (the serving and boot paths).
    const callers: Array<[string, string[], string[]]> = [
      [
        'web instances (artifact, lifecycle hook, database secret)',
        refs(resourcesOf(t, 'AWS::AutoScaling::AutoScalingGroup')[0][1].Properties.VPCZoneIdentifier),
        ['s3', 'autoscaling', 'secretsmanager'],
      ],
      ...resourcesOf(t, 'AWS::Serverless::Application').map(([id, app]): [string, string[], string[]] => [
        id,
        refs(app.Properties.Parameters.vpcSubnetIds),
        ['secretsmanager'],
      ]),
    ];

    test('every subnet of every caller reaches every API it calls through a VPC endpoint, not the internet', () => {
      const missing = callers.flatMap(([who, subnets, services]) =>
        subnets.flatMap((subnet) =>
          services.filter((svc) => !privatePath(subnet, svc)).map((svc) => `${who} in ${subnet} -> ${svc}`),
        ),
      );
      expect(missing).toEqual([]);
      expect(callers.every(([, subnets]) => subnets.length > 0)).toBe(true);
    });

    if (role === 'primary') {
      test('the rotation function runs next to the cluster and is pointed at the Secrets Manager endpoint', () => {
        const [, app] = resourcesOf(t, 'AWS::Serverless::Application')[0];
        expect(refs(app.Properties.Parameters.vpcSubnetIds).every((s) => /dataSubnet/.test(s))).toBe(true);
        expect(JSON.stringify(app.Properties.Parameters.endpoint)).toMatch(
          /NetworkVpcSecretsManager.*\.secretsmanager\./,
        );
      });
    }
  });

  describe('database', () => {
    test('one cluster in the global cluster, pinned to the config engine version, encrypted, protected', () => {
      t.resourceCountIs('AWS::RDS::DBCluster', 1);
      const [, cluster] = resourcesOf(t, 'AWS::RDS::DBCluster')[0];
      expect(cluster.Properties).toMatchObject({
        Engine: 'aurora-postgresql',
        EngineVersion: config.database.engineVersion,
        DBClusterIdentifier: names.dbClusterId(region),
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        DeletionProtection: true,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ['postgresql'],
        BackupRetentionPeriod: config.database.backupRetentionDays,
        ServerlessV2ScalingConfiguration: {
          MinCapacity: config.database.minCapacityAcu,
          MaxCapacity: config.database.maxCapacityAcu,
        },
      });
      expect(cluster.DeletionPolicy).toBe('Snapshot');
      expect(cluster.Properties.BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
    });

    test('TLS is enforced through the cluster parameter group', () => {
      t.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
        Family: `aurora-postgresql${config.database.engineVersion.split('.')[0]}`,
        Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
      });
    });

    test('every instance has enhanced monitoring every 60 s', () => {
      for (const [, i] of resourcesOf(t, 'AWS::RDS::DBInstance')) {
        expect(i.Properties.MonitoringInterval).toBe(60);
        expect(i.Properties.MonitoringRoleArn).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/MonitoringRole/), 'Arn'],
        });
      }
    });

    test('at least one serverless instance, in at least two for a writer and a standby in another AZ', () => {
      const instances = resourcesOf(t, 'AWS::RDS::DBInstance');
      expect(instances.length).toBeGreaterThanOrEqual(2);
      for (const [, i] of instances) {
        expect(i.Properties).toMatchObject({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
        expect(i.Properties.AutoMinorVersionUpgrade).toBe(false);
      }
    });

    test('only the web tier security group may connect, on the PostgreSQL port', () => {
      const dbSg = resourcesOf(t, 'AWS::EC2::SecurityGroup').find(([id]) =>
        id.startsWith('DatabaseSecurityGroup'),
      )![0];
      const ingress = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').filter(
        ([, r]) => r.Properties.GroupId['Fn::GetAtt']?.[0] === dbSg,
      );
      const sources = ingress.map(([, r]) => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]);
      expect(sources).toContainEqual(expect.stringMatching(/^WebInstanceSecurityGroup/));
      for (const [, r] of ingress) expect(r.Properties.CidrIp).toBeUndefined();
      // The primary also lets its secret rotation function in; nothing else.
      expect(
        sources.every((s: string) =>
          /^(WebInstanceSecurityGroup|DatabasePrimaryClusterRotationSingleUser)/.test(s),
        ),
      ).toBe(true);
    });

    test('endpoints are handed over through an SSM parameter with a deterministic name', () => {
      t.hasResourceProperties('AWS::SSM::Parameter', { Name: names.dbEndpointsParameter() });
    });

    test("the foundation stack holds this region's backup vault and replica key, retained, before this stack", () => {
      const f = templates[names.foundationStack(region)];
      const [, vault] = resourcesOf(f, 'AWS::Backup::BackupVault')[0];
      expect(vault.Properties).toMatchObject({
        BackupVaultName: names.backupVault(region),
        EncryptionKeyArn: { 'Fn::GetAtt': [expect.stringMatching(/^ReplicaKey/), 'Arn'] },
      });
      expect(vault.DeletionPolicy).toBe('Retain');
      f.hasResourceProperties('AWS::KMS::Alias', { AliasName: names.replicaKeyAlias() });
      f.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
      t.resourceCountIs('AWS::Backup::BackupVault', 0);
    });

    if (role === 'primary') {
      test('the primary creates the global cluster from its cluster, with deletion protection, retained', () => {
        const [, global] = resourcesOf(t, 'AWS::RDS::GlobalCluster')[0];
        expect(global.Properties).toMatchObject({
          GlobalClusterIdentifier: names.globalClusterId(),
          SourceDBClusterIdentifier: { Ref: expect.stringMatching(/^DatabasePrimaryCluster/) },
          DeletionProtection: true,
        });
        expect(global.DeletionPolicy).toBe('Retain');
      });

      test('the master secret is encrypted, retained, rotated and replicated under its name to every standby', () => {
        const [, secret] = resourcesOf(t, 'AWS::SecretsManager::Secret')[0];
        expect(secret.Properties.Name).toBe(names.dbSecretName());
        expect(secret.Properties.KmsKeyId).toBeDefined();
        expect(secret.DeletionPolicy).toBe('Retain');
        const standbys = config.regions.filter((r) => r.role === 'standby').map((r) => r.name);
        expect(secret.Properties.ReplicaRegions.map((r: any) => r.Region)).toEqual(standbys);
        for (const replica of secret.Properties.ReplicaRegions) {
          expect(JSON.stringify(replica.KmsKeyId)).toContain(`:kms:${replica.Region}:`);
          // The foundation stack's key, which exists before this stack deploys (not the standby's data key).
          expect(JSON.stringify(replica.KmsKeyId)).toContain(names.replicaKeyAlias());
        }
        t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
          RotationRules: { ScheduleExpression: 'rate(30 days)' },
        });
      });

      test('backups are copied to a vault in another region', () => {
        const [, plan] = resourcesOf(t, 'AWS::Backup::BackupPlan')[0];
        const copies = plan.Properties.BackupPlan.BackupPlanRule.flatMap((r: any) => r.CopyActions ?? []);
        expect(copies).toHaveLength(1);
        const target = JSON.stringify(copies[0].DestinationBackupVaultArn);
        const other = config.regions.find((r) => r.name !== region)!.name;
        expect(target).toContain(`:backup:${other}:`);
        expect(target).toContain(`backup-vault:${names.backupVault(other)}`);
        t.resourceCountIs('AWS::Backup::BackupSelection', 1);
      });
    } else {
      test('the secondary takes no master credentials and no database name; it joins the global cluster', () => {
        const [, cluster] = resourcesOf(t, 'AWS::RDS::DBCluster')[0];
        expect(cluster.Properties.GlobalClusterIdentifier).toBe(names.globalClusterId());
        for (const key of [
          'MasterUsername',
          'MasterUserPassword',
          'DatabaseName',
          'ManageMasterUserPassword',
        ]) {
          expect(cluster.Properties[key]).toBeUndefined();
        }
        t.resourceCountIs('AWS::RDS::GlobalCluster', 0);
        t.resourceCountIs('AWS::SecretsManager::Secret', 0);
      });

      test('replication lag and replication-stopped alarms page the on-call', () => {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'AuroraGlobalDBReplicationLag',
          Namespace: 'AWS/RDS',
          Threshold: config.database.replicationLagAlarmMs,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 5,
          Dimensions: [{ Name: 'DBClusterIdentifier', Value: names.dbClusterId(region) }],
          AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
        });
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'AuroraGlobalDBReplicationLag',
          Statistic: 'SampleCount',
          TreatMissingData: 'breaching',
        });
      });
    }

    test('capacity saturation and low local storage alarms page the on-call', () => {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ACUUtilization',
        Threshold: 90,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'FreeLocalStorage',
        ComparisonOperator: 'LessThanThreshold',
      });
    });
  });

  describe('drain switches held for the other regions', () => {
    const held = names.switchesHeldBy(region);

    test('a region never holds its own switch', () => {
      expect(held).not.toContain(region);
      expect(held).toEqual(config.regions.map((r) => r.name).filter((r) => r !== region));
    });

    test.each(held)('the switch of %s: an alarm on the published Drained metric', (target) => {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: names.switchAlarm(target),
        Namespace: names.switchNamespace(),
        MetricName: Names.SWITCH_METRIC,
        Dimensions: [{ Name: 'TargetRegion', Value: target }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        // 1 of 3 minutes: a drain survives a missed publisher run (#12 defect 5).
        EvaluationPeriods: 3,
        DatapointsToAlarm: 1,
        TreatMissingData: 'missing',
        // A drain is news for the on-call, and so is its end.
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
        OKActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      });
    });

    test('the publisher runs every minute with the held targets, reading only the switch parameters', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            SWITCH_PARAMETER_PATH: names.switchParameterPath(),
            SWITCH_TARGETS: held.join(','),
          }),
        },
      });
      t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
      const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
        id.startsWith('DrainSwitchesPublisherPolicy'),
      )![1];
      const ssm = policy.Properties.PolicyDocument.Statement.find(
        (s: any) => s.Action === 'ssm:GetParametersByPath',
      );
      // Authorized against the path in the request, which the publisher sends with its trailing slash.
      const rendered = (ssm.Resource as any[]).map((r) =>
        typeof r === 'string'
          ? r
          : (r['Fn::Join'][1] as any[]).map((p) => (typeof p === 'string' ? p : '')).join(''),
      );
      expect(rendered.some((r) => r.endsWith(`:parameter${names.switchParameterPath()}`))).toBe(true);
      expect(
        rendered.some((r) => r.endsWith(`:parameter${names.switchParameterPath().replace(/\/$/, '')}`)),
      ).toBe(true);
      const cw = policy.Properties.PolicyDocument.Statement.find(
        (s: any) => s.Action === 'cloudwatch:PutMetricData',
      );
      expect(cw.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': names.switchNamespace() } });
    });
  });

  describe('canary', () => {
    const canaryFn = () =>
      resourcesOf(t, 'AWS::Lambda::Function').filter(
        ([, f]) => f.Properties.Environment?.Variables?.CANARY_CONFIG,
      );

    test('one canary function on arm64 and the latest Node.js runtime, scheduled every minute', () => {
      expect(canaryFn()).toHaveLength(1);
      const [, fn] = canaryFn()[0];
      expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs24.x', Timeout: 55 });
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: `rate(${config.canary.scheduleMinutes} minute${config.canary.scheduleMinutes > 1 ? 's' : ''})`,
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [canaryFn()[0][0], 'Arn'] } })],
      });
    });

    test('targets cover the public name, every region and the outage page, publishing verdicts to every region', () => {
      const cfg = JSON.parse(canaryFn()[0][1].Properties.Environment.Variables.CANARY_CONFIG);
      expect(cfg.vantage).toBe(region);
      expect(cfg.verdictRegions).toEqual(names.canaryVantages());
      expect(cfg.targets).toEqual(canaryTargets(config));
      expect(cfg.targets.map((x: any) => x.id)).toEqual([
        'public',
        ...config.regions.map((r) => r.name),
        'outage',
      ]);
      expect(cfg.deadlineMs).toBeLessThan(55_000);
    });

    test('its log group is encrypted and kept for a year', () => {
      const [, fn] = canaryFn()[0];
      const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      const group = t.toJSON().Resources[groupId];
      expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
      expect(group.Properties.KmsKeyId).toBeDefined();
    });

    test('least privilege: its own log group and PutMetricData in its namespace, nothing else', () => {
      const policy = resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
        id.startsWith('CanaryHandlerPolicy'),
      )![1];
      const actions = policy.Properties.PolicyDocument.Statement.map((s: any) => s.Action);
      expect(actions).toEqual([
        ['logs:CreateLogStream', 'logs:PutLogEvents'],
        'cloudwatch:PutMetricData',
        // Its local copy of the test-signing key (exact resources: test/payments-stack.test.ts).
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
      ]);
      expect(policy.Properties.PolicyDocument.Statement[1].Condition).toEqual({
        StringEquals: { 'cloudwatch:namespace': names.canaryNamespace() },
      });
      // No inline policy on any role of this stack.
      t.resourceCountIs('AWS::IAM::Policy', 0);
    });

    const watched = names.canaryTargets().filter((target) => names.canaryWatchers(target).includes(region));
    test.each(watched)(
      'target %s: an M-of-N alarm per vantage point feeding a "two vantage points" composite that pages',
      (target) => {
        for (const vantage of config.regions.map((r) => r.name)) {
          t.hasResourceProperties('AWS::CloudWatch::Alarm', {
            AlarmName: names.canaryTargetAlarm(target, vantage),
            MetricName: 'TargetFailed',
            Namespace: names.canaryNamespace(),
            Dimensions: Match.arrayEquals([
              { Name: 'Target', Value: target },
              { Name: 'Vantage', Value: vantage },
            ]),
            EvaluationPeriods: config.canary.evaluationPeriods,
            DatapointsToAlarm: config.canary.failuresToAlarm,
            TreatMissingData: 'notBreaching',
          });
        }
        const composite = resourcesOf(t, 'AWS::CloudWatch::CompositeAlarm').find(
          ([, c]) => c.Properties.AlarmName === names.canaryConsensusAlarm(target),
        )![1];
        expect(composite.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmsTopic/) }]);
        const rule = JSON.stringify(composite.Properties.AlarmRule);
        // With two vantage points: both must see the target fail.
        expect(rule).toMatch(/ALARM\(.*\) AND ALARM\(/);
      },
    );

    test('a region does not judge its own direct name (its CloudWatch may be down with it)', () => {
      const own = resourcesOf(t, 'AWS::CloudWatch::CompositeAlarm').filter(
        ([, c]) => c.Properties.AlarmName === names.canaryConsensusAlarm(region),
      );
      expect(own).toHaveLength(0);
    });

    test("the canary's test payment pages when it fails from two vantage points, not when nothing was published", () => {
      const [, alarm] = resourcesOf(t, 'AWS::CloudWatch::Alarm').find(
        ([, a]) => a.Properties.AlarmName === names.canaryPaymentPathAlarm(),
      )!;
      const vantages = names.canaryVantages();
      expect(alarm.Properties).toMatchObject({
        Threshold: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: config.canary.evaluationPeriods,
        DatapointsToAlarm: config.canary.failuresToAlarm,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      });
      const metrics = alarm.Properties.Metrics as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } };
      }[];
      expect(metrics.find((m) => m.Expression)!.Expression).toBe(
        vantages.map((_, i) => `FILL(p${i}, 0)`).join(' + '),
      );
      expect(
        metrics
          .filter((m) => m.MetricStat)
          .map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Metric.Dimensions]),
      ).toEqual(
        vantages.map((v) => [
          'PaymentPathBroken',
          [
            { Name: 'Target', Value: 'public' },
            { Name: 'Vantage', Value: v },
          ],
        ]),
      );
    });

    test('a dashboard shows every target', () => {
      const [, dash] = resourcesOf(t, 'AWS::CloudWatch::Dashboard')[0];
      const body = JSON.stringify(dash.Properties.DashboardBody);
      for (const target of names.canaryTargets())
        expect(body).toContain(`${target}: failed journeys by vantage point`);
    });
  });

  test('the alarm topic is encrypted, TLS-only and has the on-call subscribed', () => {
    t.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: names.alarmTopic(),
      KmsMasterKeyId: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const email of config.alarmEmails) {
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });

  test('the regional key allows grants only for AWS services acting on AWS resources', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Principal: { AWS: '*' },
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });

  test('the regional key rotates and is retained', () => {
    t.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/${config.appName}-data` });
  });

  test('every stateful resource survives stack deletion', () => {
    const stateful = [
      'AWS::RDS::DBCluster',
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::Backup::BackupVault',
      'AWS::S3::Bucket',
    ];
    for (const type of stateful) {
      for (const [id, r] of resourcesOf(t, type)) {
        expect([id, r.DeletionPolicy]).toEqual([id, expect.stringMatching(/^(Retain|Snapshot)$/)]);
      }
    }
  });

  test('the shopctl audit log group exists under its deterministic name, encrypted', () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: names.auditLogGroup(),
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 731,
    });
  });
});

describe('promotions', () => {
  const actions = (region: string) =>
    resourcesOf(tpl(region), 'AWS::AutoScaling::ScheduledAction')
      .map(([, a]) => `${a.Properties.StartTime} min=${a.Properties.MinSize}`)
      .sort();
  const minSize = (region: string) =>
    resourcesOf(tpl(region), 'AWS::AutoScaling::AutoScalingGroup')[0][1].Properties.MinSize;

  test('a promotion that ended is left out; one under way keeps only its end action; regions are honoured', () => {
    expect(actions('ap-northeast-2')).toEqual([
      '2026-11-02T10:00:00.000Z min=2', // "running" ends
      '2026-12-01T10:00:00.000Z min=6', // "later" starts (primary only)
      '2026-12-01T12:00:00.000Z min=2',
      '2027-05-05T10:30:00.000Z min=6', // "influencer-launch" (the example)
      '2027-05-05T15:00:00.000Z min=2',
    ]);
    expect(actions('ap-northeast-1')).toEqual([
      '2026-11-02T10:00:00.000Z min=1',
      '2027-05-05T10:30:00.000Z min=6',
      '2027-05-05T15:00:00.000Z min=1',
    ]);
  });

  // A promotion under way at deploy used to keep the base minimum until its end: the raise was
  // judged at synth and silently dropped.
  test.each(regions)('a promotion under way at deploy raises MinSize itself in %s', (region) => {
    expect(minSize(region)).toBe('5');
  });

  test.each(regions)(
    'no scheduled action in %s starts before synth time plus the deploy margin',
    (region) => {
      for (const [, a] of resourcesOf(tpl(region), 'AWS::AutoScaling::ScheduledAction')) {
        expect(Date.parse(a.Properties.StartTime)).toBeGreaterThanOrEqual(
          TEST_NOW.getTime() + PROMOTION_DEPLOY_MARGIN_MS,
        );
      }
    },
  );

  describe('planPromotions', () => {
    const hours = (h: number) => new Date(TEST_NOW.getTime() + h * 3_600_000);
    const promo = (name: string, start: number, end: number, min: number): Promotion => ({
      name,
      start: hours(start),
      end: hours(end),
      minCapacity: min,
      regions: ['ap-northeast-2'],
    });

    test('a promotion starting inside the margin takes effect at deploy, not by a scheduled start', () => {
      const plan = planPromotions([promo('soon', 1, 10, 6)], 2, TEST_NOW);
      expect(plan.minCapacity).toBe(6);
      expect(plan.actions).toEqual([{ id: 'soon-End', startTime: hours(10), minSize: 2 }]);
      expect(plan.warnings).toEqual([]);
    });

    test('an end inside the margin is not scheduled: the minimum stays raised and synth warns', () => {
      const plan = planPromotions([promo('ending', -5, 1, 6)], 2, TEST_NOW);
      expect(plan.minCapacity).toBe(6);
      expect(plan.actions).toEqual([]);
      expect(plan.warnings).toEqual([expect.stringMatching(/"ending" ends at .*deploy again after it ends/)]);
    });

    test('overlapping promotions never lower each other', () => {
      const plan = planPromotions([promo('big', 10, 20, 8), promo('small', 12, 30, 4)], 2, TEST_NOW);
      expect(plan.minCapacity).toBe(2);
      expect(
        plan.actions.map(
          (a) => `${a.id}@${(a.startTime.getTime() - TEST_NOW.getTime()) / 3_600_000}h=${a.minSize}`,
        ),
      ).toEqual([
        'big-Start@10h=8',
        'big-End@20h=4', // "small" still runs
        'small-Start@12h=8', // "big" still runs
        'small-End@30h=2',
      ]);
    });

    test('a start just past the margin is scheduled', () => {
      const plan = planPromotions([promo('later', 3.5, 5, 6)], 2, TEST_NOW);
      expect(plan.minCapacity).toBe(2);
      expect(plan.actions.map((a) => a.id)).toEqual(['later-Start', 'later-End']);
    });
  });
});
