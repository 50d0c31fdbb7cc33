import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { makeClientsFor, RegionClients } from '../../cli/aws/clients';
import type { HttpResponse } from '../../cli/aws/deps';
import { channelsStatusCommand } from '../../cli/channels/command';
import { parseChannel, unreachedContacts } from '../../cli/channels/switch';
import type { Deps } from '../../cli/aws/deps';
import { testConfig } from '../support/config';
import { FaultServer } from './support/fault-server';
import { listSwitchWorld, puts } from './support/list-switch';
import { awsError, EDGE, PRIMARY, STALL_ATTEMPT_MS, STANDBY, World } from './world';

const PARAM = '/resilient-shop/notify/disabled';

/** A world whose regions hold the notify switch (absent region: parameter missing). */
const channelsWorld = (initial?: Record<string, string[]>) => listSwitchWorld(PARAM, initial);

const switchReads = (w: World, r: string) =>
  w.m(r).ssm.commandCalls(GetParameterCommand, { Name: PARAM }).length;

describe('shopctl channels disable / enable', () => {
  test('disable writes the switch in every region with exact arguments, audits, DONE', async () => {
    const { w, switches } = channelsWorld();
    expect(await w.run('channels', 'disable', 'alimtalk', '--yes')).toBe(0);
    const put = { Name: PARAM, Value: '["alimtalk"]', Type: 'String', Overwrite: true };
    expect(puts(w)).toEqual([
      { region: STANDBY, input: put },
      { region: PRIMARY, input: put },
    ]);
    expect(switches).toEqual({ [PRIMARY]: '["alimtalk"]', [STANDBY]: '["alimtalk"]' });
    // the plan's read only: an answered write needs no read-back
    for (const r of [PRIMARY, STANDBY]) expect(switchReads(w, r)).toBe(1);
    expect(w.out).toContain('Notices then go through: sms → email');
    expect(w.out).toMatch(/DONE {5}1\. Disable channel alimtalk in every region/);
    expect(w.auditRecords().at(-1)).toMatchObject({
      command: 'channels disable',
      result: 'ok',
      args: ['channels', 'disable', 'alimtalk', '--yes'],
    });
  });

  test('--dry-run without credentials prints the plan from the config and what it skipped', async () => {
    const { w } = channelsWorld();
    const noCreds = () =>
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    for (const r of [PRIMARY, STANDBY, EDGE])
      for (const s of ['ssm', 'sts', 'logs'] as const) w.m(r)[s].rejects(noCreds());
    expect(await w.run('channels', 'disable', 'alimtalk', '--dry-run')).toBe(0);
    expect(w.out).toContain(
      'Plan: disable channel alimtalk in the shops of ap-northeast-2, ap-northeast-1 (offline preview: no AWS credentials; from config "default" alone)',
    );
    expect(w.out).toContain(`changes: SSM ${PARAM} (add "alimtalk"), read back when an answer is lost`);
    expect(w.out).toContain('whether any channel stays on (if only alimtalk were off: sms → email)');
    expect(puts(w)).toEqual([]);
  });

  test('a region whose stack predates notifications gets the parameter written, with a warning', async () => {
    const { w, switches } = channelsWorld({ [PRIMARY]: [] });
    expect(await w.run('channels', 'disable', 'email', '--yes')).toBe(0);
    expect(w.out).toContain(`warning: ${STANDBY} has no ${PARAM} yet`);
    expect(switches[STANDBY]).toBe('["email"]');
    expect(w.out).toContain(
      'warning: no channel left reaches an e-mail address: customers who gave only that get no notice until email is enabled',
    );
  });

  test('an unknown channel is a usage error naming the channels there are', async () => {
    const { w } = channelsWorld();
    expect(await w.run('channels', 'disable', 'kakao', '--yes')).toBe(2);
    expect(w.err).toContain('"kakao" is not a channel of this config. Use one of: alimtalk, sms, email');
    expect(puts(w)).toEqual([]);
  });

  test('disabling the last channel on is refused unless --force', async () => {
    const { w } = channelsWorld({ [PRIMARY]: ['alimtalk', 'sms'], [STANDBY]: ['alimtalk'] });
    // the union counts: sms is off in one region, so email is the last one on
    expect(await w.run('channels', 'disable', 'email', '--yes')).toBe(2);
    expect(w.err).toContain(
      'Refusing: disabling email leaves no channel on: no customer notice would be sent at all',
    );
    expect(puts(w)).toEqual([]);
    expect(await w.run('channels', 'disable', 'email', '--yes', '--force')).toBe(0);
    expect(puts(w).map((p) => [p.region, p.input.Value])).toEqual([
      [STANDBY, '["alimtalk","email"]'],
      [PRIMARY, '["alimtalk","email","sms"]'],
    ]);
  });

  test('a config without notifications: status and the switch say so (usage error), before any call', async () => {
    const config = testConfig((r) => delete r.notifications);
    const why = 'config "test" has no notifications key';
    expect(() => parseChannel(config, 'sms')).toThrow(why);
    await expect(channelsStatusCommand({ config } as Deps, {})).rejects.toThrow(why);
  });

  test('which contact stops being reached', () => {
    expect(unreachedContacts(['alimtalk', 'sms', 'email'], ['email'])).toBe('a phone number');
    expect(unreachedContacts(['alimtalk', 'sms', 'email'], ['sms'])).toBe('an e-mail address');
    expect(unreachedContacts(['alimtalk', 'sms', 'email'], ['sms', 'email'])).toBeUndefined();
    expect(unreachedContacts(['sms'], ['sms'])).toBeUndefined();
  });
});

