import type { ShopConfig } from './load';

/**
 * The one place that derives physical names shared between stacks, the shop, the canaries and
 * `shopctl`. Stacks never read each other's attributes across regions: they agree on these names.
 * Changing a function here renames (and so replaces) real resources.
 */
export class Names {
  constructor(private readonly config: Pick<ShopConfig, 'appName' | 'domainName' | 'account' | 'regions'>) {}

  /** Region in which the edge stack lives (CloudFront certificates and Route 53 metrics must be here). */
  static readonly EDGE_REGION = 'us-east-1';

  /** CloudFormation stack name of a regional stack. */
  regionalStack(region: string): string {
    return `${this.config.appName}-${region}`;
  }

  /**
   * CloudFormation stack name of a region's foundation stack: what other regions write into (the
   * key of secret replicas and copied backups, the backup vault). Deployed before every regional stack.
   */
  foundationStack(region: string): string {
    return `${this.config.appName}-${region}-foundation`;
  }

  /** Alias, in every region, of the key that encrypts what other regions write there (secret replicas, backup copies). */
  replicaKeyAlias(): string {
    return `alias/${this.config.appName}-replicas`;
  }

  /** CloudFormation stack name of the edge stack (us-east-1). */
  edgeStack(): string {
    return `${this.config.appName}-edge`;
  }

  /** The direct name of one region, aliased to its ALB: `ap-northeast-2.shop.example.com`. */
  regionRecord(region: string): string {
    return `${region}.${this.config.domainName}`;
  }

  /**
   * Name of link `i` in the failover chain. Link 0 is the public name; link i (i >= 1) is
   * `failover-<i+1>.<domain>`, whose PRIMARY is region i and whose SECONDARY is link i+1 or the outage page.
   */
  chainRecord(i: number): string {
    return i === 0 ? this.config.domainName : `failover-${i + 1}.${this.config.domainName}`;
  }

  /** Public names customers use, all resolved through the chain. */
  publicNames(includeWww: boolean): string[] {
    return includeWww ? [this.config.domainName, `www.${this.config.domainName}`] : [this.config.domainName];
  }

  /** Name the outage page is served on by CloudFront (also the chain's last SECONDARY target). */
  outageRecord(): string {
    return `outage.${this.config.domainName}`;
  }

  /** Aurora global cluster identifier. */
  globalClusterId(): string {
    return `${this.config.appName}-global`;
  }

  /** Regional Aurora cluster identifier. */
  dbClusterId(region: string): string {
    return `${this.config.appName}-${region}`;
  }

  /** Secrets Manager name of the database master secret, replicated under this name to every region. */
  dbSecretName(): string {
    return `${this.config.appName}/db/master`;
  }

  /** AWS Backup vault of `region` (its own recovery points and copies from another region); in the foundation stack. */
  backupVault(region: string): string {
    return `${this.config.appName}-${region}-vault`;
  }

  /** Auto Scaling group of the web tier (one per region, so the same name in each). */
  webGroup(): string {
    return `${this.config.appName}-web`;
  }

  /** SSM parameter (in each region) holding that region's database endpoints as JSON. */
  dbEndpointsParameter(): string {
    return `/${this.config.appName}/db/endpoints`;
  }

  /**
   * SSM parameter, in holder region `holder`, holding the desired drain state of region `target`
   * ("drained" or "serving"). Not owned by CloudFormation, so a deploy never undoes a drain.
   */
  switchParameter(target: string): string {
    return `/${this.config.appName}/switch/${target}`;
  }

  /** Path under which all switch parameters of a holder region live. */
  switchParameterPath(): string {
    return `/${this.config.appName}/switch/`;
  }

  /** CloudWatch namespace of the drain switch metric. */
  switchNamespace(): string {
    return `${this.config.appName}/failover-switch`;
  }

  /** Metric of the switch: 1 = drained, 0 = serving; dimension `TargetRegion`. */
  static readonly SWITCH_METRIC = 'Drained';

  /** Alarm, in holder region, that is in ALARM while `target` is drained. Route 53 reads its metric. */
  switchAlarm(target: string): string {
    return `${this.config.appName}-switch-${target}-drained`;
  }

  /**
   * Regions that hold a copy of `target`'s drain switch: every region but the target itself, so a
   * region that is impaired can always be drained from the others, and the edge region, so that with
   * two regions a region's switch never lives only in the other region (whose CloudWatch may be down
   * with it). `shopctl` writes each holder's own parameter; each copy follows only its own, so a
   * holder whose value is stale (a region that comes back after missing an undrain) is one vote,
   * never two. Route 53 reads one copy per holder.
   */
  switchHolders(target: string): string[] {
    return [...this.config.regions.map((r) => r.name).filter((r) => r !== target), Names.EDGE_REGION];
  }

