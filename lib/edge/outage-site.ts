import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeGuard, acknowledgeLogBucket, acknowledgeNag, arnToken } from '../compliance/acknowledge';
import { RateLimitedWebAcl } from '../monitoring/web-acl';

/** Properties of {@link OutageSite}. */
export interface OutageSiteProps {
  /** Physical name of the page bucket (deterministic: `shopctl notice` writes `status.json` here). */
  readonly bucketName: string;
  /** Names CloudFront answers for: the public names (end of the failover chain) and the outage name. */
  readonly domainNames: readonly string[];
  readonly zone: route53.IHostedZone;
  /** Page files by object key (never `status.json`, which `shopctl` owns). */
  readonly files: Readonly<Record<string, string>>;
  /** A web ACL (CLOUDFRONT scope, so this stack must be in us-east-1); none when undefined. */
  readonly waf?: { readonly name: string; readonly rateLimit: number; readonly logKey: kms.IKey };
  /** Key for the deployment's log group. */
  readonly logKey: kms.IKey;
}

/** Content security policy of the page: nothing but its own origin. */
export const OUTAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The static outage page: a private, versioned, encrypted bucket behind CloudFront with Origin
 * Access Control, TLS 1.2+, a certificate in us-east-1, strict security headers and short caching
 * (30 s default, 60 s at most, so a changed notice shows within a minute even without the
 * invalidation `shopctl` sends). Deploys add page files and never delete or overwrite `status.json`.
 */
