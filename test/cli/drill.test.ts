/**
 * `shopctl drill`: preflight (alarms, the readiness check of the failover targets, the probe's
 * baseline), confirmation, start, watch, Ctrl-C, report; CloudWatch, RDS, Auto Scaling, ACM and
 * Secrets Manager through aws-sdk-client-mock with exact arguments, FIS through a scripted fake (the
 * drill's FIS client is HTTP, tested against a local server below), the probe customer scripted
 * (the real one runs against a real shop in drill-probe.test.ts), every step's failure.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { CapacityClients } from '../../cli/capacity/capacity';
import type { RegionClients } from '../../cli/aws/clients';
import type { Deps } from '../../cli/aws/deps';
import { drill, type DrillFlags } from '../../cli/drill/drill';
import {
  configuredFisEndpoint,
  fisOverHttp,
  type FisApi,
  type FisExperiment,
  type FisStatus,
} from '../../cli/drill/fis';
import {
  ProbeCustomer,
  type Probe,
  type ProbeRound,
  type ProbeStep,
  type ProbeTransition,
  type ProbeVerdict,
} from '../../cli/drill/probe';
import { AwsCallError, EXIT, UsageError } from '../../cli/aws/errors';
import { drillCommand } from '../../cli/drill/command';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { HEALTH_PATH } from '../../lib/contract/shop';
import { SCENARIO_TAG } from '../../lib/fis/scenarios';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { startShop, waitFor, type RunningShop } from '../shop/helpers';
import { readyStandbyGroup, stoppedWarmPool } from '../capacity/fixtures';

const config = loadConfig('default');
const names = new Names(config);
const PRIMARY = config.regions[0].name;
const EDGE = Names.EDGE_REGION;
// The templates' stop condition is the metric brake alarm, not the composite page (lib/fis).
const STOP_ALARM = names.gameDayBrakeAlarm();
const PAGE_ALARM = names.canaryConsensusAlarm('public');
const STOP_ARN = `arn:aws:cloudwatch:${PRIMARY}:111111111111:alarm:${STOP_ALARM}`;
const CANARY_ALARM = names.canaryTargetAlarm('public', PRIMARY);
const EDGE_ALARM = `${config.appName}-route53-${PRIMARY}-unhealthy`; // lib/failover/dns-failover.ts
const STANDBY = config.regions[1].name;
const SHOP = 'https://shop.example.com';

/** The probe customer, scripted: the watch loop's tests make its steps fail and recover. */
class FakeProbe implements Probe {
  readonly baseUrl = SHOP;
  baseline: ProbeRound = { reach: { ok: true }, browse: { ok: true }, buy: { ok: true } };
  settles = true;
  settleMs: number[] = [];
  stopped = false;
  verdict: ProbeVerdict = {
    acknowledged: 12,
    lost: [],
    duplicated: [],
    unverified: [],
    unanswered: { placed: 0, notPlaced: 0, unknown: 0 },
  };
  private onChange?: (t: ProbeTransition) => void;
  async round() {
    return this.baseline;
  }
  start(onChange: (t: ProbeTransition) => void) {
    this.onChange = onChange;
  }
  /** What the real probe reports when a step changes. */
  emit(step: ProbeStep, ok: boolean, reason?: string) {
    this.onChange!({ at: new Date(clock), step, ok, ...(reason ? { reason } : {}) });
  }
  async stop() {
    this.stopped = true;
  }
  async settle(ms: number) {
    this.settleMs.push(ms);
    return this.settles;
  }
  async verify() {
    return this.verdict;
  }
}

class FakeFis implements FisApi {
  calls: string[] = [];
  statuses: FisStatus[] = ['initiating', 'running', 'running', 'completed'];
  reason?: string;
  failStart?: Error;
  templates = [
    { id: 'EXT1', tags: { [SCENARIO_TAG]: 'region-unreachable' } },
    { id: 'EXT2', tags: { [SCENARIO_TAG]: 'web-instance-loss' } },
  ];
  onPoll?: (n: number) => void;
  private polls = 0;
  async listExperimentTemplates(nextToken?: string) {
    this.calls.push(`list ${nextToken ?? ''}`.trim());
    return nextToken
      ? { templates: this.templates.slice(1) }
      : { templates: this.templates.slice(0, 1), nextToken: 'p2' };
  }
  async getExperimentTemplate(id: string) {
    this.calls.push(`getTemplate ${id}`);
    return {
      id,
      description: 'Half of the web instances are terminated',
      actions: { Terminate: { actionId: 'aws:ec2:terminate-instances' } },
      stopConditions: [{ source: 'aws:cloudwatch:alarm', value: STOP_ARN }],
    };
  }
  async startExperiment(input: {
    experimentTemplateId: string;
    clientToken: string;
    tags: Record<string, string>;
  }) {
    this.calls.push(`start ${JSON.stringify(input)}`);
    if (this.failStart) throw this.failStart;
    return { id: 'EXP1', state: { status: 'pending' as const } };
  }
  async getExperiment(id: string): Promise<FisExperiment> {
    this.calls.push(`get ${id}`);
    this.onPoll?.(this.polls);
    const status = this.statuses[Math.min(this.polls++, this.statuses.length - 1)];
    return { id, state: { status, ...(this.reason && status !== 'running' && { reason: this.reason }) } };
  }
  async stopExperiment(id: string) {
    this.calls.push(`stop ${id}`);
    this.statuses = ['stopping', 'stopped'];
    this.polls = 0;
    return { id, state: { status: 'stopping' as const } };
  }
}

let fis: FakeFis;
let probe: FakeProbe;
let alarms: Record<string, Record<string, string>>;
let cw: Record<string, AwsClientStub<CloudWatchClient>>;
let out: string[];
let reports: Record<string, string>;
let clock: number;
let confirmAnswer: boolean;
let abort: AbortController;
let capacity: CapacityClients;
let cap: {
  asg: AwsClientStub<AutoScalingClient>;
  acm: AwsClientStub<ACMClient>;
  secrets: AwsClientStub<SecretsManagerClient>;
};
let rds: AwsClientStub<RDSClient>;

const ago = (min: number) => new Date(clock - min * 60_000);
const series = (Id: string, values: number[]) => ({
  Id,
  Values: values,
  Timestamps: values.map((_, i) => ago(i + 1)),
});