  /** Regions whose drain switch `holder` keeps (the inverse of {@link switchHolders}). */
  switchesHeldBy(holder: string): string[] {
    return this.config.regions
      .map((r) => r.name)
      .filter((target) => this.switchHolders(target).includes(holder));
  }

  /** CloudWatch namespace of canary metrics. */
  canaryNamespace(): string {
    return `${this.config.appName}/canary`;
  }

  /** Alarm: `target` failing M of N runs as seen from `vantage` (it feeds the consensus alarm). */
  canaryTargetAlarm(target: string, vantage: string): string {
    return `${this.config.appName}-canary-${target}-from-${vantage}`;
  }

  /** Canary target ids: the public name, every region's direct name, and the outage page. */
  canaryTargets(): string[] {
    return ['public', ...this.config.regions.map((r) => r.name), 'outage'];
  }

  /**
   * Regions a canary runs in: every region and the edge region, so that with two regions a whole
   * region's outage still leaves two live vantage points for the "down from two" consensus.
   */
  canaryVantages(): string[] {
    return [...this.config.regions.map((r) => r.name), Names.EDGE_REGION];
  }

  /**
   * Regions that evaluate the consensus alarm of `target`: every vantage region except the target's
   * own (its CloudWatch may be down with it); global targets (public, outage) are watched from all.
   */
  canaryWatchers(target: string): string[] {
    return this.canaryVantages().filter((r) => r !== target);
  }

  /** Alarm, in every other vantage region, that `vantage`'s canary has gone silent. */
  canarySilentAlarm(vantage: string): string {
    return `${this.config.appName}-canary-silent-${vantage}`;
  }

  /** Composite alarm: target down as seen from at least two vantage points. */
  /** Alarm paging when the canary's test payment fails from two vantage points. */
  canaryPaymentPathAlarm(): string {
    return `${this.config.appName}-payment-path-broken`;
  }

  canaryConsensusAlarm(target: string): string {
    return `${this.config.appName}-down-${target}`;
  }

  /**
   * Alarm, in every regional stack, that stops game-day experiments: the public name failing from
   * two vantage points in the same minutes (a metric alarm; FIS documents stop conditions as
   * CloudWatch alarms and says nothing of composite ones). It does not page.
   */
  gameDayBrakeAlarm(): string {
    return `${this.config.appName}-game-day-brake`;
  }

  /** Prefix of every alarm of this app, for `DescribeAlarms`. */
  alarmPrefix(): string {
    return `${this.config.appName}-`;
  }

  /** SNS topic (per region, and in us-east-1 for Route 53) the on-call subscribes to. */
  alarmTopic(): string {
    return `${this.config.appName}-alarms`;
  }

  /** Tag key on each Route 53 health check, value e.g. `endpoint:ap-northeast-2`. */
  static readonly HEALTH_CHECK_TAG = 'resilient-shop:check';

  /**
   * Tag key on each Route 53 health check whose value is the app name: health checks are global to
   * the account, so two deployments (two app names) in one account tell theirs apart by it.
   */
  static readonly HEALTH_CHECK_APP_TAG = 'resilient-shop:app';

  /**
   * Region of the outage page's replica bucket: the configured primary, never the edge region (the
   * config refuses a shop region in us-east-1), so losing any single region leaves one copy.
   */
  outageReplicaRegion(): string {
    return this.config.regions[0].name;
  }

  /** S3 bucket with the replica of the outage page (in {@link outageReplicaRegion}). */
  outageReplicaBucket(): string {
    return `${this.config.appName}-outage-replica-${this.config.account}`;
  }

  /** S3 bucket with the outage page (us-east-1). Includes the account id: bucket names are global. */
  outageBucket(): string {
    return `${this.config.appName}-outage-${this.config.account}`;
  }

  /** SSM parameter (us-east-1) with the outage page's CloudFront distribution id. */
  outageDistributionParameter(): string {
    return `/${this.config.appName}/outage/distribution-id`;
  }

  /** CloudWatch Logs group (each region) that receives `shopctl` audit records. */
  auditLogGroup(): string {
    return `/${this.config.appName}/shopctl-audit`;
  }

  // --- capacity at failover (issue #14) ---

  /** CloudWatch namespace of the capacity mirror: what each region serves with, published into every region. */
  capacityNamespace(): string {
    return `${this.config.appName}/capacity`;
  }

  /** CloudWatch namespace of the failover readiness check (`Ready{Region}`, `CheckFailed{Region,Check}`). */
  readinessNamespace(): string {
    return `${this.config.appName}/readiness`;
  }

  /** Alarm (in `region`) that pages when a failover to `region` would not succeed now. */
  readinessAlarm(region: string): string {
    return `${this.config.appName}-not-ready-${region}`;
  }

  /** Alarm (in `region`): more requests arrive than the standby posture is sized for. */
  surgeAlarm(region: string): string {
    return `${this.config.appName}-surge-${region}`;
  }