/**
 * What `shopctl channels` and `shopctl payments` share as regional list switches
 * (cli/aws/listSwitch.ts, cli/aws/switchParameter.ts), run through each command: the plan, the
 * write in every region, a region that refuses, a write whose answer is lost. What each switch
 * judges (refusals, warnings, what customers keep) is tested with its own command.
 */
const SWITCHES = [
  {
    command: 'channels',
    param: '/resilient-shop/notify/disabled',
    entry: 'alimtalk',
    other: 'sms',
    title: 'channel alimtalk',
    reader: 'dispatcher',
  },
  {
    command: 'payments',
    param: '/resilient-shop/payments/disabled',
    entry: 'provider:toss',
    other: 'method:card',
    title: 'provider:toss',
    reader: 'shop',
  },
] as const;

describe.each(SWITCHES)('shopctl $command disable / enable', (s) => {
  test('enable removes only that entry and keeps the others', async () => {
    const both = [s.other, s.entry].sort();
    const { w, switches } = listSwitchWorld(s.param, { [PRIMARY]: both, [STANDBY]: both });
    expect(await w.run(s.command, 'enable', s.entry, '--yes')).toBe(0);
    const left = JSON.stringify([s.other]);
    expect(switches).toEqual({ [PRIMARY]: left, [STANDBY]: left });
    expect(puts(w).map((p) => p.input)).toEqual([
      { Name: s.param, Value: left, Type: 'String', Overwrite: true },
      { Name: s.param, Value: left, Type: 'String', Overwrite: true },
    ]);
  });

  test('--dry-run prints the plan and writes nothing', async () => {
    const { w } = listSwitchWorld(s.param);
    expect(await w.run(s.command, 'disable', s.entry, '--dry-run')).toBe(0);
    expect(puts(w)).toEqual([]);
    expect(w.out).toContain(`Dry run: nothing changed. Would run: Disable ${s.title} in every region.`);
    expect(w.out).toContain(`changes: SSM ${s.param} (add "${s.entry}"), read back when an answer is lost`);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: `${s.command} disable`, result: 'dry-run' });
  });

  test('already in effect in every region: no write', async () => {
    const { w } = listSwitchWorld(s.param, { [PRIMARY]: [s.entry], [STANDBY]: [s.entry] });
    expect(await w.run(s.command, 'disable', s.entry, '--yes')).toBe(0);
    expect(puts(w)).toEqual([]);
    expect(w.out).toContain(`Already in effect: ${s.entry} is already disabled in every region`);
  });

  test('a region that refuses the write: NOT DONE there, partial (exit 4), with the command that completes it', async () => {
    const { w, switches } = listSwitchWorld(s.param);
    w.m(STANDBY)
      .ssm.on(PutParameterCommand, { Name: s.param })
      .rejects(awsError('AccessDeniedException', 'not allowed'));
    expect(await w.run(s.command, 'disable', s.entry, '--yes')).toBe(4);
    expect(switches[PRIMARY]).toBe(JSON.stringify([s.entry]));
    expect(switches[STANDBY]).toBe('[]');
    expect(w.err).toContain(
      `${PRIMARY} DONE; ${STANDBY} NOT DONE: Access denied: ssm:PutParameter in ${STANDBY}`,
    );
    expect(w.err).toContain(`A region left out keeps its old value and its ${s.reader} acts on it`);
    expect(w.err).toContain(
      `To resume (the command is idempotent): npx shopctl ${s.command} disable ${s.entry} --yes`,
    );
    expect(w.err).toContain(`To roll back instead: npx shopctl ${s.command} enable ${s.entry} --yes`);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: `${s.command} disable`, result: 'partial' });
  });
});