/** The standby passes every readiness check (the same fixtures as shopctl check's tests). */
function readyStandby(): void {
  cap.asg
    .on(DescribeAutoScalingGroupsCommand)
    .resolves({ AutoScalingGroups: [readyStandbyGroup(new Date(clock))] });
  cap.asg.on(DescribeWarmPoolCommand).resolves({ Instances: stoppedWarmPool('i-w1', 'i-w2') });
  cap.acm.on(ListCertificatesCommand).resolves({
    CertificateSummaryList: [
      { CertificateArn: 'cert-standby', SubjectAlternativeNameSummaries: [names.regionRecord(STANDBY)] },
    ],
  });
  cap.acm
    .on(DescribeCertificateCommand)
    .resolves({ Certificate: { Status: 'ISSUED', NotAfter: new Date(clock + 365 * 86_400_000) } });
  cap.secrets
    .on(DescribeSecretCommand)
    .resolves({ ReplicationStatus: [{ Region: STANDBY, Status: 'InSync' }], PrimaryRegion: PRIMARY });
  const arn = `arn:aws:rds:${STANDBY}:111111111111:cluster:${names.dbClusterId(STANDBY)}`;
  rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available', DBClusterArn: arn }] });
  rds
    .on(DescribeGlobalClustersCommand)
    .resolves({ GlobalClusters: [{ GlobalClusterMembers: [{ DBClusterArn: arn, IsWriter: false }] }] });
  cw[STANDBY].on(GetMetricDataCommand).callsFake(() => ({
    MetricDataResults: [
      series('lag', [40]),
      ...[0, 1, 2].map((i) => series(`sw${i}`, [0])),
      series('can0', [0, 0, 0]),
      series('can1', [0, 0, 0]),
      series('mir0', [2]),
    ],
  }));
}

function deps(over: Partial<Deps> = {}): Deps {
  const clients = Object.fromEntries(
    [PRIMARY, EDGE, STANDBY].map((r) => {
      const c = new CloudWatchClient({ region: r });
      cw[r] = mockClient(c);
      cw[r].on(DescribeAlarmsCommand).callsFake(() => ({
        MetricAlarms: Object.entries(alarms[r])
          .filter(([n]) => !n.includes('-down-'))
          .map(([AlarmName, StateValue]) => ({ AlarmName, StateValue })),
        CompositeAlarms: Object.entries(alarms[r])
          .filter(([n]) => n.includes('-down-'))
          .map(([AlarmName, StateValue]) => ({ AlarmName, StateValue })),
      }));
      return [r, { cloudwatch: c, ...(r === STANDBY && { rds: standbyRds }) } as unknown as RegionClients];
    }),
  );
  readyStandby();
  return {
    config,
    names,
    clients: (r) => clients[r],
    globalRegion: EDGE,
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    pollMs: 10_000,
    confirm: async () => confirmAnswer,
    interactive: true,
    out: (s) => out.push(s),
    err: (s) => out.push(`ERR ${s}`),
    osUser: 'alice',
    signal: abort.signal,
    callTimeoutMs: 5_000,
    httpTimeoutMs: 5_000,
    color: false,
    ...over,
  } as Deps;
}

let standbyRds: RDSClient;

const run = (flags: DrillFlags = { yes: true }, scenario = 'web-instance-loss', d = deps()) =>
  drill(
    d,
    {
      fis: () => fis,
      signal: abort.signal,
      writeFile: (f, t) => (reports[f] = t),
      capacity: () => capacity,
      probe: () => probe,
    },
    scenario,
    flags,
  );

beforeEach(() => {
  fis = new FakeFis();
  probe = new FakeProbe();
  capacity = {
    autoscaling: new AutoScalingClient({ region: STANDBY }),
    acm: new ACMClient({ region: STANDBY }),
    secrets: new SecretsManagerClient({ region: STANDBY }),
  };
  cap = {
    asg: mockClient(capacity.autoscaling),
    acm: mockClient(capacity.acm),
    secrets: mockClient(capacity.secrets),
  };
  standbyRds = new RDSClient({ region: STANDBY });
  rds = mockClient(standbyRds);
  alarms = {
    [PRIMARY]: { [STOP_ALARM]: 'OK', [PAGE_ALARM]: 'OK', [CANARY_ALARM]: 'OK' },
    [EDGE]: { [EDGE_ALARM]: 'OK' },
  };
  cw = {};
  out = [];
  reports = {};
  clock = Date.parse('2026-11-26T10:00:00Z');
  confirmAnswer = true;
  abort = new AbortController();
});
afterEach(() => [...Object.values(cw), ...Object.values(cap), rds].forEach((m) => m.restore()));

test('--dry-run: finds the template by its scenario tag (all pages), prints the plan, starts nothing', async () => {
  expect(await run({ dryRun: true })).toBe(EXIT.ok);
  expect(fis.calls).toEqual(['list', 'list p2', 'getTemplate EXT2']);
  expect(out).toContain('  action Terminate: aws:ec2:terminate-instances');
  expect(out).toContain(`  stops when ${STOP_ALARM} goes to ALARM`);
  expect(out.at(-1)).toBe('Dry run: nothing started.');
  expect(cw[PRIMARY].commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
    AlarmNamePrefix: `${config.appName}-`,
    AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
  });
  expect(cw[EDGE].commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
});

test('a full game day: start, fault, canary, page, DNS, recovery, end; timeline and report', async () => {
  fis.onPoll = (n) => {
    if (n === 1) alarms[PRIMARY][CANARY_ALARM] = 'ALARM';
    if (n === 2) {
      alarms[PRIMARY][STOP_ALARM] = 'OK';
      alarms[EDGE][EDGE_ALARM] = 'ALARM';
    }
    if (n === 3) {
      alarms[PRIMARY][CANARY_ALARM] = 'OK';
      alarms[EDGE][EDGE_ALARM] = 'OK';
    }
  };
  expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.ok);
  const start = fis.calls.find((c) => c.startsWith('start'))!;
  expect(JSON.parse(start.slice(6))).toEqual({
    experimentTemplateId: 'EXT2',
    clientToken: `web-instance-loss-${Date.parse('2026-11-26T10:00:00Z')}`,
    tags: {
      Name: `${config.appName} game day web-instance-loss`,
      [SCENARIO_TAG]: 'web-instance-loss',
      operator: 'alice',
    },
  });
  const report = reports['r.md'];
  expect(report).toContain('# Game day: web-instance-loss in ' + PRIMARY);
  expect(report).toContain('| 2026-11-26T10:00:10.000Z | 0 s | fault injected (experiment running) |');
  expect(report).toContain(
    `| 2026-11-26T10:00:10.000Z | 0 s | canary failing: ${CANARY_ALARM} (${PRIMARY}) |`,
  );
  expect(report).toContain(
    `| 2026-11-26T10:00:20.000Z | 10 s | Route 53 check unhealthy (DNS moves): ${EDGE_ALARM} (${EDGE}) |`,
  );
  expect(report).toContain(
    `| DNS moved (Route 53 check unhealthy) | 10 s (within the ${config.failoverBudgetSeconds} s budget) |`,
  );
  expect(report).toContain('| 2026-11-26T10:00:30.000Z | 20 s | experiment completed |');
  expect(report).toContain('Canaries failed but nobody was paged');
  expect(out).toContain('Report: r.md');
});