export class OutageSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly certificate: acm.Certificate;
  readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: OutageSiteProps) {
    super(scope, id);
    if (Object.keys(props.files).some((k) => k === 'status.json')) {
      throw new Error(
        `${this.node.path}: files must not contain status.json (shopctl owns it; a deploy would overwrite a live notice)`,
      );
    }

    this.logBucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.bucket = new s3.Bucket(this, 'Page', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
    });

    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainNames[0],
      subjectAlternativeNames: props.domainNames.slice(1),
      validation: acm.CertificateValidation.fromDns(props.zone),
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Outage page security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: OUTAGE_CSP, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'Retry-After', value: '120', override: true }],
      },
    });
    const cache = new cloudfront.CachePolicy(this, 'Cache', {
      comment: 'Outage page: a changed notice shows within a minute',
      defaultTtl: Duration.seconds(30),
      maxTtl: Duration.seconds(60),
      minTtl: Duration.seconds(0),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    if (props.waf) {
      this.webAcl = new RateLimitedWebAcl(this, 'Waf', {
        scope: 'CLOUDFRONT',
        name: props.waf.name,
        rateLimit: props.waf.rateLimit,
        logKey: props.waf.logKey,
      }).webAcl;
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'resilient-shop outage page (end of the DNS failover chain)',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cache,
        responseHeadersPolicy: headers,
        compress: true,
      },
      defaultRootObject: 'index.html',
      // Any path of the shop (e.g. /products/3 on the public name) gets the page with a 503, so
      // browsers and crawlers know the outage is temporary.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 503,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      domainNames: [...props.domainNames],
      certificate: this.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      // The notice must reach customers wherever they are: no geo restriction (AwsSolutions-CFR1).
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      webAclId: this.webAcl?.attrArn,
    });
    const publicContent =
      'Holds only the public outage page (no cardholder or customer data); the page is rebuilt from source by every deploy and status.json is rewritten by shopctl';
    for (const bucket of [this.bucket, this.logBucket]) {
      acknowledgeNag(
        bucket,
        'PCI.DSS.321-S3BucketReplicationEnabled',
        `${publicContent}; CloudFront serves it from edge caches.`,
      );
    }
    acknowledgeNag(
      this.bucket,
      'PCI.DSS.321-S3DefaultEncryptionKMS',
      `${publicContent}. SSE-S3 keeps Origin Access Control simple; SSE-KMS would need a key policy naming the distribution, a circular reference.`,
    );
    acknowledgeNag(
      this.logBucket,
      'PCI.DSS.321-S3DefaultEncryptionKMS',
      'CloudFront standard logging delivers through bucket ACLs from the awslogsdelivery account, which SSE-KMS default encryption would reject; the logs describe requests for a public page.',
    );
    acknowledgeLogBucket(
      this.logBucket,
      'CloudFront and S3 access logs of the outage page',
      'CloudFront standard logging delivers through bucket ACLs, which SSE-KMS default encryption would reject',
    );
    acknowledgeGuard(
      this.logBucket,
      's3_bucket_acl_prohibited_check',
      'CloudFront standard logging writes log files through bucket ACLs (ObjectWriter ownership); the bucket is otherwise private.',
    );
    acknowledgeGuard(
      this.bucket,
      's3_bucket_default_encryption_kms_check',
      `${publicContent}. SSE-KMS would need a key policy naming the distribution, a circular reference.`,
    );
    acknowledgeGuard(
      this.bucket,
      's3_event_notifications_enabled_check',
      `${publicContent}; nothing reacts to object events.`,
    );
    acknowledgeGuard(
      this.bucket,
      's3_bucket_object_lock_enabled_check',
      `${publicContent}; shopctl must be able to replace status.json at any time, which Object Lock would forbid.`,
    );
    acknowledgeGuard(
      this.distribution,
      'cloudfront_origin_failover_enabled_check',
      'A second origin would need a replica bucket in another region; the page is the last link of the DNS chain and CloudFront keeps serving it from edge caches for up to 60 s. Left as a follow-up (docs/design.md, Known limits).',
    );
    acknowledgeNag(
      this.distribution,
      'AwsSolutions-CFR1',
      'The outage notice must reach customers in every country they buy from; a geo restriction would hide it.',
    );

    // The deployment's own role and log group (instead of CDK's defaults with an AWS managed policy).
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the outage page into its bucket and invalidates CloudFront',
    });
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deployLogs.logGroupArn, `${deployLogs.logGroupArn}:log-stream:*`],
      }),
    );
    new s3deploy.BucketDeployment(this, 'Deploy', {
      role: deployRole,
      logGroup: deployLogs,
      destinationBucket: this.bucket,
      sources: Object.entries(props.files)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, body]) => s3deploy.Source.data(key, body)),
      // Never delete what the deployment did not ship: status.json belongs to shopctl.
      prune: false,
      exclude: ['status.json'],
      cacheControl: [s3deploy.CacheControl.maxAge(Duration.seconds(30))],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    this.acknowledgeDeployment(deployRole, deployLogs);
  }

  /**
   * The findings that come from CDK's BucketDeployment itself, which the project does not write:
   * its grants use wildcards and its provider function pins its own runtime.
   */
  private acknowledgeDeployment(role: iam.Role, logGroup: logs.LogGroup): void {
    const stack = Stack.of(this);
    const generated = "Granted by CDK's BucketDeployment construct, which this project does not write";
    const findings: Array<[string, string]> = [
      ['Action::s3:GetObject*', `${generated}: read of the page source asset and of the page bucket.`],
      ['Action::s3:GetBucket*', `${generated}: read of the page source asset and of the page bucket.`],
      ['Action::s3:List*', `${generated}: listing the page bucket to compare files.`],
      [
        'Action::s3:DeleteObject*',
        `${generated}: write to the page bucket (prune is off, so nothing is deleted).`,
      ],
      ['Action::s3:Abort*', `${generated}: aborting its own failed multipart uploads to the page bucket.`],
      [`Resource::${arnToken(this.bucket)}/*`, `${generated}: objects of this page bucket only.`],
      [
        `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`,
        `${generated}: read of the CDK bootstrap assets bucket that holds the page source.`,
      ],
      [
        'Resource::*',
        `${generated}: cloudfront:CreateInvalidation and GetInvalidation, which the construct grants on *.`,
      ],
      [
        `Resource::${arnToken(logGroup)}:log-stream:*`,
        "Lambda names its log streams; limited to this function's log group.",
      ],
    ];
    for (const [finding, reason] of findings) acknowledgeNag(role, `AwsSolutions-IAM5[${finding}]`, reason);
    acknowledgeNag(
      role,
      'PCI.DSS.321-IAMNoInlinePolicy',
      `${generated}: it attaches its grants to the role it is given as an inline policy.`,
    );
    const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (provider) {
      acknowledgeGuard(
        provider,
        'lambda_inside_vpc_check',
        "CDK's BucketDeployment provider copies public page files between S3 buckets at deploy time; it handles no cardholder data.",
      );
      acknowledgeNag(
        provider,
        'PCI.DSS.321-LambdaInsideVPC',
        "CDK's BucketDeployment provider copies public page files between S3 buckets at deploy time; it handles no cardholder data and needs no network but S3 and CloudFront.",
      );
      acknowledgeNag(
        provider,
        'AwsSolutions-L1',
        "The runtime of CDK's BucketDeployment provider is chosen by aws-cdk-lib and moves with its upgrades.",
      );
    }
  }
}