/**
 * A write whose answer never comes, against a real stalled endpoint (the deadline tests' hanging
 * server), through the notice channels' switch (the payments switch and the drill fault share its
 * writer; payments.test.ts has their second read-back): the standby's SSM client sends PutParameter
 * there and every other call to the mock.
 * `delivered` decides whether the write landed before its answer was lost.
 */
describe('a write whose answer is lost is read back: DONE, NOT DONE or UNKNOWN', () => {
  let hang: FaultServer;
  beforeAll(async () => {
    hang = await FaultServer.start('hang');
  });
  afterAll(async () => {
    await hang.close();
  });

  function stalledPut(
    w: World,
    switches: Record<string, string>,
    delivered: boolean,
    readBackStalls = false,
  ) {
    const stalled = makeClientsFor({
      endpoint: hang.url,
      credentials: { accessKeyId: 'AKIDSHOPCTLTEST', secretAccessKey: 'not-a-secret' },
      connectionTimeoutMs: STALL_ATTEMPT_MS,
      requestTimeoutMs: STALL_ATTEMPT_MS,
    })(STANDBY).ssm;
    const mocked = w.clients.get(STANDBY)!.ssm;
    let reads = 0;
    const ssm = new Proxy(mocked, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
        return (command: unknown, options?: object) => {
          if (command instanceof PutParameterCommand) {
            if (delivered) switches[STANDBY] = command.input.Value as string;
            return stalled.send(command, options);
          }
          if (command instanceof GetParameterCommand && command.input.Name === PARAM) {
            reads++;
            // the plan's read answers; the read-back may stall too
            if (readBackStalls && reads > 1) return stalled.send(command, options);
          }
          return target.send(command as never, options);
        };
      },
    }) as SSMClient;
    w.clients.set(STANDBY, { ...(w.clients.get(STANDBY) as RegionClients), ssm });
  }

  test('the PutParameter answer is lost but it landed: the read-back confirms it, DONE, exit 0', async () => {
    const { w, switches } = channelsWorld();
    w.shortDeadlines();
    stalledPut(w, switches, true);
    expect(await w.run('channels', 'disable', 'alimtalk', '--yes')).toBe(0);
    expect(hang.accepted).toBeGreaterThan(0);
    expect(switches).toEqual({ [PRIMARY]: '["alimtalk"]', [STANDBY]: '["alimtalk"]' });
    // the standby's put went to the stalled server with these arguments; the primary's to the mock
    expect(w.m(PRIMARY).ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({
      Name: PARAM,
      Value: '["alimtalk"]',
      Type: 'String',
      Overwrite: true,
    });
    // plan's read + the read-back after the lost answer
    expect(switchReads(w, STANDBY)).toBe(2);
    expect(switchReads(w, PRIMARY)).toBe(1);
    expect(w.out).toContain(`${STANDBY}: the answer did not come in time; read back: in effect`);
    expect(w.out).toMatch(/DONE {5}1\. Disable channel alimtalk/);
  }, 20_000);

  test('the answer is lost and it did not land: NOT DONE there, partial (exit 4)', async () => {
    const { w, switches } = channelsWorld();
    w.shortDeadlines();
    stalledPut(w, switches, false);
    expect(await w.run('channels', 'disable', 'alimtalk', '--yes')).toBe(4);
    expect(switches[STANDBY]).toBe('[]');
    expect(w.err).toMatch(
      new RegExp(
        `${STANDBY} NOT DONE: ssm:PutParameter in ${STANDBY} did not answer .*; read back twice: not in effect when last read at .*; a late write may still land`,
      ),
    );
  }, 20_000);

  test('the answer is lost and the read-back stalls too: UNKNOWN, exit 3, never "done"', async () => {
    const { w, switches } = channelsWorld();
    w.shortDeadlines();
    stalledPut(w, switches, true, true);
    const started = Date.now();
    expect(await w.run('channels', 'disable', 'alimtalk', '--yes')).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(w.err).toMatch(new RegExp(`${STANDBY} UNKNOWN: ssm:PutParameter in ${STANDBY} did not answer`));
    expect(`${w.out}\n${w.err}`).toMatch(/UNKNOWN {2}1\. Disable channel alimtalk/);
    expect(w.out).not.toMatch(/Done in/);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'channels disable', result: 'unknown' });
  }, 20_000);
});