test('the stop condition fires: FIS stops the experiment, exit 1, the report says so', async () => {
  fis.statuses = ['running', 'stopped'];
  fis.reason = 'Experiment stopped by stop condition';
  fis.onPoll = (n) => {
    if (n === 1) {
      alarms[PRIMARY][STOP_ALARM] = 'ALARM';
      alarms[PRIMARY][PAGE_ALARM] = 'ALARM';
    }
  };
  expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.failed);
  expect(reports['r.md']).toContain(`page sent: ${PAGE_ALARM} (${PRIMARY})`);
  expect(reports['r.md']).toContain(
    `stop condition fired (customers failing from two vantage points): FIS stops the experiment: ${STOP_ALARM} (${PRIMARY})`,
  );
  expect(reports['r.md']).toContain('experiment stopped: Experiment stopped by stop condition');
  expect(fis.calls.some((c) => c.startsWith('stop'))).toBe(false);
});

test('a scenario the config does not deploy there is refused before any AWS call, with the fix', async () => {
  // Lambda faults need gameDays.lambdaFaultInjection (off by default).
  for (const scenario of ['canary-failure', 'switch-publisher-failure']) {
    await expect(run({ yes: true }, scenario)).rejects.toThrow(
      `"${scenario}" needs FIS's Lambda extension on the functions, and the config has gameDays.lambdaFaultInjection off. ` +
        'Fix: set "gameDays": { "lambdaFaultInjection": true } in the config',
    );
  }
  // The database failover exists only where the writer lives.
  await expect(run({ yes: true, region: STANDBY }, 'database-failover')).rejects.toThrow(
    `"database-failover" exists only where the Aurora writer lives in normal operation. Fix: --region ${PRIMARY}`,
  );
  expect(fis.calls).toEqual([]);
  expect(cw[PRIMARY].calls()).toHaveLength(0);

  // With the switch on, canary-failure goes on to FIS.
  const on = { ...config, gameDays: { ...config.gameDays, lambdaFaultInjection: true } };
  fis.templates = [{ id: 'EXT9', tags: { [SCENARIO_TAG]: 'canary-failure' } }];
  expect(await run({ dryRun: true }, 'canary-failure', deps({ config: on }))).toBe(EXIT.ok);
  expect(fis.calls).toContain('getTemplate EXT9');
});

test('Ctrl-C stops the experiment and still writes the report', async () => {
  fis.statuses = ['running', 'running', 'running'];
  fis.onPoll = (n) => {
    if (n === 1) abort.abort();
  };
  expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.failed);
  expect(fis.calls.filter((c) => c.startsWith('stop'))).toEqual(['stop EXP1']);
  expect(reports['r.md']).toContain('operator pressed Ctrl-C: stopping the experiment');
  expect(reports['r.md']).toContain('- Outcome: stopped by the operator (stopped)');
});

test('refuses an unclean baseline (an alarm already in ALARM) unless --force', async () => {
  alarms[EDGE][EDGE_ALARM] = 'ALARM';
  await expect(run({ yes: true })).rejects.toThrow(
    `Not a clean baseline, in ALARM: ${EDGE_ALARM}. Fix: resolve them first (npx shopctl status), or pass --force to start anyway.`,
  );
  expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);
  expect(await run({ yes: true, force: true, report: 'r.md' })).toBe(EXIT.ok);
});

test('refuses when the stop-condition alarm does not exist, or the template is missing', async () => {
  delete alarms[PRIMARY][STOP_ALARM];
  await expect(run({ yes: true })).rejects.toThrow(`Stop-condition alarm(s) not found: ${STOP_ALARM}`);
  fis.templates = [];
  await expect(run({ yes: true }, 'database-failover')).rejects.toThrow(
    `No experiment template for "database-failover" in ${PRIMARY} (found: none)`,
  );
  await expect(run({ yes: true }, 'meteor')).rejects.toThrow('Unknown scenario "meteor". Fix: use one of');
  expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);
});

test('asks before starting; "no" changes nothing; non-interactive without --yes is refused', async () => {
  confirmAnswer = false;
  expect(await run({})).toBe(EXIT.ok);
  expect(out.at(-1)).toBe('Not started; nothing changed.');
  await expect(run({}, 'web-instance-loss', deps({ interactive: false }))).rejects.toThrow(
    'Refusing to start a fault experiment without --yes in a non-interactive shell.',
  );
  expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);
});

test('StartExperiment denied: the error surfaces, no report', async () => {
  fis.failStart = Object.assign(new Error('not authorized to perform fis:StartExperiment'), {
    name: 'AccessDeniedException',
  });
  await expect(run({ yes: true })).rejects.toThrow('not authorized to perform fis:StartExperiment');
  expect(reports).toEqual({});
});

test('a throttled read while watching is retried on the next poll, not fatal', async () => {
  let throttled = false;
  fis.onPoll = (n) => {
    if (n === 1 && !throttled) {
      throttled = true;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
  };
  expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.ok);
  expect(out).toContain('ERR could not read the experiment (Rate exceeded); retrying');
});

test('a region whose CloudWatch accepts and never answers: the preflight gives up at the call deadline, nothing is started', async () => {
  const d = deps({ callTimeoutMs: 200 });
  cw[PRIMARY].on(DescribeAlarmsCommand).callsFake(() => new Promise(() => undefined));
  await expect(run({ yes: true }, 'web-instance-loss', d)).rejects.toThrow(
    `cloudwatch:DescribeAlarms in ${PRIMARY}: TimeoutError: no answer within 200 ms (shopctl deadline)`,
  );
  expect(fis.calls.filter((c) => c.startsWith('start'))).toEqual([]);
});

