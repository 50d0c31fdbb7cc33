import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { ShopConfig } from '../config/load';
import { Names } from '../config/names';
import { HEALTH_MARKER, HEALTH_PATH } from '../contract/shop';
import type { AlarmTopic } from '../monitoring/alarm-topic';
import { alarmDefinitionHash } from './drain-switch';
import { DRAIN_VOTES, regionHealthThreshold } from './health-thresholds';

/** Properties of {@link DnsFailover}. */
export interface DnsFailoverProps {
  readonly config: ShopConfig;
  readonly zone: route53.IHostedZone;
  /** The outage page's distribution: the last SECONDARY of the chain. */
  readonly distribution: cloudfront.IDistribution;
  /** Topic (us-east-1, where Route 53 metrics live) that health-check alarms page. */
  readonly alarms: AlarmTopic;
  /**
   * The switch alarms the health checks read, by holder region and target region (from the
   * regional stacks and the edge stack's own holder). Read at synth only, for their definitions.
   */
  readonly switchAlarms: Readonly<Record<string, Readonly<Record<string, cloudwatch.Alarm>>>>;
}

/** The health checks of one region. */
export interface RegionHealthChecks {
  /** HTTPS string-match check of the region's direct name `/healthz`. */
  readonly endpoint: route53.CfnHealthCheck;
  /**
   * Copies of the endpoint check (the same request), so that the endpoint weighs {@link DRAIN_VOTES}
   * in the calculated check: see {@link DnsFailover}.
   */
  readonly endpointCopies: route53.CfnHealthCheck[];
  /** One alarm-backed check per holder of the region's drain switch. */
  readonly switches: Record<string, route53.CfnHealthCheck>;
  /** CALCULATED: endpoint AND every switch copy. The chain record uses this one. */
  readonly region: route53.CfnHealthCheck;
}

/**
 * Route 53 failover across every region, ending at the outage page.
 *
 * The public name is a nested failover chain: link i's PRIMARY aliases region i's direct name
 * (guarded by region i's calculated health check) and its SECONDARY aliases link i+1, the last
 * SECONDARY aliasing CloudFront (which cannot evaluate target health, and need not: it is the end).
 * All records alias names in the same zone, so nothing here refers to another stack's resources.
 */
export class DnsFailover extends Construct {
  readonly checks: Record<string, RegionHealthChecks> = {};
  readonly records: route53.CfnRecordSet[] = [];