/**
 * `/notify/health` answers per region (null: no answer), other URLs as the world's fetch. Returns
 * the health URLs asked, in order.
 */
function withNotifyHealth(w: World, health: Record<string, unknown | null>): string[] {
  const base = w.overrides().fetch!;
  const asked: string[] = [];
  w.extra = {
    ...w.extra,
    fetch: async (url: string, init?: { signal?: AbortSignal }): Promise<HttpResponse> => {
      const m = /^https:\/\/([a-z0-9-]+)\.shop\.example\.com\/notify\/health$/.exec(url);
      if (!m) return base(url, init);
      asked.push(url);
      const body = health[m[1]];
      if (body === null || body === undefined) throw new Error('fetch failed: ECONNREFUSED');
      return { status: 200, json: async () => body };
    },
  };
  return asked;
}

const channel = (id: string, breaker = 'closed', disabled = false) => ({
  channel: id,
  breaker,
  disabled,
  sent: 10,
  failed: breaker === 'closed' ? 0 : 3,
  fallbacks: breaker === 'closed' ? 0 : 3,
});
const health = (region: string, over: Record<string, unknown> = {}) => ({
  region,
  channels: [channel('alimtalk'), channel('sms'), channel('email')],
  oldestUnsentAgeSeconds: 2,
  switch: { disabled: [], lastReadAt: '2026-05-01T02:59:50.000Z', error: null },
  ...over,
});