describe('the FIS HTTP client against an endpoint that accepts and never answers', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer(() => undefined); // reads the request, never writes
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  const client = (run: { signal: AbortSignal; callTimeoutMs: number }) =>
    fisOverHttp({
      region: PRIMARY,
      endpoint: url,
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
      run,
    });

  test("gives up at the run's call deadline", async () => {
    const started = Date.now();
    await expect(
      client({ signal: new AbortController().signal, callTimeoutMs: 300 }).listExperimentTemplates(),
    ).rejects.toThrow('no answer within 300 ms (shopctl deadline)');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('Ctrl-C cancels the call in flight', async () => {
    const ctrl = new AbortController();
    const pending = client({ signal: ctrl.signal, callTimeoutMs: 60_000 }).listExperimentTemplates();
    setTimeout(() => ctrl.abort(), 100);
    await expect(pending).rejects.toThrow('interrupted (Ctrl-C)');
  });
});

describe('the FIS HTTP client', () => {
  let server: http.Server;
  let seen: { method?: string; url?: string; auth?: string; body: string }[];
  let reply: { status: number; body: unknown; type?: string };
  let api: FisApi;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        res.writeHead(reply.status, {
          'content-type': 'application/json',
          ...(reply.type && { 'x-amzn-errortype': reply.type }),
        });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = fisOverHttp({
      region: PRIMARY,
      endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    });
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => (seen = []));

  test('signs with SigV4 for fis in the region, and uses the documented paths and bodies', async () => {
    reply = { status: 200, body: { experimentTemplates: [{ id: 'EXT1' }], nextToken: 'n' } };
    expect(await api.listExperimentTemplates()).toEqual({ templates: [{ id: 'EXT1' }], nextToken: 'n' });
    reply = { status: 200, body: { experiment: { id: 'EXP1', state: { status: 'pending' } } } };
    await api.startExperiment({ experimentTemplateId: 'EXT1', clientToken: 't', tags: { a: 'b' } });
    await api.stopExperiment('EXP1');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /experimentTemplates?maxResults=100',
      'POST /experiments',
      'DELETE /experiments/EXP1',
    ]);
    expect(JSON.parse(seen[1].body)).toEqual({
      experimentTemplateId: 'EXT1',
      clientToken: 't',
      tags: { a: 'b' },
    });
    for (const s of seen)
      expect(s.auth).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${PRIMARY}/fis/aws4_request`),
      );
  });

  test('an error answer becomes an SDK-shaped error (name, message, HTTP status)', async () => {
    reply = {
      status: 400,
      body: { message: 'template not found' },
      type: 'ResourceNotFoundException:http://x',
    };
    await expect(api.getExperimentTemplate('nope')).rejects.toMatchObject({
      name: 'AwsCallError',
      message: `fis:GetExperimentTemplate in ${PRIMARY}: ResourceNotFoundException: template not found`,
      cause: { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } },
    });
  });

  describe('the endpoint comes from where the SDK clients find theirs', () => {
    const saved = { ...process.env };
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-fis-'));
      for (const k of [
        'AWS_ENDPOINT_URL',
        'AWS_ENDPOINT_URL_FIS',
        'AWS_PROFILE',
        'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
      ])
        delete process.env[k];
      process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
      fs.writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE, '');
    });
    afterEach(() => {
      process.env = { ...saved };
    });
    const port = () => (server.address() as { port: number }).port;
    const client = (profile?: string) =>
      fisOverHttp({
        region: PRIMARY,
        ...(profile ? { profile } : {}),
        credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
      });

    test('AWS_ENDPOINT_URL (the one for every service)', async () => {
      fs.writeFileSync(process.env.AWS_CONFIG_FILE as string, '');
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port()}`;
      reply = { status: 200, body: { experimentTemplates: [] } };
      expect(await client().listExperimentTemplates()).toEqual({ templates: [] });
      expect(seen).toHaveLength(1);
      expect(await configuredFisEndpoint()).toBe(`http://127.0.0.1:${port()}`);
    });

    test("the profile's services section (fis = endpoint_url), then its endpoint_url; the ignore switch", async () => {
      fs.writeFileSync(
        process.env.AWS_CONFIG_FILE as string,
        [
          '[profile local]',
          'services = emulator',
          'endpoint_url = http://127.0.0.1:1',
          '[services emulator]',
          'fis =',
          `  endpoint_url = http://127.0.0.1:${port()}`,
          '[profile plain]',
          'endpoint_url = http://127.0.0.1:2',
        ].join('\n'),
      );
      expect(await configuredFisEndpoint('local')).toBe(`http://127.0.0.1:${port()}`);
      expect(await configuredFisEndpoint('plain')).toBe('http://127.0.0.1:2');
      reply = { status: 200, body: { experimentTemplates: [] } };
      expect(await client('local').listExperimentTemplates()).toEqual({ templates: [] });
      expect(seen).toHaveLength(1);
      process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true';
      expect(await configuredFisEndpoint('local')).toBeUndefined();
    });

    test('a refused connection names the action and the region', async () => {
      fs.writeFileSync(process.env.AWS_CONFIG_FILE as string, '');
      process.env.AWS_ENDPOINT_URL_FIS = 'http://127.0.0.1:1';
      await expect(
        client().startExperiment({ experimentTemplateId: 'EXT1', clientToken: 't', tags: {} }),
      ).rejects.toThrow(new RegExp(`^fis:StartExperiment in ${PRIMARY}: .*fetch failed`));
    });
  });
});

/** A fresh audit file per test: no test writes to the operator's ~/.shopctl. */
const tmpAudit = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-drill-')), 'audit.jsonl');
const auditOf = (file: string) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

test('registered in shopctl: an unknown scenario is a usage error naming the scenarios, nothing called', async () => {
  const { main } = await import('../../cli/main');
  const lines: string[] = [];
  const auditFile = tmpAudit();
  const code = await main(['drill', 'meteor', '--dry-run'], {
    out: (s) => lines.push(s),
    err: (s) => lines.push(s),
    auditFile,
    osUser: 'alice@laptop',
  });
  expect(code).toBe(EXIT.usage);
  expect(lines.join('\n')).toContain(
    'Unknown scenario "meteor". Fix: use one of az-power-interruption, web-instance-loss',
  );
  // the refusal is audited, in the injected file (never the operator's real ~/.shopctl/audit.jsonl)
  expect(auditOf(auditFile)).toEqual([expect.objectContaining({ command: 'drill', result: 'refused' })]);
});

describe('drill --region names the region of the experiment', () => {
  const mainWith = async (argv: string[]) => {
    const { main } = await import('../../cli/main');
    const lines: string[] = [];
    const asked: string[] = [];
    const auditFile = tmpAudit();
    const code = await main(argv, {
      out: (s) => lines.push(s),
      err: (s) => lines.push(s),
      auditFile,
      osUser: 'alice@laptop',
      drillIo: {
        fis: (region) => {
          asked.push(region);
          throw new UsageError(`stopped the test at FIS in ${region}`);
        },
      },
    });
    return { code, out: lines.join('\n'), asked };
  };

  test('a drill with --region R asks FIS in R (the global option used to swallow it)', async () => {
    const r = await mainWith(['drill', 'web-instance-loss', '--region', STANDBY, '--dry-run']);
    expect(r.asked).toEqual([STANDBY]);
    expect(r.out).toContain(`stopped the test at FIS in ${STANDBY}`);
  });

  test('--region before the command names it too; without it the primary', async () => {
    expect((await mainWith(['--region', STANDBY, 'drill', 'web-instance-loss', '--dry-run'])).asked).toEqual([
      STANDBY,
    ]);
    expect((await mainWith(['drill', 'web-instance-loss', '--dry-run'])).asked).toEqual([PRIMARY]);
  });

  test('a writer scenario in a standby region is refused before any AWS call', async () => {
    const r = await mainWith(['drill', 'database-failover', '--region', STANDBY, '--dry-run']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.out).toContain(
      `"database-failover" exists only where the Aurora writer lives in normal operation. Fix: --region ${PRIMARY}`,
    );
    expect(r.asked).toEqual([]);
  });
});

