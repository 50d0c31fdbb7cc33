import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  ListInvalidationsCommand,
} from '@aws-sdk/client-cloudfront';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricDataCommandInput,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  UpdateHealthCheckCommand,
  ListTagsForResourcesCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsStub, mockClient } from 'aws-sdk-client-mock';
import { main, Overrides } from '../../cli/main';
import { makeClientsFor, RegionClients } from '../../cli/aws/clients';
import type { HttpResponse } from '../../cli/aws/deps';
import { CHECKS } from '../../lambda/readiness/checks';

export const PRIMARY = 'ap-northeast-2';
export const STANDBY = 'ap-northeast-1';
export const EDGE = 'us-east-1';
export const REGIONS = [PRIMARY, STANDBY];
export const T0 = new Date('2026-05-01T03:00:00.000Z');
export const arnOf = (r: string) => `arn:aws:rds:${r}:111111111111:cluster:resilient-shop-${r}`;

type AnyStub = AwsStub<any, any, any>;
export const SERVICES: readonly (keyof RegionClients)[] = [
  'route53',
  'rds',
  'cloudwatch',
  'logs',
  's3',
  'cloudfront',
  'ssm',
  'sts',
  'secrets',
];
/** Per-attempt connect and answer timeout of clients pointed at a stalled server. */
export const STALL_ATTEMPT_MS = 300;
export type Mocks = { [K in keyof RegionClients]: AnyStub };

/** Builds an error shaped like the SDK's. */
export function awsError(name: string, message = name, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}
export const throttle = () => awsError('ThrottlingException', 'Rate exceeded');
export const denied = () => awsError('AccessDeniedException', 'User is not authorized');
export const timeout = () =>
  Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });
export const paramNotFound = () => new ParameterNotFound({ message: 'not found', $metadata: {} });

export interface WorldState {
  writer: string;
  dbStatus: string;
  /** Where a switchover in progress moves the writer; default the region that is not the writer. */
  movingTo?: string;
  /** drained[target][holder] */
  drained: Record<string, Record<string, boolean>>;
  healthz: Record<string, { status: number; mode: string; db: string } | null>;
  endpointHealthy: Record<string, number>;
  lagMs: number;
  resolvesTo: string;
  alarms: Record<string, string>;
  notice: string | null;
  /** status.json in the replica page bucket (its own copy; shopctl writes both). */
  replicaNotice: string | null;
  account: string;
  secretReplica: { Status: string; StatusMessage?: string };
  /** Region checks held out by the fast path (HealthThreshold above their children), by region. */
  heldOut: Record<string, boolean>;
  /** Readiness last published per region (1 ready, 0 not) and its failed checks; absent: nothing published. */
  readiness: Record<string, { ready: number; failed: string[] }>;
  /** When each invalidation of the outage distribution was created. */
  invalidatedAt: Date[];
}

export class World {
  readonly clients = new Map<string, RegionClients>();
  readonly mocks = new Map<string, Mocks>();
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly fetched: string[] = [];
  clock = T0.getTime();
  readonly auditFile: string;
  state: WorldState = {
    writer: PRIMARY,
    dbStatus: 'available',
    drained: {},
    healthz: {
      [PRIMARY]: { status: 200, mode: 'read-write', db: 'writer' },
      [STANDBY]: { status: 200, mode: 'read-only', db: 'secondary' },
    },
    endpointHealthy: { [PRIMARY]: 16, [STANDBY]: 16 },
    lagMs: 40,
    resolvesTo: PRIMARY,
    alarms: {},
    notice: null,
    replicaNotice: null,
    account: '111111111111',
    secretReplica: { Status: 'InSync', StatusMessage: 'Replication succeeded' },
    heldOut: {},
    readiness: { [STANDBY]: { ready: 1, failed: [] } },
    invalidatedAt: [],
  };
  confirmAnswer = true;
  interactive = false;
  /** Extra overrides for this world's runs (e.g. short deadlines). */
  extra: Overrides = {};
  /** Regions whose /healthz goes to a real local server, and that server's URL. */
  readonly healthzServer = new Map<string, string>();

  constructor() {
    this.auditFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-')), 'audit.jsonl');
    for (const r of [...REGIONS, EDGE]) {
      const c: RegionClients = {
        route53: new Route53Client({ region: r }),
        rds: new RDSClient({ region: r }),
        cloudwatch: new CloudWatchClient({ region: r }),
        logs: new CloudWatchLogsClient({ region: r }),
        s3: new S3Client({ region: r }),
        cloudfront: new CloudFrontClient({ region: r }),
        ssm: new SSMClient({ region: r }),
        sts: new STSClient({ region: r }),
        secrets: new SecretsManagerClient({ region: r }),
      };
      this.clients.set(r, c);
      const m = Object.fromEntries(
        Object.entries(c).map(([k, client]) => [k, mockClient(client as never)]),
      ) as unknown as Mocks;
      this.mocks.set(r, m);
      this.defaults(r, m);
    }
  }

