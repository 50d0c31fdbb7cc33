/**
 * The Route 53 control plane of the local drill: the health-check API calls `shopctl` makes
 * (ListHealthChecks, ListTagsForResources, GetHealthCheck, UpdateHealthCheck), answered from and
 * applied to the drill model, so that the local Route 53 ({@link LocalRoute53}) evaluates the
 * checks as `shopctl` left them. This is how the drill and its tests measure what a CLI step does
 * to DNS, as customers see it, instead of checking the step against its own beliefs.
 *
 * What UpdateHealthCheck does, as documented
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html):
 * - `HealthCheckVersion` must match the check's current version, else HealthCheckVersionMismatch;
 *   each update increments it.
 * - `Inverted` inverts the check's status
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-invert.html).
 * - `HealthThreshold` of a CALCULATED check: greater than the number of children means "always
 *   unhealthy", 0 means "always healthy"
 *   (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/route53/aws.sdk.kotlin.services.route53.model/-update-health-check-request/health-threshold.html).
 * How long Route 53 takes to apply an update is not documented; the local one applies it at once.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import type { Deps } from '../../cli/aws/deps';
import type { ShopConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import type { CheckSpec, DrillModel } from './model';

/** Input of the commands answered (the SDK's, as far as the drill uses them). */
interface CommandLike {
  readonly constructor: { readonly name: string };
  readonly input: Record<string, unknown>;
}

/** Health-check API over the (mutable) checks of a drill model. */
export class LocalRoute53ControlPlane {
  private readonly versions = new Map<string, number>();
  /** Every accepted UpdateHealthCheck, in order (what the fast path changed). */
  readonly updates: Record<string, unknown>[] = [];

  constructor(private readonly model: DrillModel) {}

  private get checks(): Record<string, CheckSpec> {
    // The local Route 53 reads `model.checks[id]` on every evaluation: replacing an entry applies it.
    return this.model.checks as Record<string, CheckSpec>;
  }

  /** Answers one SDK command, as Route53Client.send would. */
  async send(command: CommandLike): Promise<unknown> {
    const input = command.input;
    switch (command.constructor.name) {
      case 'ListHealthChecksCommand':
        return {
          HealthChecks: Object.keys(this.checks).map((id) => ({
            Id: id,
            CallerReference: id,
            HealthCheckVersion: this.version(id),
            HealthCheckConfig: this.config(id),
          })),
          IsTruncated: false,
        };
      case 'ListTagsForResourcesCommand':
        return {
          ResourceTagSets: (input.ResourceIds as string[]).map((id) => ({
            ResourceId: id,
            ResourceType: 'healthcheck',
            Tags: Object.entries(this.checks[id]?.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
          })),
        };
      case 'GetHealthCheckCommand': {
        const id = this.known(input.HealthCheckId);
        return {
          HealthCheck: {
            Id: id,
            CallerReference: id,
            HealthCheckVersion: this.version(id),
            HealthCheckConfig: this.config(id),
          },
        };
      }
      case 'UpdateHealthCheckCommand':
        return this.update(input);
      default:
        throw new Error(`the local Route 53 control plane does not answer ${command.constructor.name}`);
    }
  }

  /** A Route53Client whose `send` is answered here (for `shopctl` code run against the drill). */
  client(): Route53Client {
    const client = new Route53Client({ region: Names.EDGE_REGION });
    Object.assign(client, { send: (c: CommandLike) => this.send(c) });
    return client;
  }

  private known(id: unknown): string {
    if (typeof id !== 'string' || !this.checks[id])
      throw Object.assign(new Error(`No health check exists with the specified ID ${String(id)}`), {
        name: 'NoSuchHealthCheck',
      });
    return id;
  }

  private version(id: string): number {
    return this.versions.get(id) ?? 1;
  }

  private config(id: string): Record<string, unknown> {
    const c = this.checks[id];
    if (c.kind === 'calculated')
      return {
        Type: 'CALCULATED',
        Inverted: c.inverted,
        HealthThreshold: c.threshold,
        ChildHealthChecks: [...c.children],
      };
    if (c.kind === 'metric')
      return {
        Type: 'CLOUDWATCH_METRIC',
        Inverted: c.inverted,
        AlarmIdentifier: { Region: c.alarmRegion, Name: c.alarmName },
        InsufficientDataHealthStatus: c.insufficientData,
      };
    return {
      Type: c.type,
      Inverted: c.inverted,
      FullyQualifiedDomainName: c.fqdn,
      Port: c.port,
      ResourcePath: c.path,
      RequestInterval: c.intervalSeconds,
      FailureThreshold: c.failureThreshold,
    };
  }

  private update(input: Record<string, unknown>): unknown {
    const id = this.known(input.HealthCheckId);
    if (input.HealthCheckVersion !== undefined && input.HealthCheckVersion !== this.version(id))
      throw Object.assign(new Error(`version ${String(input.HealthCheckVersion)} is not current`), {
        name: 'HealthCheckVersionMismatch',
      });
    const c = this.checks[id];
    let next: CheckSpec = c;
    if (typeof input.Inverted === 'boolean') next = { ...next, inverted: input.Inverted };
    if (input.HealthThreshold !== undefined) {
      if (c.kind !== 'calculated')
        throw Object.assign(new Error('HealthThreshold applies to CALCULATED checks only'), {
          name: 'InvalidInput',
        });
      next = { ...(next as typeof c), threshold: Number(input.HealthThreshold) };
    }
    this.checks[id] = next;
    this.versions.set(id, this.version(id) + 1);
    this.updates.push({ ...input });
    return {
      HealthCheck: { Id: id, HealthCheckVersion: this.version(id), HealthCheckConfig: this.config(id) },
    };
  }
}

/**
 * The part of `shopctl`'s dependencies that its Route 53 steps use, wired to the local control
 * plane: the real step code runs, only the API answers are local.
 */
export function controlPlaneDeps(
  config: ShopConfig,
  plane: LocalRoute53ControlPlane,
  extras: Partial<Pick<Deps, 'fetch' | 'sleep' | 'pollMs' | 'verifyTimeoutMs'>> = {},
): Deps {
  const route53 = plane.client();
  const deps: Partial<Deps> = {
    ...extras,
    config,
    names: new Names(config),
    globalRegion: Names.EDGE_REGION,
    clients: () => ({ route53 }) as unknown as ReturnType<Deps['clients']>,
    signal: new AbortController().signal,
    callTimeoutMs: 10_000,
    now: () => new Date(),
  };
  return deps as Deps;
}