describe('drill --dry-run without credentials: the plan from the config alone', () => {
  const noCreds = () =>
    Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
  /** shopctl with a FIS client that fails as the real one does without credentials (or answers). */
  const mainWith = async (argv: string[], credentials: boolean) => {
    const { main } = await import('../../cli/main');
    const lines: string[] = [];
    const asked: string[] = [];
    const auditFile = tmpAudit();
    const code = await main(argv, {
      out: (s) => lines.push(s),
      err: (s) => lines.push(s),
      auditFile,
      osUser: 'alice@laptop',
      drillIo: {
        fis: (region) =>
          Object.assign(new FakeFis(), {
            listExperimentTemplates: async (token?: string) => {
              asked.push(`${region} list ${token ?? ''}`.trim());
              if (!credentials) throw new AwsCallError('fis:ListExperimentTemplates', region, noCreds());
              throw new UsageError(`stopped the test at FIS in ${region}`);
            },
          }),
      },
    });
    return { code, out: lines.join('\n'), asked, audit: auditOf(auditFile) };
  };

  test('web-instance-loss --region R: template by tag, stop condition, targets by tag, changes, roll back, skipped checks; exit 0, audited locally', async () => {
    const r = await mainWith(['drill', 'web-instance-loss', '--region', STANDBY, '--dry-run'], false);
    expect(r.code).toBe(EXIT.ok);
    expect(r.asked).toEqual([`${STANDBY} list`]); // nothing after the first call failed on credentials
    expect(r.out).toBe(
      [
        `Game day: web-instance-loss in ${STANDBY} (offline preview: no AWS credentials; from config "default" alone)`,
        `  experiment: the AWS FIS template tagged ${SCENARIO_TAG} = web-instance-loss in ${STANDBY} (stack ${names.regionalStack(STANDBY)}): Half of the web instances are terminated; the group must replace them and the ALB route around them`,
        '  stop conditions:',
        `    FIS stops the experiment when ${STOP_ALARM} (${STANDBY}) goes to ALARM`,
        '    the operator: Ctrl-C (shopctl sends StopExperiment and waits for it), or --max-minutes (default 60)',
        '  targets:',
        `    HalfOfTheWebTier: aws:ec2:instance PERCENT(50), tagged aws:autoscaling:groupName = ${names.webGroup()}, State.Name = running`,
        '  changes:',
        '    Terminate: aws:ec2:terminate-instances (Terminate half of the running web instances)',
        '  roll back:',
        `    Terminate: not undone: the Auto Scaling group ${names.webGroup()} launches replacements`,
        `    if shopctl is gone: aws fis stop-experiment --id <experiment id> --region ${STANDBY} (post actions still run)`,
        '',
        `Live checks skipped (they need credentials): the template as deployed in ${STANDBY} (found by its tag) and its stop-condition alarm; ` +
          `no ${config.appName}-* alarm in ALARM in ${STANDBY} or ${EDGE}; the readiness of the failover targets (npx shopctl check); ` +
          `the probe customer's baseline journey on ${SHOP} (real drill orders marked x-shop-drill).`,
        'Dry run: nothing started.',
      ].join('\n'),
    );
    expect(r.audit).toEqual([
      expect.objectContaining({
        command: 'drill',
        result: 'dry-run',
        detail: `web-instance-loss in ${STANDBY}: offline preview`,
      }),
    ]);
  });

  test('az-power-interruption in the primary: every action with its duration and how FIS undoes it, the writer cluster by name', async () => {
    const r = await mainWith(['drill', 'az-power-interruption', '--dry-run'], false);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain(`    Cluster: aws:rds:cluster ALL, cluster:${names.dbClusterId(PRIMARY)}`);
    expect(r.out).toContain(
      '    Group: aws:ec2:autoscaling-group ALL, tagged resilient-shop:game-day-target = web-tier',
    );
    expect(r.out).toContain(
      '    CutZoneSubnets: FIS puts the subnets back on their own network ACL after PT10M or when the experiment is stopped',
    );
    expect(r.out).toContain(
      '    StopZoneInstances: FIS starts the instances again after PT10M or when the experiment is stopped',
    );
    expect(r.out).toContain(
      '    FailOverWriter: not undone: the writer stays on the instance it failed over to (the cluster endpoint follows it)',
    );
  });

  test('with credentials the same command asks FIS in R (the template is found by its tag there); no offline plan', async () => {
    const r = await mainWith(['drill', 'web-instance-loss', '--region', STANDBY, '--dry-run'], true);
    expect(r.asked).toEqual([`${STANDBY} list`]);
    expect(r.out).toContain(`stopped the test at FIS in ${STANDBY}`);
    expect(r.out).not.toContain('offline preview');
  });

  test('without --dry-run, no credentials is an error, never an offline run', async () => {
    const r = await mainWith(['drill', 'web-instance-loss', '--yes'], false);
    expect(r.code).not.toBe(EXIT.ok);
    expect(r.out).toContain('No AWS credentials');
    expect(r.out).not.toContain('offline preview');
  });

  test('a scenario the region does not deploy is still refused first, with the fix', async () => {
    const r = await mainWith(['drill', 'database-failover', '--region', STANDBY, '--dry-run'], false);
    expect(r.code).toBe(EXIT.usage);
    expect(r.asked).toEqual([]);
    expect(r.out).not.toContain('offline preview');
  });
});

test('every drill is audited: the dry run and a completed run', async () => {
  const auditFile = tmpAudit();
  const d = deps({ auditFile });
  const io = {
    fis: () => fis,
    signal: abort.signal,
    writeFile: (f: string, t: string) => (reports[f] = t),
    capacity: () => capacity,
    probe: () => probe,
  };
  expect(await drillCommand(d, 'web-instance-loss', { dryRun: true }, () => capacity, io, ['x'])).toBe(
    EXIT.ok,
  );
  const code = await drillCommand(d, 'web-instance-loss', { yes: true, report: 'r.md' }, () => capacity, io);
  expect(auditOf(auditFile)).toEqual([
    expect.objectContaining({
      command: 'drill',
      result: 'dry-run',
      args: ['x'],
      detail: `web-instance-loss in ${PRIMARY}`,
    }),
    expect.objectContaining({
      command: 'drill',
      result: code === EXIT.ok ? 'ok' : code === EXIT.affected ? 'findings' : 'failed',
    }),
  ]);
});

