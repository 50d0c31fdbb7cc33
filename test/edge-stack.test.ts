import { Match } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../lib/config/load';
import { Names } from '../lib/config/names';
import { HEALTH_MARKER, HEALTH_PATH } from '../lib/contract/shop';
import { OUTAGE_CSP } from '../lib/edge/outage-site';
import { endpointChecks, failoverTimes } from '../lib/report/failover-time';
import { resourcesOf, synth } from './support/synth';

const config = loadConfig('default');
const names = new Names(config);
const { templates, shop } = synth(config);
const t = templates[names.edgeStack()];
const json = t.toJSON();

/** Logical id of the health check carrying a tag value. */
function checkId(tagValue: string, template = json): string {
  const hit = Object.entries<any>(template.Resources).find(
    ([, r]) =>
      r.Type === 'AWS::Route53::HealthCheck' &&
      r.Properties.HealthCheckTags.some((x: any) => x.Key === Names.HEALTH_CHECK_TAG && x.Value === tagValue),
  );
  if (!hit) throw new Error(`no health check tagged ${tagValue}`);
  return hit[0];
}

function chainRecords(template = json): Array<any> {
  return Object.values<any>(template.Resources)
    .filter((r) => r.Type === 'AWS::Route53::RecordSet' && r.Properties.Failover)
    .map((r) => r.Properties);
}

test('the edge stack is in us-east-1 (CloudFront certificates, web ACLs and Route 53 metrics live there)', () => {
  expect(shop.edge.region).toBe('us-east-1');
});

describe.each(config.regions.map((r) => [r.name]))('health checks of %s', (region) => {
  test('HTTPS string match on /healthz of the direct name, with interval, threshold and checker regions from config', () => {
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: {
        Type: 'HTTPS_STR_MATCH',
        FullyQualifiedDomainName: names.regionRecord(region),
        Port: 443,
        ResourcePath: HEALTH_PATH,
        SearchString: HEALTH_MARKER,
        EnableSNI: true,
        RequestInterval: config.healthCheck.intervalSeconds,
        FailureThreshold: config.healthCheck.failureThreshold,
        Regions: [...config.healthCheck.checkerRegions],
      },
    });
  });

  test('one alarm-backed switch check per holder region; a silent holder counts as healthy', () => {
    for (const holder of names.switchHolders(region)) {
      const id = checkId(`switch:${region}@${holder}`);
      expect(json.Resources[id].Properties.HealthCheckConfig).toEqual({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Region: holder, Name: names.switchAlarm(region) },
        InsufficientDataHealthStatus: 'Healthy',
      });
    }
  });

  test('the region check is CALCULATED: endpoint AND every switch copy', () => {
    const calc = json.Resources[checkId(`region:${region}`)].Properties.HealthCheckConfig;
    const children = [
      checkId(`endpoint:${region}`),
      ...names.switchHolders(region).map((h) => checkId(`switch:${region}@${h}`)),
    ];
    expect(calc.Type).toBe('CALCULATED');
    expect(calc.ChildHealthChecks).toEqual(children.map((id) => ({ 'Fn::GetAtt': [id, 'HealthCheckId'] })));
    expect(calc.HealthThreshold).toBe(children.length);
  });

  test('an alarm on the region check (Route 53 metrics exist only in us-east-1) pages the on-call', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckStatus',
      Dimensions: [
        { Name: 'HealthCheckId', Value: { 'Fn::GetAtt': [checkId(`region:${region}`), 'HealthCheckId'] } },
      ],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
    });
  });
});

describe('failover chain', () => {
  test('link i: PRIMARY is region i behind its region check; SECONDARY is the next link; the last SECONDARY is CloudFront', () => {
    const records = chainRecords();
    config.regions.forEach((r, i) => {
      const name = names.chainRecord(i);
      const primary = records.find((x) => x.Name === name && x.Failover === 'PRIMARY');
      const secondary = records.find((x) => x.Name === name && x.Failover === 'SECONDARY');
      expect(primary).toMatchObject({
        Type: 'A',
        SetIdentifier: `${r.name}-primary`,
        HealthCheckId: { 'Fn::GetAtt': [checkId(`region:${r.name}`), 'HealthCheckId'] },
        AliasTarget: {
          DNSName: names.regionRecord(r.name),
          HostedZoneId: config.hostedZone.id,
          EvaluateTargetHealth: true,
        },
      });
      const last = i === config.regions.length - 1;
      if (last) {
        expect(secondary).toMatchObject({
          SetIdentifier: 'outage-page',
          AliasTarget: {
            DNSName: { 'Fn::GetAtt': [expect.stringMatching(/^OutagePageDistribution/), 'DomainName'] },
            EvaluateTargetHealth: false,
          },
        });
        expect(secondary.HealthCheckId).toBeUndefined();
      } else {
        expect(secondary).toMatchObject({
          SetIdentifier: `then-${config.regions[i + 1].name}`,
          AliasTarget: { DNSName: names.chainRecord(i + 1), EvaluateTargetHealth: true },
        });
      }
    });
    expect(records).toHaveLength(2 * config.regions.length);
  });

  test('www follows the public name; outage.<domain> always reaches the page', () => {
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `www.${config.domainName}`,
      AliasTarget: { DNSName: config.domainName, EvaluateTargetHealth: true },
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: names.outageRecord(),
      AliasTarget: Match.objectLike({ EvaluateTargetHealth: false }),
    });
  });
});