describe('shopctl channels status', () => {
  test('delivery results: sends the provider accepted and then did not deliver, and an open result look-up breaker, are shown per channel', async () => {
    const { w } = channelsWorld();
    const reported = {
      channels: [
        { ...channel('alimtalk'), lookups: 'open', delivered: 7, deliveryFailed: 2, deliveryUnknown: 1 },
        { ...channel('sms'), lookups: 'closed', delivered: 10, deliveryFailed: 0, deliveryUnknown: 0 },
        channel('email'),
      ],
    };
    withNotifyHealth(w, { [PRIMARY]: health(PRIMARY, reported), [STANDBY]: health(STANDBY) });
    expect(await w.run('channels', 'status')).toBe(0);
    expect(w.out).toMatch(
      new RegExp(
        `${PRIMARY}\\s+switch nothing off; shop alimtalk closed 10/0/0 \\(3 undelivered\\) results open, sms closed 10/0/0, email closed 10/0/0;`,
      ),
    );
  });

  test('healthy: exit 0; reads the switch, every shop and the notify alarms with exact arguments', async () => {
    const { w } = channelsWorld();
    const asked = withNotifyHealth(w, { [PRIMARY]: health(PRIMARY), [STANDBY]: health(STANDBY) });
    expect(await w.run('channels', 'status')).toBe(0);
    expect(w.out).toContain('Channels        OK: on alimtalk → sms → email; oldest unsent 2 s');
    expect(w.out).toMatch(
      new RegExp(
        `${PRIMARY}\\s+switch nothing off; shop alimtalk closed 10/0/0, sms closed 10/0/0, email closed 10/0/0; oldest unsent 2 s; alarms none`,
      ),
    );
    for (const r of [PRIMARY, STANDBY]) {
      expect(w.m(r).cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
        AlarmNamePrefix: 'resilient-shop-notify-',
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
      expect(w.m(r).ssm.commandCalls(GetParameterCommand, { Name: PARAM })[0].args[0].input).toEqual({
        Name: PARAM,
      });
    }
    expect(asked.sort()).toEqual([
      `https://${STANDBY}.shop.example.com/notify/health`,
      `https://${PRIMARY}.shop.example.com/notify/health`,
    ]);
  });

  test('a channel switched off, a breaker open, an alarm and an old notice: exit 1 with each named', async () => {
    const { w } = channelsWorld({ [PRIMARY]: ['alimtalk'], [STANDBY]: [] });
    withNotifyHealth(w, {
      [PRIMARY]: health(PRIMARY, {
        channels: [channel('alimtalk', 'closed', true), channel('sms', 'open'), channel('email')],
        oldestUnsentAgeSeconds: 420,
      }),
      [STANDBY]: null,
    });
    w.m(PRIMARY)
      .cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'resilient-shop-notify-' })
      .resolves({
        MetricAlarms: [{ AlarmName: `resilient-shop-notify-oldest-unsent-${PRIMARY}`, StateValue: 'ALARM' }],
        CompositeAlarms: [],
      });
    expect(await w.run('channels', 'status')).toBe(1);
    expect(w.out).toContain('DEGRADED: on sms → email; oldest unsent 420 s');
    expect(w.out).toContain('switched off by an operator: alimtalk');
    expect(w.out).toContain('the regions hold different switch values');
    expect(w.out).toContain(`${PRIMARY} breakers: sms open`);
    expect(w.out).toContain(`${PRIMARY} alarms: resilient-shop-notify-oldest-unsent-${PRIMARY}`);
    expect(w.out).toContain('the oldest unsent notice is 420 s old (alarm above 300 s)');
    expect(w.out).toMatch(new RegExp(`${STANDBY}\\s+switch nothing off; shop no answer`));
  });

  test('without credentials it still shows what each shop reports, and exits 3 (the switch is unknown)', async () => {
    const { w } = channelsWorld();
    const noCreds = () =>
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    for (const r of [PRIMARY, STANDBY])
      for (const s of ['ssm', 'cloudwatch'] as const) w.m(r)[s].rejects(noCreds());
    withNotifyHealth(w, { [PRIMARY]: health(PRIMARY), [STANDBY]: health(STANDBY) });
    expect(await w.run('channels', 'status')).toBe(3);
    expect(w.err).toContain('No AWS credentials found');
    expect(w.out).toMatch(
      new RegExp(`${PRIMARY}\\s+switch unknown \\(no credentials\\); shop alimtalk closed`),
    );
    expect(w.out).toContain('no AWS credentials: the switch and the alarms are unknown');
  });

  test('shopctl status carries a channels line (no CloudWatch call for it) and keeps its own exit code', async () => {
    const { w } = channelsWorld({ [PRIMARY]: ['sms'], [STANDBY]: ['sms'] });
    withNotifyHealth(w, { [PRIMARY]: health(PRIMARY), [STANDBY]: health(STANDBY) });
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain('Channels        DEGRADED: on alimtalk → email; oldest unsent 2 s');
    expect(w.out).toContain('switched off by an operator: sms');
    for (const r of [PRIMARY, STANDBY]) {
      expect(
        w.m(r).cloudwatch.commandCalls(DescribeAlarmsCommand, { AlarmNamePrefix: 'resilient-shop-notify-' }),
      ).toEqual([]);
    }
  });
});
