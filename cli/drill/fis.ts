/**
 * The five AWS FIS calls a game day needs, over FIS's REST-JSON API signed with SigV4.
 *
 * Why not `@aws-sdk/client-fis`: the registry this project installs from offers only 3.332.0 and
 * 3.523.0, which would pull a second, old copy of the SDK core into the lock; the other clients are
 * 3.116x. Paths and shapes follow the FIS API reference
 * (https://docs.aws.amazon.com/fis/latest/APIReference/Welcome.html): GET /experimentTemplates,
 * GET /experimentTemplates/{id}, POST /experiments, GET /experiments/{id}, DELETE /experiments/{id}.
 * Swap this file for the SDK client once a matching version is available.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { CONFIG_PREFIX_SEPARATOR, loadConfig } from '@smithy/core/config';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CallContext, withDeadline } from '../aws/deadline';
import { AwsCallError } from '../aws/errors';

export interface FisTemplateSummary {
  readonly id: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
}

export interface FisTemplate extends FisTemplateSummary {
  readonly roleArn?: string;
  readonly actions?: Record<
    string,
    { actionId: string; description?: string; parameters?: Record<string, string> }
  >;
  readonly targets?: Record<string, { resourceType: string; selectionMode: string }>;
  readonly stopConditions?: { source: string; value?: string }[];
}

export type FisStatus =
  | 'pending'
  | 'initiating'
  | 'running'
  | 'completed'
  | 'stopping'
  | 'stopped'
  | 'failed'
  | 'cancelled';

export interface FisExperiment {
  readonly id: string;
  readonly state: { readonly status: FisStatus; readonly reason?: string };
}

/** FIS, the way `shopctl drill` uses it (tests pass a fake or point the HTTP client at a local server). */
export interface FisApi {
  listExperimentTemplates(
    nextToken?: string,
  ): Promise<{ templates: FisTemplateSummary[]; nextToken?: string }>;
  getExperimentTemplate(id: string): Promise<FisTemplate>;
  startExperiment(input: {
    experimentTemplateId: string;
    clientToken: string;
    tags: Record<string, string>;
  }): Promise<FisExperiment>;
  getExperiment(id: string): Promise<FisExperiment>;
  stopExperiment(id: string): Promise<FisExperiment>;
}

/** An error FIS returned, shaped like the SDK's (name, HTTP status) so describeError handles it. */
export class FisError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

const bytes = (v: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof v === 'string'
    ? v
    : v instanceof ArrayBuffer
      ? new Uint8Array(v)
      : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** SHA-256 (and HMAC-SHA-256 with a secret) from node:crypto, in the shape SignatureV4 expects. */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export interface FisHttpOptions {
  readonly region: string;
  /** @default https://fis.REGION.amazonaws.com (or AWS_ENDPOINT_URL_FIS) */
  readonly endpoint?: string;
  readonly profile?: string;
  readonly fetch?: typeof globalThis.fetch;
  readonly credentials?: () => Promise<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  }>;
  readonly timeoutMs?: number;
  /**
   * The run's interrupt signal and call deadline (shopctl's Deps): each call is then cancelled by
   * Ctrl-C and bounded by the same deadline as every AWS SDK call. @default timeoutMs alone
   */
  readonly run?: CallContext;
}

/**
 * The configured endpoint of FIS, found where the SDK clients of the other services find theirs
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html): AWS_ENDPOINT_URL_FIS,
 * then AWS_ENDPOINT_URL, then the profile's `services` section (`fis = endpoint_url = ...`), then the
 * profile's `endpoint_url`; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * `ignore_configured_endpoint_urls` is true. Undefined: the regional default.
 */
export async function configuredFisEndpoint(profile?: string): Promise<string | undefined> {
  const o = profile ? { profile } : {};
  const ignore = await loadConfig<boolean>(
    {
      environmentVariableSelector: (env) => env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' || undefined,
      configFileSelector: (p) => p.ignore_configured_endpoint_urls === 'true' || undefined,
      default: false,
    },
    o,
  )();
  if (ignore) return undefined;
  return loadConfig<string | undefined>(
    {
      environmentVariableSelector: (env) => env.AWS_ENDPOINT_URL_FIS || env.AWS_ENDPOINT_URL || undefined,
      configFileSelector: (p, config) => {
        const section = p.services
          ? config?.[['services', p.services].join(CONFIG_PREFIX_SEPARATOR)]
          : undefined;
        return (
          section?.[['fis', 'endpoint_url'].join(CONFIG_PREFIX_SEPARATOR)] || p.endpoint_url || undefined
        );
      },
      default: undefined,
    },
    o,
  )();
}