describe('preflight: the readiness check of the failover targets (shopctl check)', () => {
  test('shown in the plan, with the exact calls of shopctl check', async () => {
    expect(await run({ dryRun: true })).toBe(EXIT.ok);
    expect(out).toContain('  failover target readiness (npx shopctl check):');
    expect(out).toContain(`    ${STANDBY}: READY`);
    expect(out).toContain(
      `  probe customer: ${SHOP} (reach a page, browse, buy: real drill orders marked x-shop-drill), then waits up to 10 min for orders to be taken again and reads every acknowledged order back`,
    );
    expect(cap.asg.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input).toEqual({
      Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: [names.regionalStack(STANDBY)] }],
    });
    expect(cap.asg.commandCalls(DescribeWarmPoolCommand)[0].args[0].input).toEqual({
      AutoScalingGroupName: 'standby-asg',
    });
    expect(cap.acm.commandCalls(DescribeCertificateCommand)[0].args[0].input).toEqual({
      CertificateArn: 'cert-standby',
    });
    expect(rds.commandCalls(DescribeDBClustersCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: names.dbClusterId(STANDBY),
    });
    expect(cap.secrets.commandCalls(DescribeSecretCommand)[0].args[0].input).toEqual({
      SecretId: names.dbSecretName(),
    });
    expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);
  });

  test('a NOT READY standby: refused with what failed, the fix and --force; --force starts and the report says so', async () => {
    const d = deps();
    cap.asg.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
    await expect(run({ yes: true }, 'web-instance-loss', d)).rejects.toThrow(
      `Failover target not ready: ${STANDBY} NOT READY (warm-pool: 0 of 0 warm-pool instances initialised, minimum 2). ` +
        'A failover during the game day could fail. Fix: make it READY first ("npx shopctl check" shows every check; ' +
        'docs/runbook.md, 2b. Readiness), or pass --force to start anyway.',
    );
    expect(out).toContainEqual(expect.stringMatching(/warm-pool +FAIL +0 of 0 warm-pool instances/));
    expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);

    expect(await run({ yes: true, force: true, report: 'r.md' }, 'web-instance-loss', d)).toBe(EXIT.ok);
    expect(reports['r.md']).toContain(
      `  - ${STANDBY}: NOT READY (warm-pool: 0 of 0 warm-pool instances initialised, minimum 2; started with --force)`,
    );
  });

  test('a standby that cannot be judged (no certificate) is refused too', async () => {
    const d = deps();
    cap.acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [] });
    await expect(run({ yes: true }, 'web-instance-loss', d)).rejects.toThrow(
      `Failover target not ready: ${STANDBY} UNKNOWN (no certificate for ${names.regionRecord(STANDBY)} in ${STANDBY})`,
    );
  });

  test('a drill in the standby region checks no other region', async () => {
    fis.templates = [{ id: 'EXT2', tags: { [SCENARIO_TAG]: 'web-instance-loss' } }];
    alarms[STANDBY] = { [STOP_ALARM]: 'OK' };
    expect(await run({ dryRun: true, region: STANDBY })).toBe(EXIT.ok);
    expect(out).toContain(`  failover target readiness: no standby besides ${STANDBY}`);
    expect(cap.asg.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(0);
  });
});

