import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';

/** What the publisher needs; read from the environment by {@link handler}. */
export interface PublisherConfig {
  /** Path under which `<path><target>` parameters hold "drained" or "serving". */
  readonly parameterPath: string;
  readonly namespace: string;
  readonly metricName: string;
  /**
   * Regions whose switch this region holds. The copy follows this region's parameters only: one
   * holder is one vote in the region check, even when its value is stale.
   */
  readonly targets: readonly string[];
}

/** Reads every `<path><target>` parameter in one region, following pagination. */
async function readSwitches(ssm: SSMClient, path: string): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: path, Recursive: false, NextToken: nextToken }),
    );
    for (const p of page.Parameters ?? []) {
      if (p.Name && p.Value !== undefined) values.set(p.Name.slice(path.length), p.Value);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return values;
}

/** The value published for each target: 1 = drained, 0 = serving. */
export type SwitchStates = Record<string, 0 | 1>;

/**
 * Reads the desired drain state of every target held in this region and publishes it as a metric,
 * so that the alarm Route 53 reads keeps receiving data. A missing or unreadable parameter means
 * "serving": the switch can only take a region out of service when someone asked for it.
 */
export async function publish(
  ssm: SSMClient,
  cloudwatch: CloudWatchClient,
  config: PublisherConfig,
): Promise<SwitchStates> {
  const values = await readSwitches(ssm, config.parameterPath);
  const drained = (target: string) => values.get(target)?.trim() === 'drained';

  const states: SwitchStates = {};
  for (const target of config.targets) states[target] = drained(target) ? 1 : 0;
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: config.namespace,
      MetricData: config.targets.map((target) => ({
        MetricName: config.metricName,
        Dimensions: [{ Name: 'TargetRegion', Value: target }],
        Value: states[target],
        Unit: 'Count',
      })),
    }),
  );
  return states;
}

/** Reads the publisher's settings from the environment the CDK construct writes. */
export function configFromEnv(env: NodeJS.ProcessEnv): PublisherConfig {
  const required = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`environment variable ${name} is missing`);
    return v;
  };
  return {
    parameterPath: required('SWITCH_PARAMETER_PATH'),
    namespace: required('SWITCH_NAMESPACE'),
    metricName: required('SWITCH_METRIC'),
    targets: required('SWITCH_TARGETS')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
}

const ssmClient = new SSMClient({});
const cloudWatchClient = new CloudWatchClient({});

/** Scheduled entry point (every minute). */
export async function handler(): Promise<SwitchStates> {
  const states = await publish(ssmClient, cloudWatchClient, configFromEnv(process.env));
  console.log(JSON.stringify({ message: 'switch states published', states }));
  return states;
}
