import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { esbuildAsset } from '../build/esbuild-asset';
import { acknowledgeGuard, acknowledgeNag, arnToken } from '../compliance/acknowledge';

/** Root of the Lambda handlers (`lambda/<name>/index.ts`). */
export const LAMBDA_DIR = path.join(__dirname, '..', '..', 'lambda');

/** Properties of {@link LoggedFunction}. */
export interface LoggedFunctionProps {
  /** Folder under `lambda/` holding `index.ts`. */
  readonly handlerDir: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Key that encrypts the log group. */
  readonly logKey: kms.IKey;
  /**
   * Why the function runs outside a VPC (it holds no cardholder data and reaches only public AWS
   * APIs or the public internet). Required, so the exception is stated where the function is defined.
   */
  readonly outsideVpcReason: string;
  /** @default logs.RetentionDays.ONE_YEAR (PCI DSS 10.7 keeps audit trails a year) */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Node.js function on the latest Lambda runtime (arm64), bundled and minified by local esbuild
 * (in-process, see {@link esbuildAsset}),
 * with its own encrypted, retained log group and a role that may write only to that log group.
 * The AWS SDK v3 comes from the runtime and is not bundled.
 */
export class LoggedFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  /** The role's only permissions (a customer-managed policy, not an inline one). */
  readonly policy: iam.ManagedPolicy;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LoggedFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (writes only to its own log group)`,
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `${props.description}: permissions`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:log-stream:*`],
        }),
      ],
    });
    acknowledgeNag(
      this.policy,
      `AwsSolutions-IAM5[Resource::${arnToken(this.logGroup)}:log-stream:*]`,
      "Lambda creates its log streams with generated names; the grant is limited to streams of this function's own log group.",
    );
    const entryDir = path.join(LAMBDA_DIR, props.handlerDir);
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(
        entryDir,
        esbuildAsset({
          entry: path.join(entryDir, 'index.ts'),
          outfile: 'index.js',
          target: 'node22',
          // The AWS SDK v3 is part of the Lambda runtime.
          external: ['@aws-sdk/*'],
        }),
      ),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
    });
    acknowledgeNag(this.function, 'PCI.DSS.321-LambdaInsideVPC', props.outsideVpcReason);
    acknowledgeGuard(this.function, 'lambda_inside_vpc_check', props.outsideVpcReason);
  }

  /**
   * Lets the function publish metrics in `namespace` only (in any region: PutMetricData has no
   * resource-level permissions, so the namespace condition is the whole scope).
   */
  allowPutMetricData(namespace: string): void {
    this.policy.addStatements(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': namespace } },
      }),
    );
    acknowledgeNag(
      this.policy,
      'AwsSolutions-IAM5[Resource::*]',
      `cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited by the cloudwatch:namespace condition to ${namespace}.`,
    );
  }

  /** Invokes the function on a fixed rate (no retries: the next run comes soon enough). */
  runEvery(id: string, rate: Duration, description: string): events.Rule {
    return new events.Rule(this.node.scope as Construct, id, {
      description,
      schedule: events.Schedule.rate(rate),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }

  /**
   * An alarm, beside the function, that goes to ALARM when the function has failed every minute for
   * `minutes` minutes in a row (no invocation is no failure).
   */
  failingAlarm(id: string, o: { alarmName: string; description: string; minutes: number }): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this.node.scope as Construct, id, {
      alarmName: o.alarmName,
      alarmDescription: o.description,
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: o.minutes,
      datapointsToAlarm: o.minutes,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