describe('the probe customer in the watch loop (scripted probe)', () => {
  test('a baseline that cannot buy is refused unless --force; nothing is started', async () => {
    probe.baseline = {
      reach: { ok: true },
      browse: { ok: true },
      buy: { ok: false, reason: 'POST /checkout answered 503 (read-only)' },
    };
    await expect(run({ yes: true })).rejects.toThrow(
      `The probe customer fails before the fault (buy: POST /checkout answered 503 (read-only)) on ${SHOP}. ` +
        'Fix: check that the shop answers there from this machine (npx shopctl status), or pass --force',
    );
    expect(fis.calls.some((c) => c.startsWith('start'))).toBe(false);
  });

  test('outages, writes restored and read-back fill the report; lost orders exit 1 with the keys', async () => {
    fis.onPoll = (n) => {
      if (n === 1) {
        probe.emit('buy', false, 'POST /checkout answered 503 (read-only)');
        probe.emit('reach', false, 'no answer: TimeoutError');
        probe.emit('browse', false, 'no shop page with products (outage page or no answer)');
      }
      if (n === 2) {
        probe.emit('reach', true);
        probe.emit('browse', true);
      }
      if (n === 3) probe.emit('buy', true);
    };
    const at = new Date('2026-11-26T10:00:20Z');
    probe.verdict = {
      ...probe.verdict,
      lost: [{ key: 'drill-k1', orderId: 'o-1', at }],
      unanswered: { placed: 1, notPlaced: 0, unknown: 0 },
    };
    expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.affected);
    const report = reports['r.md'];
    expect(report).toContain(
      '| 2026-11-26T10:00:10.000Z | 0 s | probe customer cannot buy: POST /checkout answered 503 (read-only) |',
    );
    expect(report).toContain(
      '| 2026-11-26T10:00:30.000Z | 20 s | writes restored: the probe customer buys again |',
    );
    expect(report).toContain(
      `| customers could not reach a page | 10 s (from 0 s to 10 s) (within the ${config.failoverBudgetSeconds} s budget) |`,
    );
    expect(report).toContain(
      '| writes restored (the probe customer buys again) | 20 s (writes failed for 20 s) |',
    );
    expect(report).toContain('| acknowledged orders lost | 1 of 12 |');
    expect(report).toContain('| checkouts never answered | 1 (placed 1, not placed 0, unknown 0) |');
    expect(report).toContain('| drill-k1 | o-1 | 2026-11-26T10:00:20.000Z | nothing (LOST) |');
    expect(report).toContain('- 1 acknowledged order(s) lost (keys in the report).');
    expect(out).toContain('ERR FINDING: 1 acknowledged order(s) lost (keys in the report)');
    expect(probe.stopped).toBe(true);
    expect(probe.settleMs).toEqual([600_000]);
  });

  test('a page unreachable beyond the budget, and no orders after the experiment: exit 1 with both reasons', async () => {
    const budget = config.failoverBudgetSeconds;
    fis.statuses = ['running', ...Array(Math.ceil(budget / 10) + 2).fill('running'), 'completed'];
    fis.onPoll = (n) => {
      if (n === 1) probe.emit('reach', false, 'no answer');
      if (n === Math.ceil(budget / 10) + 2) probe.emit('reach', true);
    };
    probe.settles = false;
    expect(await run({ yes: true, report: 'r.md', settleMinutes: 3 })).toBe(EXIT.affected);
    expect(out).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^ERR FINDING: customers could not reach a page for \\d+ s, beyond the ${budget} s budget$`,
        ),
      ),
    );
    expect(out).toContain('ERR FINDING: the shop did not take orders within 3 min after the experiment');
    expect(reports['r.md']).toContain(
      '| writes restored (the probe customer buys again) | never interrupted |',
    );
    expect(probe.settleMs).toEqual([180_000]);
  });

  test('after Ctrl-C the probe does not wait for orders, but still reads the acknowledged ones back', async () => {
    fis.statuses = ['running', 'running', 'running'];
    fis.onPoll = (n) => {
      if (n === 1) abort.abort();
    };
    probe.settles = false;
    // Not waiting is no finding: exit 5 (not completed), not 1.
    expect(await run({ yes: true, report: 'r.md' })).toBe(EXIT.failed);
    expect(probe.settleMs).toEqual([0]);
    expect(reports['r.md']).toContain('interrupted: not waiting for the shop to take orders again');
    expect(reports['r.md']).toContain(
      'read back 12 acknowledged drill order(s): 0 lost, 0 duplicated, 0 unverified',
    );
  });
});

/** A TCP proxy whose upstream can be switched (the writer endpoint moving to a promoted standby). */
class SwitchProxy {
  private readonly server = net.createServer((client) => {
    const up = net.connect(this.port, '127.0.0.1');
    this.open.add(client).add(up);
    const close = () => [client, up].forEach((s) => s.destroy());
    client.on('error', close).on('close', close).pipe(up);
    up.on('error', close).on('close', close).pipe(client);
  });
  private readonly open = new Set<net.Socket>();
  constructor(private port: number) {}
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }
  switchTo(port: number): void {
    this.port = port;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
  close(): Promise<void> {
    this.switchTo(this.port);
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** FIS whose experiment, once started, runs `fault` against real components, then completes. */
class FaultFis extends FakeFis {
  status: FisStatus = 'pending';
  constructor(private readonly fault: () => Promise<void>) {
    super();
  }
  async startExperiment(input: {
    experimentTemplateId: string;
    clientToken: string;
    tags: Record<string, string>;
  }) {
    this.calls.push(`start ${JSON.stringify(input)}`);
    this.status = 'running';
    this.fault().then(
      () => (this.status = 'completed'),
      (e: unknown) => {
        this.reason = String(e);
        this.status = 'failed';
      },
    );
    return { id: 'EXP1', state: { status: 'pending' as const } };
  }
  async getExperiment(id: string): Promise<FisExperiment> {
    return { id, state: { status: this.status, ...(this.reason && { reason: this.reason }) } };
  }
}

/** shopctl drill on the real clock against a real shop at `shop`, the probe every 100 ms (5 s deadlines). */
const realTime = () => {
  clock = Date.now();
  return deps({
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollMs: 100,
    // Generous: on a busy machine a read-only 503 can take over a second, and the test is about what
    // the shop answers, not how fast (the faults below wait for what the probe saw, not for time).
    httpTimeoutMs: 5_000,
  });
};
const realRun = (d: Deps, shop: string, flags: DrillFlags) =>
  drill(
    d,
    {
      fis: () => fis,
      signal: abort.signal,
      writeFile: (f, t) => (reports[f] = t),
      capacity: () => capacity,
      probe: ({ live, after }) =>
        new ProbeCustomer({
          baseUrl: shop,
          fetch,
          live,
          after,
          timeoutMs: 5_000,
          intervalMs: 100,
          now: d.now,
        }),
    },
    'web-instance-loss',
    flags,
  );
describe('a game day against the real shop on a real PostgreSQL', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.destroy());

  const drillKeys = async (server: PostgresServer, db: string) =>
    (
      await server.sql<{ key: string }>(
        'SELECT k.key FROM checkout_keys k JOIN orders o ON o.id = k.order_id WHERE o.drill',
        [],
        db,
      )
    ).map((r) => r.key);
  const saw = (text: string) => () => out.some((l) => l.includes(text));

  test('the database stops and comes back: the probe cannot buy, writes are restored, every acknowledged order is there', async () => {
    const db = await pg.createDatabase();
    const shop: RunningShop = await startShop(pg, db);
    try {
      fis = new FaultFis(async () => {
        await waitFor(async () => (await drillKeys(pg, db)).length >= 2, 10_000, 'drill orders');
        await pg.stop('fast');
        await waitFor(saw('probe customer cannot buy'), 10_000, 'the probe to fail');
        await pg.start();
        await waitFor(saw('writes restored'), 10_000, 'writes restored');
      });
      const d = realTime();
      expect(await realRun(d, shop.base, { yes: true, report: 'r.md' })).toBe(EXIT.ok);
      const report = reports['r.md'];
      expect(report).toMatch(
        /\| probe customer cannot buy: POST \/(cart|checkout) answered 503 \(read-only\) \|/,
      );
      expect(report).toMatch(
        /\| writes restored \(the probe customer buys again\) \| -?\d+ s \(writes failed for \d+ s\) \|/,
      );
      // The catalogue is served from memory through the outage: pages and browsing never failed.
      expect(report).toContain('| customers could not reach a page | never |');
      const keys = await drillKeys(pg, db);
      const acked = Number(/\| acknowledged orders lost \| 0 of (\d+) \|/.exec(report)?.[1]);
      expect(acked).toBeGreaterThanOrEqual(3);
      // Every order in the database was acknowledged, or is an unanswered checkout found placed.
      const placed = Number(/placed (\d+), not placed/.exec(report)?.[1]);
      expect(keys).toHaveLength(acked + placed);
    } finally {
      await shop.close();
    }
  });

  test('an unplanned failover to a lagging replica: the orders it never received are reported lost, by key', async () => {
    const db = await pg.createDatabase();
    // Acknowledged means committed on the primary (as on Aurora); the replica streams asynchronously.
    await pg.sql(`ALTER DATABASE ${db} SET synchronous_commit = on`);
    const proxy = new SwitchProxy(pg.port);
    const port = await proxy.listen();
    const shop = await startShop({ ...pg, port } as PostgresServer, db);
    await waitFor(async () => (await drillKeys(pg, db).catch(() => null)) !== null, 10_000, 'schema');
    const standby = await pg.createStandby();
    // The drill refuses to start unless the probe customer can buy: wait until the shop has seen its
    // writer again after the base backup (on a busy machine a health check may have timed out meanwhile).
    await waitFor(
      async () => ((await (await fetch(shop.base + HEALTH_PATH)).json()) as { db?: string }).db === 'writer',
      15_000,
      'the shop sees its writer',
    );
    try {
      fis = new FaultFis(async () => {
        await waitFor(async () => (await drillKeys(pg, db)).length >= 2, 10_000, 'drill orders');
        await standby.stop('fast'); // replication stops: what the primary takes from now on is not copied
        const copied = (await drillKeys(pg, db)).length;
        await waitFor(async () => (await drillKeys(pg, db)).length >= copied + 3, 10_000, 'more orders');
        await pg.stop('immediate'); // the region is lost
        await standby.start();
        await standby.sql('SELECT pg_promote(true, 30)');
        await standby.sql('UPDATE writer_fence SET epoch = epoch + 1, updated_at = now()', [], db);
        proxy.switchTo(standby.port);
        await waitFor(saw('writes restored'), 15_000, 'writes restored on the promoted replica');
      });
      const d = realTime();
      expect(await realRun(d, shop.base, { yes: true, report: 'r.md' })).toBe(EXIT.affected);
      const report = reports['r.md'];
      const reported = [
        ...report.matchAll(/^\| (drill-[0-9a-f-]{36}) \| [0-9a-f-]{36} \| \S+ \| nothing \(LOST\) \|$/gm),
      ].map((m) => m[1]);
      // The truth, from the databases: committed on the old primary, missing on the promoted replica.
      await pg.start();
      const survived = new Set(await drillKeys(standby, db));
      const truth = (await drillKeys(pg, db)).filter((k) => !survived.has(k));
      expect(reported.length).toBeGreaterThanOrEqual(2);
      expect(truth).toEqual(expect.arrayContaining(reported));
      // At most the checkout in flight when the region died is unanswered rather than acknowledged.
      expect(truth.length - reported.length).toBeLessThanOrEqual(1);
      expect(out).toContain(
        `ERR FINDING: ${reported.length} acknowledged order(s) lost (keys in the report)`,
      );
    } finally {
      await shop.close();
      await proxy.close();
      await standby.destroy();
      if (
        !(await pg.sql('SELECT 1').then(
          () => true,
          () => false,
        ))
      )
        await pg.start();
    }
  });
});

test('customers served from another region, then the outage page, then home again: each move is on the timeline and in the report', async () => {
  const pg = await startPostgres();
  const db = await pg.createDatabase();
  const primary = await startShop(pg, db);
  // The standby's shop reads the same database; the writer fence names the primary, so it cannot sell.
  const standby = await startShop(pg, db, { region: STANDBY, role: 'standby' });
  const outage = http.createServer((_, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<html data-outage-page><p>We will be back.</p></html>'),
  );
  await new Promise<void>((r) => outage.listen(0, '127.0.0.1', r));
  const portOf = (base: string) => Number(new URL(base).port);
  // "DNS": customers reach whichever endpoint the proxy points at; a move drops their connections.
  const dns = new SwitchProxy(portOf(primary.base));
  const port = await dns.listen();
  try {
    const saw = (text: string) => () => out.some((l) => l.includes(text));
    fis = new FaultFis(async () => {
      await waitFor(saw('experiment EXP1 started'), 10_000, 'start');
      dns.switchTo(portOf(standby.base));
      await waitFor(saw(`probe customer served by ${STANDBY}`), 10_000, 'the standby');
      dns.switchTo((outage.address() as net.AddressInfo).port);
      await waitFor(saw('probe customer served by the outage page'), 10_000, 'the outage page');
      dns.switchTo(portOf(primary.base));
      await waitFor(saw(`probe customer served by ${PRIMARY} (was the outage page)`), 10_000, 'home');
    });
    await realRun(realTime(), `http://127.0.0.1:${port}`, { yes: true, report: 'r.md' });
    expect(out).toContain(`Probe customer served by ${PRIMARY} before the fault.`);
    const moves = out.filter((l) => l.includes('probe customer served by')).map((l) => l.split('  ')[1]);
    expect(moves).toEqual([
      `probe customer served by ${STANDBY} (was ${PRIMARY})`,
      `probe customer served by the outage page (was ${STANDBY})`,
      `probe customer served by ${PRIMARY} (was the outage page)`,
    ]);
    expect(reports['r.md']).toMatch(
      new RegExp(
        `\\| customers served elsewhere \\(the probe's answers; DNS as customers see it\\) \\| -?\\d+ s: ${STANDBY} \\(was ${PRIMARY}\\); -?\\d+ s: the outage page \\(was ${STANDBY}\\); -?\\d+ s: ${PRIMARY} \\(was the outage page\\) \\|`,
      ),
    );
  } finally {
    await dns.close();
    await Promise.all([primary.close(), standby.close()]);
    await new Promise((r) => outage.close(r));
    await pg.destroy();
  }
});