  /** Composite alarm (in `region`) that makes the scaler raise `region` to the mirrored capacity. */
  absorbAlarm(region: string): string {
    return `${this.config.appName}-absorb-${region}`;
  }

  // --- payments (issue #21) ---

  /**
   * Secrets Manager name of a payment provider's keys (`{ secretKey }`, KakaoPay also `cid`), created
   * in the primary region and replicated under this name to every other region, like the database secret.
   */
  paymentSecretName(providerId: string): string {
    return `${this.config.appName}/payments/${providerId}`;
  }

  /**
   * Secrets Manager name of a payment provider's TEST keys (`{ secretKey: "test_…", keyIn }` for Toss,
   * `{ secretKey, cid: "TC0ONETIME" }` for KakaoPay), for the canary's test payment; replicated like
   * the live keys. The shop refuses anything but the provider's test key in it.
   */
  paymentTestSecretName(providerId: string): string {
    return `${this.config.appName}/payments/${providerId}/test`;
  }

  /**
   * SSM parameter, in every region, holding the payments operator switch: a JSON array of
   * `provider:<id>` / `method:<method>` that the shop stops offering. Written by `shopctl payments`
   * in every region that is up; the template only creates it (`[]`) and never updates the value.
   */
  paymentsSwitchParameter(): string {
    return `/${this.config.appName}/payments/disabled`;
  }

  /**
   * SSM parameter, in every region, holding the payment game day's fault switch
   * (lib/contract/payments.ts `DrillFault`): `{}`, or the provider whose calls the shop in that region
   * makes fail until a time. Written only by `shopctl drill payment-provider-outage`.
   */
  paymentsFaultParameter(): string {
    return `/${this.config.appName}/payments/drill-fault`;
  }

  /** CloudWatch namespace of the shop's payment metrics (lib/contract/payments.ts `PAYMENT_METRICS`). */
  paymentsNamespace(): string {
    return `${this.config.appName}/payments`;
  }

  /** Alarm (per region, provider and method): approvals below the floor in minutes with enough attempts. */
  paymentsApprovalAlarm(region: string, providerId: string, method: string): string {
    return `${this.config.appName}-payments-approval-${region}-${providerId}-${method}`;
  }

  /** Alarm (per region): unknown outcomes that no look-up has settled pile up. */
  paymentsUnknownsAlarm(region: string): string {
    return `${this.config.appName}-payments-unknowns-${region}`;
  }

  /** Alarm (per region, pages): no online method can be chosen; only the manual ways remain. */
  paymentsOnlineDownAlarm(region: string): string {
    return `${this.config.appName}-payments-online-down-${region}`;
  }

  /**
   * Secrets Manager name of the key that signs test requests (the canary's and the drill probe's
   * `x-shop-synthetic` / `x-shop-drill`), replicated to every region; the shop verifies with it.
   */
  testSigningSecretName(): string {
    return `${this.config.appName}/test-signing`;
  }

  // --- customer notifications (issue #25) ---

  /**
   * Secrets Manager name of a notification channel's key (`{ "secretKey": "…" }`, NHN channels
   * only), created in the primary region and replicated under this name to every other region.
   */
  notifySecretName(channelId: string): string {
    return `${this.config.appName}/notify/${channelId}`;
  }

  /**
   * SSM parameter, in every region, holding the notifications operator switch: a JSON array of
   * channel ids the dispatcher stops using. Written by `shopctl channels` in every region that is up;
   * the template only creates it (`[]`) and never updates the value.
   */
  notifySwitchParameter(): string {
    return `/${this.config.appName}/notify/disabled`;
  }

  /** CloudWatch namespace of the shop's notice metrics (lib/contract/notify.ts `NOTIFY_METRICS`). */
  notifyNamespace(): string {
    return `${this.config.appName}/notify`;
  }

  /** Alarm (per region): the oldest unsent notice is older than `notifications.alarms.oldestUnsentSeconds`. */
  notifyOldestUnsentAlarm(region: string): string {
    return `${this.config.appName}-notify-oldest-unsent-${region}`;
  }

  /** Composite alarm (per region): the shop is up but its notice publisher sends no heartbeat. */
  notifyUnmeasuredAlarm(region: string): string {
    return `${this.config.appName}-notify-unmeasured-${region}`;
  }

  /**
   * Alarm (per region, no actions): the shop's notice publisher could not read the outbox in each of
   * 3 minutes (lib/notify/notify-alarms.ts says why it does not page).
   */
  notifyOutboxUnreadableAlarm(region: string): string {
    return `${this.config.appName}-notify-outbox-unreadable-${region}`;
  }

  /** The two metric alarms (no actions) the {@link notifyUnmeasuredAlarm} combines. */
  notifyUnmeasuredParts(region: string): { silent: string; shopUp: string } {
    return {
      silent: `${this.config.appName}-notify-silent-${region}`,
      shopUp: `${this.config.appName}-notify-shop-up-${region}`,
    };
  }
}