  /**
   * Points `services` of `region` at a real local server (see support/fault-server.ts) through the SDK's
   * endpoint setting, with fake credentials and short timeouts (or `timeouts`, e.g. the production
   * ones in a benchmark): the real SDK handler meets the fault.
   */
  stall(
    region: string,
    url: string,
    services: readonly (keyof RegionClients)[] = SERVICES,
    timeouts: { readonly connectMs: number; readonly attemptMs: number } = {
      connectMs: STALL_ATTEMPT_MS,
      attemptMs: STALL_ATTEMPT_MS,
    },
  ): void {
    const real = makeClientsFor({
      endpoint: url,
      credentials: { accessKeyId: 'AKIDSHOPCTLTEST', secretAccessKey: 'not-a-secret' },
      connectionTimeoutMs: timeouts.connectMs,
      requestTimeoutMs: timeouts.attemptMs,
    })(region);
    const current = this.clients.get(region) as RegionClients;
    const next = { ...current } as Record<keyof RegionClients, unknown>;
    for (const s of services) next[s] = real[s];
    this.clients.set(region, next as unknown as RegionClients);
  }

  /** Short deadlines for worlds with a real stalled server: a call gives up after about a second. */
  shortDeadlines(): this {
    this.extra = { ...this.extra, callTimeoutMs: 1_000, httpTimeoutMs: 500, auditTimeoutMs: 2_000 };
    return this;
  }

  m(region: string): Mocks {
    const m = this.mocks.get(region);
    if (!m) throw new Error(`no mocks for ${region}`);
    return m;
  }