describe('worst-case automatic failover', () => {
  // test/report.test.ts shows the same computation failing for 30 s × 3 (150 s > 100 s).
  test('interval × threshold + alias TTL, read from the template, stays within the config budget', () => {
    const times = failoverTimes(endpointChecks(json, Names.HEALTH_CHECK_TAG));
    expect(times.map((x) => x.region)).toEqual(config.regions.map((r) => r.name));
    for (const time of times) {
      expect(time.worstCaseSeconds).toBe(
        config.healthCheck.intervalSeconds * config.healthCheck.failureThreshold + 60,
      );
      expect(time.worstCaseSeconds).toBeLessThanOrEqual(config.failoverBudgetSeconds);
    }
  });
});

describe('outage page', () => {
  const pageBucket = () =>
    resourcesOf(t, 'AWS::S3::Bucket').find(([, b]) => b.Properties.BucketName === names.outageBucket())!;

  test('the bucket is private, TLS-only, versioned, encrypted, logged and retained', () => {
    const [id, bucket] = pageBucket();
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: expect.anything() },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    const policy = resourcesOf(t, 'AWS::S3::BucketPolicy').find(
      ([, p]) => p.Properties.Bucket.Ref === id,
    )![1];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // Only CloudFront (through OAC, for this distribution) may read; nobody is granted "*".
    const allows = statements.filter((s: any) => s.Effect === 'Allow');
    expect(allows.every((s: any) => s.Principal.Service === 'cloudfront.amazonaws.com')).toBe(true);
    expect(JSON.stringify(allows)).toContain('AWS:SourceArn');
  });

  test('CloudFront serves it through Origin Access Control with TLS 1.2+, HTTPS only, and its certificate', () => {
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: [...names.publicNames(config.includeWww), names.outageRecord()],
        ViewerCertificate: Match.objectLike({
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        Logging: Match.objectLike({ Bucket: Match.anyValue() }),
        WebACLId: Match.anyValue(),
      }),
    });
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: config.domainName,
      SubjectAlternativeNames: [`www.${config.domainName}`, names.outageRecord()],
      ValidationMethod: 'DNS',
    });
  });

  test('security headers: CSP, HSTS, frame options, content-type options', () => {
    t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: OUTAGE_CSP, Override: true },
          StrictTransportSecurity: Match.objectLike({
            AccessControlMaxAgeSec: 31536000,
            IncludeSubdomains: true,
          }),
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
        }),
      }),
    });
  });

  test('a changed notice shows within a minute: cache at most 60 s', () => {
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 30, MaxTTL: 60, MinTTL: 0 }),
    });
  });

  test('deploys never delete or overwrite status.json', () => {
    const [, deployment] = resourcesOf(t, 'Custom::CDKBucketDeployment')[0];
    expect(deployment.Properties.Prune).toBe(false);
    expect(deployment.Properties.Exclude).toEqual(['status.json']);
    expect(JSON.stringify(deployment.Properties.SourceMarkers ?? {})).not.toContain('status.json');
  });

  test('the web ACL rate-limits per IP and logs', () => {
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: { RateBasedStatement: { Limit: config.waf.ratePer5MinPerIp, AggregateKeyType: 'IP' } },
        }),
      ]),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `aws-waf-logs-${config.appName}-outage-page`,
    });
  });

  test('shopctl finds the distribution by a deterministic SSM parameter', () => {
    t.hasResourceProperties('AWS::SSM::Parameter', {
      Name: names.outageDistributionParameter(),
      Value: { Ref: Match.stringLikeRegexp('^OutagePageDistribution') },
    });
  });
});
