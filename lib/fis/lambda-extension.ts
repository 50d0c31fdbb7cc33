import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledgeGuard, acknowledgeNag, arnToken } from '../compliance/acknowledge';
import type { LoggedFunction } from '../monitoring/logged-function';

/** Folder of the configuration bucket that FIS writes fault configurations to and the extension reads. */
export const FIS_CONFIG_PREFIX = 'fis-configs';

/** Where the configuration bucket's access logs go in the region's access-log bucket. */
const ACCESS_LOG_PREFIX = 's3/fis-config/';

/** `AWS_LAMBDA_EXEC_WRAPPER` of a function that carries the extension (the use-lambda-actions page). */
export const FIS_EXEC_WRAPPER = '/opt/aws-fis/bootstrap';

/**
 * Public SSM parameter holding the ARN of the latest 1.x release of the FIS Lambda extension layer
 * for one architecture (`arm64` or `x86_64`) in the region that reads it.
 * https://docs.aws.amazon.com/fis/latest/userguide/actions-lambda-extension-arns.html
 */
export function extensionParameterName(architecture: lambda.Architecture): string {
  return `/aws/service/fis/lambda-extension/AWS-FIS-extension-${architecture.name}/1.x.x`;
}

/** Properties of {@link FisLambdaExtension}. */
export interface FisLambdaExtensionProps {
  /** Bucket that receives the configuration bucket's S3 server access logs (the region's access-log bucket). */
  readonly accessLogs: s3.IBucket;
}

/**
 * What AWS FIS needs to inject faults into Lambda functions of one region
 * (https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html): a configuration bucket
 * in this region ("a separate bucket for each AWS Region"), and on each function the FIS extension
 * as a layer, `AWS_LAMBDA_EXEC_WRAPPER=/opt/aws-fis/bootstrap`,
 * `AWS_FIS_CONFIGURATION_LOCATION=<bucket ARN>/fis-configs/` and read access to that folder only
 * (`s3:ListBucket` with an `s3:prefix` condition, `s3:GetObject` on the folder), as the page's
 * extension policy has it. The experiment role's side is in `scenarios.ts`.
 *
 * The layer's ARN is the public SSM parameter of the functions' architecture, resolved by
 * CloudFormation at each deploy (a template parameter of type `AWS::SSM::Parameter::Value<String>`):
 * no lookup at synth, and each deploy takes the latest 1.x release.
 */
export class FisLambdaExtension extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FisLambdaExtensionProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Config', {
      // The use-lambda-actions page gives the extension and the experiment S3 permissions only; with
      // SSE-KMS both would also need key permissions the docs do not describe, so SSE-S3 (the
      // objects are fault settings: which function, what fault, until when; no customer data).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      // FIS deletes a configuration when its experiment ends; the expiry is the backstop for one it
      // could not delete, so that no fault setting outlives a day (experiments here last 15 minutes at most).
      lifecycleRules: [
        { expiration: Duration.days(1), noncurrentVersionExpiration: Duration.days(1) },
        { expiredObjectDeleteMarker: true },
      ],
      // Nothing in it is worth keeping, and two days after the last experiment it is empty: turning
      // lambdaFaultInjection off then deletes it (CloudFormation cannot delete a bucket that still
      // holds objects; it reports that and leaves the bucket, to be emptied and deleted by hand).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // S3 server access logs go to the region's access-log bucket. That bucket enforces bucket-owner
    // object ownership, so log delivery is granted by its bucket policy, not by an ACL
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html, "Permissions for
    // server access log delivery"); the project keeps @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy
    // off, under which CDK would try the ACL, so the grant is written here.
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: props.accessLogs.bucketName,
      logFilePrefix: ACCESS_LOG_PREFIX,
    };
    props.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [props.accessLogs.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    const why =
      'It holds only transient FIS fault configurations (deleted by FIS when an experiment ends, expired after a day)';
    acknowledgeNag(
      this.bucket,
      'PCI.DSS.321-S3DefaultEncryptionKMS',
      `${why}; SSE-S3 because the FIS Lambda extension and experiment permissions documented by AWS are S3-only, and the docs do not say what the extension does when it cannot read its folder (the canary and the switch publisher carry it).`,
    );
    acknowledgeGuard(
      this.bucket,
      's3_bucket_default_encryption_kms_check',
      `${why}; SSE-S3 because the FIS Lambda extension and experiment permissions documented by AWS are S3-only.`,
    );
    acknowledgeNag(
      this.bucket,
      'PCI.DSS.321-S3BucketReplicationEnabled',
      `${why}; FIS requires a separate configuration bucket in each region, read only by that region's functions.`,
    );
    acknowledgeGuard(
      this.bucket,
      's3_bucket_object_lock_enabled_check',
      `${why}; Object Lock would stop FIS from deleting a configuration when the experiment ends.`,
    );
    acknowledgeGuard(
      this.bucket,
      's3_event_notifications_enabled_check',
      `${why}; the extension polls the folder, nothing consumes object events.`,
    );
  }

  /** `arn:<partition>:s3:::<bucket>/fis-configs/*`: the objects FIS writes and the extension reads. */
  get configObjectsArn(): string {
    return this.bucket.arnForObjects(`${FIS_CONFIG_PREFIX}/*`);
  }

  /**
   * Adds the extension to `fn`: its layer (of the function's architecture), the two environment
   * variables, and read access to the configuration folder in the function's own policy.
   */
  attach(fn: LoggedFunction): void {
    const f = fn.function;
    const layerArn = ssm.StringParameter.valueForStringParameter(
      this,
      extensionParameterName(f.architecture),
    );
    f.addLayers(lambda.LayerVersion.fromLayerVersionArn(fn, 'FisExtension', layerArn));
    f.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', FIS_EXEC_WRAPPER);
    f.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', `${this.bucket.bucketArn}/${FIS_CONFIG_PREFIX}/`);
    fn.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${FIS_CONFIG_PREFIX}/*`] } },
      }),
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.configObjectsArn] }),
    );
    acknowledgeNag(
      fn.policy,
      `AwsSolutions-IAM5[Resource::${arnToken(this.bucket)}/${FIS_CONFIG_PREFIX}/*]`,
      'FIS names each fault configuration object when an experiment starts; the function may only read objects of the FIS configuration folder of its own region.',
    );
  }
}