  private defaults(region: string, m: Mocks): void {
    m.rds.on(DescribeGlobalClustersCommand).callsFake(() => ({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'resilient-shop-global',
          Status: this.state.dbStatus,
          // as RDS: FailoverState only while a switchover or failover is in progress; by default the
          // move goes to the region that is not the writer
          ...(['switching-over', 'failing-over'].includes(this.state.dbStatus)
            ? {
                FailoverState: {
                  Status: this.state.dbStatus,
                  FromDbClusterArn: arnOf(this.state.writer),
                  ToDbClusterArn: arnOf(
                    this.state.movingTo ?? (REGIONS.find((r) => r !== this.state.writer) as string),
                  ),
                },
              }
            : {}),
          GlobalClusterMembers: REGIONS.map((r) => ({
            DBClusterArn: arnOf(r),
            IsWriter: r === this.state.writer,
          })),
        },
      ],
    }));
    m.ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
      const target = input.Name.split('/').pop() as string;
      if (this.state.drained[target]?.[region] === undefined) throw paramNotFound();
      return {
        Parameter: { Name: input.Name, Value: this.state.drained[target][region] ? 'drained' : 'serving' },
      };
    });
    m.ssm.on(GetParameterCommand, { Name: '/resilient-shop/outage/distribution-id' }).resolves({
      Parameter: { Value: 'EDFDVBD6EXAMPLE' },
    });
    m.ssm.on(PutParameterCommand).callsFake((input: { Name: string; Value: string }) => {
      const target = input.Name.split('/').pop() as string;
      this.state.drained[target] = { ...this.state.drained[target], [region]: input.Value === 'drained' };
      return { Version: 1 };
    });
    m.cloudwatch.on(PutMetricDataCommand).resolves({});
    m.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      const queries = input.MetricDataQueries ?? [];
      if (queries[0]?.Id === 'ready') {
        // the readiness check publishes into every region: any region answers for any other
        const judged = queries[0].MetricStat?.Metric?.Dimensions?.[0]?.Value as string;
        const r = this.state.readiness[judged];
        if (!r) return { MetricDataResults: queries.map((q) => ({ Id: q.Id, Values: [], Timestamps: [] })) };
        const at = new Date(this.clock - 2 * 60_000);
        return {
          MetricDataResults: [
            { Id: 'ready', Values: [r.ready], Timestamps: [at] },
            ...CHECKS.map((c, i) => ({
              Id: `check${i}`,
              Values: [r.failed.includes(c) ? 1 : 0],
              Timestamps: [at],
            })),
          ],
        };
      }
      return { MetricDataResults: [{ Id: 'lag', Values: [this.state.lagMs, 5] }] };
    });
    m.cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => {
      if (input.AlarmNames) {
        const target = input.AlarmNames[0].replace('resilient-shop-switch-', '').replace('-drained', '');
        return {
          MetricAlarms: [
            {
              AlarmName: input.AlarmNames[0],
              StateValue: this.state.drained[target]?.[region] ? 'ALARM' : 'OK',
            },
          ],
        };
      }
      return {
        CompositeAlarms: ['public', ...REGIONS, 'outage'].map((t) => ({
          AlarmName: `resilient-shop-down-${t}`,
          StateValue: this.state.alarms[t] ?? 'OK',
        })),
        MetricAlarms: [{ AlarmName: `resilient-shop-canary-public`, StateValue: 'OK' }],
      };
    });
    m.route53.on(ListHealthChecksCommand).resolves({
      HealthChecks: ['endpoint', 'region'].flatMap((kind) =>
        REGIONS.map((r) => ({
          Id: `hc-${kind}-${r}`,
          CallerReference: 'x',
          HealthCheckConfig: undefined,
          HealthCheckVersion: 1,
        })),
      ) as never,
      IsTruncated: false,
    });
    m.route53.on(ListTagsForResourcesCommand).callsFake((input: { ResourceIds: string[] }) => ({
      ResourceTagSets: input.ResourceIds.map((id) => ({
        ResourceId: id,
        ResourceType: 'healthcheck',
        Tags: [
          { Key: 'resilient-shop:check', Value: id.replace(/^hc-(\w+)-/, '$1:') },
          { Key: 'resilient-shop:app', Value: 'resilient-shop' },
        ],
      })),
    }));
    m.route53.on(GetHealthCheckCommand).callsFake((input: { HealthCheckId: string }) => ({
      HealthCheck: {
        Id: input.HealthCheckId,
        HealthCheckVersion: 1,
        HealthCheckConfig: input.HealthCheckId.startsWith('hc-region-')
          ? {
              Type: 'CALCULATED',
              ChildHealthChecks: ['e', 'e2', 's1', 's2'],
              HealthThreshold: this.state.heldOut[input.HealthCheckId.replace(/^hc-region-/, '')] ? 5 : 3,
            }
          : { Type: 'HTTPS' },
      },
    }));
    m.route53
      .on(UpdateHealthCheckCommand)
      .callsFake((input: { HealthCheckId: string; HealthThreshold?: number }) => {
        // Four children: a threshold above four holds the region out (the fast path), three is as deployed.
        if (input.HealthThreshold !== undefined)
          this.state.heldOut[input.HealthCheckId.replace(/^hc-region-/, '')] = input.HealthThreshold > 4;
        return { HealthCheck: { Id: input.HealthCheckId } };
      });
    m.route53.on(GetHealthCheckStatusCommand).callsFake((input: { HealthCheckId: string }) => {
      const r = input.HealthCheckId.replace('hc-endpoint-', '');
      const ok = this.state.endpointHealthy[r] ?? 0;
      return {
        HealthCheckObservations: Array.from({ length: 16 }, (_, i) => ({
          Region: 'us-east-1',
          IPAddress: `15.177.0.${i}`,
          StatusReport: {
            Status: i < ok ? 'Success: HTTP Status Code 200, OK' : 'Failure: HTTP Status Code 503',
          },
        })),
      };
    });
    // Two page buckets, each with its own status.json: us-east-1's (state.notice) and the replica's.
    const isReplica = (bucket?: string) => !!bucket?.includes('replica');
    m.s3.on(GetObjectCommand).callsFake((input: { Bucket?: string }) => {
      const text = isReplica(input.Bucket) ? this.state.replicaNotice : this.state.notice;
      if (text === null) throw new NoSuchKey({ message: 'no such key', $metadata: {} });
      return { Body: { transformToString: async () => text } };
    });
    m.s3.on(PutObjectCommand).callsFake((input: { Bucket?: string; Body: string }) => {
      if (isReplica(input.Bucket)) this.state.replicaNotice = input.Body;
      else this.state.notice = input.Body;
      return {};
    });
    m.cloudfront.on(CreateInvalidationCommand).callsFake(() => {
      this.state.invalidatedAt.push(new Date(this.clock));
      return { Invalidation: { Id: `I${this.state.invalidatedAt.length}` } as never };
    });
    m.cloudfront.on(ListInvalidationsCommand).callsFake(() => ({
      InvalidationList: {
        Items: this.state.invalidatedAt.map((t, i) => ({
          Id: `I${i + 1}`,
          CreateTime: t,
          Status: 'Completed',
        })),
      },
    }));
    m.logs.on(CreateLogStreamCommand).resolves({});
    m.logs.on(PutLogEventsCommand).resolves({});
    m.sts.on(GetCallerIdentityCommand).callsFake(() => ({
      Account: this.state.account,
      Arn: `arn:aws:sts::${this.state.account}:assumed-role/oncall/alice`,
      UserId: 'AROAEXAMPLE:alice',
    }));
    m.secrets.on(DescribeSecretCommand).callsFake(() =>
      region === PRIMARY
        ? {
            Name: 'resilient-shop/db/master',
            ReplicationStatus: REGIONS.filter((r) => r !== PRIMARY).map((r) => ({
              Region: r,
              KmsKeyId: 'alias/resilient-shop-data',
              ...this.state.secretReplica,
            })),
          }
        : { Name: 'resilient-shop/db/master', PrimaryRegion: PRIMARY },
    );
  }

  overrides(): Overrides {
    return {
      clients: (r) => {
        const c = this.clients.get(r);
        if (!c) throw new Error(`unexpected region ${r}`);
        return c;
      },
      fetch: async (url: string, init?: { signal?: AbortSignal }): Promise<HttpResponse> => {
        this.fetched.push(url);
        const region = REGIONS.find((r) => url === `https://${r}.shop.example.com/healthz`);
        const server = region && this.healthzServer.get(region);
        if (server) return fetch(`${server}/healthz`, { signal: init?.signal ?? null });
        const h = region ? this.state.healthz[region] : null;
        if (!h) throw new Error('fetch failed: ECONNREFUSED');
        return {
          status: h.status,
          json: async () => ({ region, role: 'x', version: '1', ...h }),
        };
      },
      resolve4: async (host: string) => {
        const ip: Record<string, string> = {
          [`${PRIMARY}.shop.example.com`]: '3.3.3.2',
          [`${STANDBY}.shop.example.com`]: '3.3.3.1',
          'outage.shop.example.com': '13.0.0.1',
        };
        if (host === 'shop.example.com') {
          const t =
            this.state.resolvesTo === 'outage'
              ? 'outage.shop.example.com'
              : `${this.state.resolvesTo}.shop.example.com`;
          if (!ip[t]) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
          return [ip[t]];
        }
        if (!ip[host]) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
        return [ip[host]];
      },
      now: () => new Date(this.clock),
      sleep: async (ms: number) => {
        this.clock += ms;
        this.onSleep?.();
      },
      pollMs: 10_000,
      confirm: async () => this.confirmAnswer,
      interactive: this.interactive,
      ttyOut: false,
      color: false,
      out: (s) => this.stdout.push(s),
      err: (s) => this.stderr.push(s),
      write: (s) => this.stdout.push(s.replace(/\n$/, '')),
      auditFile: this.auditFile,
      osUser: 'alice@laptop',
    };
  }

  /** Called on each poll sleep: lets a test move the world forward (e.g. finish a switchover). */
  onSleep?: () => void;

  async run(...argv: string[]): Promise<number> {
    return main(argv, { ...this.overrides(), interactive: this.interactive, ...this.extra });
  }

  get out(): string {
    return this.stdout.join('\n');
  }
  get err(): string {
    return this.stderr.join('\n');
  }

  /** Every call made, as "region service Command", in order per client. */
  calls(): {
    region: string;
    service: string;
    command: string;
    input: Record<string, unknown>;
    id: number;
  }[] {
    const all: {
      region: string;
      service: string;
      command: string;
      input: Record<string, unknown>;
      id: number;
    }[] = [];
    for (const [region, m] of this.mocks) {
      for (const [service, stub] of Object.entries(m)) {
        for (const call of (stub as AnyStub).calls()) {
          const cmd = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
          const id = (call as unknown as { callId: number }).callId;
          all.push({
            region,
            service,
            command: cmd.constructor.name.replace(/Command$/, ''),
            input: cmd.input,
            id,
          });
        }
      }
    }
    return all.sort((a, b) => a.id - b.id);
  }

  /** Calls that change infrastructure (audit log writes excluded). */
  mutatingCalls(): string[] {
    return this.calls()
      .filter(
        (c) => c.service !== 'logs' && /^(Put|Create|Delete|Switchover|Failover|Update)/.test(c.command),
      )
      .map((c) => `${c.region} ${c.command}`);
  }

  auditRecords(): Record<string, unknown>[] {
    if (!fs.existsSync(this.auditFile)) return [];
    return fs
      .readFileSync(this.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }

  reset(): void {
    for (const m of this.mocks.values()) for (const s of Object.values(m)) (s as AnyStub).restore();
  }
}