  constructor(scope: Construct, id: string, props: DnsFailoverProps) {
    super(scope, id);
    const { config, zone } = props;
    const names = new Names(config);
    const hc = config.healthCheck;
    const cloudFrontZoneId = route53Targets.CloudFrontTarget.getHostedZoneId(this);
    const tag = (value: string, name: string) => [
      { key: Names.HEALTH_CHECK_TAG, value },
      { key: Names.HEALTH_CHECK_APP_TAG, value: config.appName },
      { key: 'Name', value: name },
    ];

    for (const r of config.regions) {
      const endpointConfig: route53.CfnHealthCheck.HealthCheckConfigProperty = {
        type: 'HTTPS_STR_MATCH',
        fullyQualifiedDomainName: names.regionRecord(r.name),
        port: 443,
        resourcePath: HEALTH_PATH,
        searchString: HEALTH_MARKER,
        enableSni: true,
        requestInterval: hc.intervalSeconds,
        failureThreshold: hc.failureThreshold,
        regions: [...hc.checkerRegions],
      };
      const endpoint = new route53.CfnHealthCheck(this, `Endpoint-${r.name}`, {
        healthCheckConfig: { ...endpointConfig, measureLatency: true },
        healthCheckTags: tag(`endpoint:${r.name}`, `${config.appName} ${r.name} /healthz`),
      });
      const endpointCopies = Array.from(
        { length: DRAIN_VOTES - 1 },
        (_, i) =>
          new route53.CfnHealthCheck(this, `Endpoint${i + 2}-${r.name}`, {
            healthCheckConfig: endpointConfig,
            healthCheckTags: tag(
              `endpoint${i + 2}:${r.name}`,
              `${config.appName} ${r.name} /healthz (weight ${i + 2} of the endpoint in the region check)`,
            ),
          }),
      );
      const switches: Record<string, route53.CfnHealthCheck> = {};
      for (const holder of names.switchHolders(r.name)) {
        const alarm = props.switchAlarms[holder]?.[r.name];
        if (!alarm) throw new Error(`${this.node.path}: no switch alarm for ${r.name} held in ${holder}`);
        // The id carries the alarm's definition: a changed alarm replaces the check (Route 53 copies
        // the alarm's settings when the check is created and does not follow later changes).
        const check = new route53.CfnHealthCheck(
          this,
          `Switch-${r.name}-in-${holder}-${alarmDefinitionHash(alarm)}`,
          {
            healthCheckConfig: {
              type: 'CLOUDWATCH_METRIC',
              alarmIdentifier: { region: holder, name: names.switchAlarm(r.name) },
              // A holder with no data (its publisher or its region is down, or Route 53 cannot read its
              // CloudWatch) votes "drained"; the documented and the worst-case outcome are then the
              // same, and one vote never drains a region.
              insufficientDataHealthStatus: 'Unhealthy',
            },
            healthCheckTags: tag(
              `switch:${r.name}@${holder}`,
              `${config.appName} ${r.name} drain switch in ${holder}`,
            ),
          },
        );
        // Route 53 reads the alarm when the check is created: one in this stack must exist first.
        if (Stack.of(alarm) === Stack.of(this))
          check.addResourceDependency(alarm.node.defaultChild as CfnResource);
        switches[holder] = check;
      }
      const children = [endpoint, ...endpointCopies, ...Object.values(switches)];
      const region = new route53.CfnHealthCheck(this, `Region-${r.name}`, {
        healthCheckConfig: {
          type: 'CALCULATED',
          childHealthChecks: children.map((c) => c.attrHealthCheckId),
          healthThreshold: regionHealthThreshold(children.length),
        },
        healthCheckTags: tag(
          `region:${r.name}`,
          `${config.appName} ${r.name} serving (endpoint AND fewer than ${DRAIN_VOTES} switch copies drained or silent)`,
        ),
      });
      this.checks[r.name] = { endpoint, endpointCopies, switches, region };

      const alarm = new cloudwatch.Alarm(this, `Unhealthy-${r.name}`, {
        alarmName: `${config.appName}-route53-${r.name}-unhealthy`,
        alarmDescription: `Route 53 takes ${r.name} out of the failover chain (its /healthz fails or it is drained). Run: shopctl status`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Route53',
          metricName: 'HealthCheckStatus',
          dimensionsMap: { HealthCheckId: region.attrHealthCheckId },
          statistic: 'Minimum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      props.alarms.page(alarm);
    }

    config.regions.forEach((r, i) => {
      const name = names.chainRecord(i);
      this.records.push(
        new route53.CfnRecordSet(this, `Chain${i + 1}-Primary`, {
          hostedZoneId: zone.hostedZoneId,
          name,
          type: 'A',
          setIdentifier: `${r.name}-primary`,
          failover: 'PRIMARY',
          healthCheckId: this.checks[r.name].region.attrHealthCheckId,
          aliasTarget: {
            dnsName: names.regionRecord(r.name),
            hostedZoneId: zone.hostedZoneId,
            evaluateTargetHealth: true,
          },
        }),
      );
      const last = i === config.regions.length - 1;
      this.records.push(
        new route53.CfnRecordSet(this, `Chain${i + 1}-Secondary`, {
          hostedZoneId: zone.hostedZoneId,
          name,
          type: 'A',
          setIdentifier: last ? 'outage-page' : `then-${config.regions[i + 1].name}`,
          failover: 'SECONDARY',
          aliasTarget: last
            ? {
                dnsName: props.distribution.distributionDomainName,
                hostedZoneId: cloudFrontZoneId,
                evaluateTargetHealth: false,
              }
            : {
                dnsName: names.chainRecord(i + 1),
                hostedZoneId: zone.hostedZoneId,
                evaluateTargetHealth: true,
              },
        }),
      );
    });

    // Route 53 rejects an alias to a name in the zone that does not exist yet ("Tried to create an
    // alias that targets ..., but that target was not found",
    // https://github.com/barnybug/cli53/issues/227), and CloudFormation creates independent records
    // in parallel: each link's SECONDARY waits for the next link's records.
    const link = (i: number) => this.records.slice(2 * i, 2 * i + 2);
    for (let i = 0; i + 1 < config.regions.length; i++) {
      for (const next of link(i + 1)) link(i)[1].addResourceDependency(next);
    }

    if (config.includeWww) {
      this.records.push(
        new route53.CfnRecordSet(this, 'Www', {
          hostedZoneId: zone.hostedZoneId,
          name: `www.${config.domainName}`,
          type: 'A',
          aliasTarget: {
            dnsName: names.chainRecord(0),
            hostedZoneId: zone.hostedZoneId,
            evaluateTargetHealth: true,
          },
        }),
      );
      for (const first of link(0)) this.records[this.records.length - 1].addResourceDependency(first);
    }
    this.records.push(
      new route53.CfnRecordSet(this, 'Outage', {
        hostedZoneId: zone.hostedZoneId,
        name: names.outageRecord(),
        type: 'A',
        aliasTarget: {
          dnsName: props.distribution.distributionDomainName,
          hostedZoneId: cloudFrontZoneId,
          evaluateTargetHealth: false,
        },
      }),
    );
  }
}