/** A FIS client for one region over HTTPS with SigV4 (service name "fis"). */
export function fisOverHttp(o: FisHttpOptions): FisApi {
  // the endpoint is resolved once, on the first call (the shared config files are read then)
  let endpointOnce: Promise<URL> | undefined;
  const endpointUrl = () =>
    (endpointOnce ??= (async () =>
      new URL(
        o.endpoint ?? (await configuredFisEndpoint(o.profile)) ?? `https://fis.${o.region}.amazonaws.com`,
      ))());
  const signer = new SignatureV4({
    service: 'fis',
    region: o.region,
    sha256: Sha256,
    credentials: o.credentials ?? defaultProvider(o.profile ? { profile: o.profile } : {}),
  });
  const fetchFn = o.fetch ?? globalThis.fetch;

  /** One FIS call; every failure names the IAM action and the region, as the SDK calls' errors do. */
  async function call<T>(
    action: string,
    method: string,
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<T> {
    try {
      return await send<T>(method, path, query, body);
    } catch (e) {
      throw new AwsCallError(`fis:${action}`, o.region, e);
    }
  }

  async function send<T>(
    method: string,
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<T> {
    const endpoint = await endpointUrl();
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signed = await signer.sign({
      method,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path,
      query,
      headers: { host: endpoint.host, ...(text !== undefined && { 'content-type': 'application/json' }) },
      body: text,
    });
    const qs = new URLSearchParams(query).toString();
    const url = `${endpoint.origin}${path}${qs ? `?${qs}` : ''}`;
    const headers = signed.headers as Record<string, string>;
    // withDeadline's plain timer, not AbortSignal.timeout (see cli/aws/deadline.ts: on Node 20 a
    // timeout signal can lose its abort); the body is read under the same deadline.
    const ctx: CallContext = o.run ?? {
      signal: new AbortController().signal,
      callTimeoutMs: o.timeoutMs ?? 10_000,
    };
    const { res, raw } = await withDeadline(ctx, async (signal) => {
      const answer = await fetchFn(url, { method, headers, body: text, signal });
      return { res: answer, raw: await answer.text() };
    });
    const json = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (!res.ok) {
      const name = String(res.headers.get('x-amzn-errortype') ?? json.__type ?? `HTTP${res.status}`).split(
        ':',
      )[0];
      throw new FisError(name, String(json.message ?? json.Message ?? raw), res.status);
    }
    return json as T;
  }

  return {
    async listExperimentTemplates(nextToken) {
      const r = await call<{ experimentTemplates?: FisTemplateSummary[]; nextToken?: string }>(
        'ListExperimentTemplates',
        'GET',
        '/experimentTemplates',
        { maxResults: '100', ...(nextToken && { nextToken }) },
      );
      return { templates: r.experimentTemplates ?? [], ...(r.nextToken && { nextToken: r.nextToken }) };
    },
    async getExperimentTemplate(id) {
      return (
        await call<{ experimentTemplate: FisTemplate }>(
          'GetExperimentTemplate',
          'GET',
          `/experimentTemplates/${encodeURIComponent(id)}`,
        )
      ).experimentTemplate;
    },
    async startExperiment(input) {
      return (await call<{ experiment: FisExperiment }>('StartExperiment', 'POST', '/experiments', {}, input))
        .experiment;
    },
    async getExperiment(id) {
      return (
        await call<{ experiment: FisExperiment }>(
          'GetExperiment',
          'GET',
          `/experiments/${encodeURIComponent(id)}`,
        )
      ).experiment;
    },
    async stopExperiment(id) {
      return (
        await call<{ experiment: FisExperiment }>(
          'StopExperiment',
          'DELETE',
          `/experiments/${encodeURIComponent(id)}`,
        )
      ).experiment;
    },
  };
}