describe('the probe customer under shopctl deadlines and Ctrl-C', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  const customer = (signal: AbortSignal) =>
    new ProbeCustomer({
      baseUrl: base,
      fetch,
      live: { signal, callTimeoutMs: 60_000 },
      after: { signal: new AbortController().signal, callTimeoutMs: 60_000 },
      timeoutMs: 200,
      intervalMs: 100,
      now: () => new Date(),
    });

  test('a shop that never answers: each step fails at the deadline', async () => {
    const r = await customer(new AbortController().signal).round();
    expect(r.reach).toEqual({
      ok: false,
      reason: 'no answer: TimeoutError: no answer within 200 ms (shopctl deadline)',
    });
    expect(r.browse?.ok).toBe(false);
    expect(r.buy).toEqual({ ok: false, reason: 'no product seen yet' });
  });

  test('Ctrl-C cuts the request in flight', async () => {
    const ctrl = new AbortController();
    const c = new ProbeCustomer({
      baseUrl: base,
      fetch,
      live: { signal: ctrl.signal, callTimeoutMs: 60_000 },
      after: { signal: new AbortController().signal, callTimeoutMs: 60_000 },
      timeoutMs: 60_000,
      intervalMs: 100,
      now: () => new Date(),
    });
    const pending = c.round();
    setTimeout(() => ctrl.abort(), 100);
    await expect(pending).rejects.toThrow('interrupted (Ctrl-C)');
  });
});

test('Ctrl-C after the start still reaches FIS: StopExperiment is sent although the run is interrupted', async () => {
  const seen: string[] = [];
  let status = 'running';
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'DELETE') status = 'stopped';
    const experiment = { id: 'EXP1', state: { status } };
    const body =
      req.method === 'GET' && req.url?.startsWith('/experimentTemplates?')
        ? { experimentTemplates: [{ id: 'EXT2', tags: { [SCENARIO_TAG]: 'web-instance-loss' } }] }
        : req.url?.startsWith('/experimentTemplates/')
          ? {
              experimentTemplate: {
                id: 'EXT2',
                stopConditions: [{ source: 'aws:cloudwatch:alarm', value: STOP_ARN }],
              },
            }
          : { experiment };
    if (req.method === 'GET' && req.url === '/experiments/EXP1' && status === 'running') abort.abort();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const d = deps();
    const code = await drill(
      d,
      {
        fis: (region, run) =>
          fisOverHttp({
            region,
            endpoint,
            credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
            run,
          }),
        signal: abort.signal,
        writeFile: (f, t) => (reports[f] = t),
        capacity: () => capacity,
        probe: () => probe,
      },
      'web-instance-loss',
      { yes: true, report: 'r.md' },
    );
    expect(code).toBe(EXIT.failed);
    expect(seen).toContain('DELETE /experiments/EXP1');
    expect(reports['r.md']).toContain('- Outcome: stopped by the operator (stopped)');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
