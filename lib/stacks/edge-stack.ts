import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { Canary } from '../canary/canary';
import { grantReadTestSigning } from '../canary/test-signing';
import { OutageSite } from '../edge/outage-site';
import { DnsFailover } from '../failover/dns-failover';
import { DrainSwitchHolder } from '../failover/drain-switch';
import { AlarmTopic } from '../monitoring/alarm-topic';
import { RegionalKey } from '../monitoring/regional-key';
import { renderOutagePage } from '../../outage-page/render';

/** Properties of {@link EdgeStack}. */
export interface EdgeStackProps extends StackProps {
  readonly config: ShopConfig;
  /** Switch alarms held by each regional stack (holder region → target region → alarm), read at synth. */
  readonly regionalSwitchAlarms: Readonly<Record<string, Readonly<Record<string, cloudwatch.Alarm>>>>;
}

/**
 * The us-east-1 stack: the outage page (CloudFront requires its certificate and web ACL here) and
 * the Route 53 failover chain with its health checks and their alarms (Route 53 publishes health
 * check metrics only here). It is deployed after every regional stack, whose direct names and drain
 * switch alarms its health checks name; it reads none of their attributes.
 */
export class EdgeStack extends Stack {
  readonly site: OutageSite;
  readonly failover: DnsFailover;
  readonly alarms: AlarmTopic;
  readonly switches: DrainSwitchHolder;
  readonly canary: Canary;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = new Names(config);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.hostedZone.id,
      zoneName: config.hostedZone.name,
    });
    const key = new RegionalKey(this, 'Key', { aliasName: `alias/${config.appName}-edge` });
    this.alarms = new AlarmTopic(this, 'Alarms', {
      topicName: names.alarmTopic(),
      emails: config.alarmEmails,
      key: key.key,
    });

    this.site = new OutageSite(this, 'OutagePage', {
      bucketName: names.outageBucket(),
      domainNames: [...names.publicNames(config.includeWww), names.outageRecord()],
      zone,
      files: renderOutagePage(config),
      logKey: key.key,
      replica: { bucketName: names.outageReplicaBucket(), region: names.outageReplicaRegion() },
      waf: config.waf.outagePage
        ? { name: `${config.appName}-outage-page`, rateLimit: config.waf.ratePer5MinPerIp, logKey: key.key }
        : undefined,
    });
    new ssm.StringParameter(this, 'DistributionId', {
      parameterName: names.outageDistributionParameter(),
      description: 'CloudFront distribution of the outage page (shopctl invalidates status.json on it)',
      stringValue: this.site.distribution.distributionId,
    });

    // The edge region holds a copy of every region's switch, written by shopctl like any holder's:
    // with two regions a region's switch then never lives only in the other region (whose
    // CloudWatch fails with it), and no copy follows another holder's parameter (a stale holder
    // would then vote twice).
    this.switches = new DrainSwitchHolder(this, 'DrainSwitches', {
      names,
      targets: names.switchesHeldBy(Names.EDGE_REGION),
      key: key.key,
      alarms: this.alarms,
    });
    this.failover = new DnsFailover(this, 'Failover', {
      config,
      zone,
      distribution: this.site.distribution,
      alarms: this.alarms,
      switchAlarms: { ...props.regionalSwitchAlarms, [Names.EDGE_REGION]: this.switches.switchAlarms },
    });

    // A third vantage point in neither shop region (#12 defect 8).
    this.canary = new Canary(this, 'Canary', { config, key: key.key, alarms: this.alarms });
    // Its replica of the test-signing key uses the AWS managed key (see TestSigningSecret).
    grantReadTestSigning(this.canary.handler.policy, config, key.key);

    new CfnOutput(this, 'OutagePageUrl', { value: `https://${names.outageRecord()}/` });
    new CfnOutput(this, 'DistributionDomain', { value: this.site.distribution.distributionDomainName });
  }
}
