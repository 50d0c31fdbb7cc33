import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { READ_BACK_SETTLE_MS } from '../../cli/action/readBack';
import type { HttpResponse } from '../../cli/aws/deps';
import { PAYMENT_OUTAGE_SCENARIO } from '../../cli/drill/payment-outage';
import { listSwitchWorld, puts } from './support/list-switch';
import { awsError, PRIMARY, STANDBY, T0, timeout, World } from './world';

const PARAM = '/resilient-shop/payments/disabled';
const FAULT = '/resilient-shop/payments/drill-fault';

/** A world whose regions hold the payments switch (absent region: parameter missing). */
const paymentsWorld = (initial?: Record<string, string[]>) => listSwitchWorld(PARAM, initial);

describe('shopctl payments disable / enable', () => {
  test('disable writes the switch in every region with exact arguments, audits, DONE', async () => {
    const { w, switches } = paymentsWorld();
    expect(await w.run('payments', 'disable', 'provider:toss', '--yes')).toBe(0);
    const put = { Name: PARAM, Value: '["provider:toss"]', Type: 'String', Overwrite: true };
    expect(puts(w)).toEqual([
      { region: STANDBY, input: put },
      { region: PRIMARY, input: put },
    ]);
    expect(puts(w)).toHaveLength(2);
    expect(switches).toEqual({ [PRIMARY]: '["provider:toss"]', [STANDBY]: '["provider:toss"]' });
    // the plan's read only: an answered write needs no read-back
    for (const r of [PRIMARY, STANDBY]) {
      expect(w.m(r).ssm.commandCalls(GetParameterCommand, { Name: PARAM })).toHaveLength(1);
    }
    expect(w.out).toMatch(/DONE {5}1\. Disable provider:toss in every region/);
    expect(w.out).toContain('Customers then see: online easy-pay; manual bank-transfer, phone');
    expect(w.out).toContain('warning: card will be unavailable: no other provider takes it');
    expect(w.out).toMatch(/Done in/);
    const audit = w.auditRecords().at(-1)!;
    expect(audit).toMatchObject({
      command: 'payments disable',
      result: 'ok',
      args: ['payments', 'disable', 'provider:toss', '--yes'],
    });
  });

  test('without a terminal and without --yes it refuses and writes nothing', async () => {
    const { w } = paymentsWorld();
    expect(await w.run('payments', 'disable', 'method:card')).toBe(2);
    expect(puts(w)).toEqual([]);
    expect(w.err).toContain('Refusing: no terminal to confirm on. Re-run with --yes');
  });

  test('a confirmation answered no changes nothing', async () => {
    const { w } = paymentsWorld();
    w.interactive = true;
    w.confirmAnswer = false;
    expect(await w.run('payments', 'disable', 'method:card')).toBe(2);
    expect(puts(w)).toEqual([]);
    expect(w.out).toContain('Aborted. Nothing changed.');
  });

  test('a region whose stack predates payments gets the parameter written, with a warning', async () => {
    const { w, switches } = paymentsWorld({ [PRIMARY]: [] });
    expect(await w.run('payments', 'disable', 'provider:kakaopay', '--yes')).toBe(0);
    expect(w.out).toContain(`warning: ${STANDBY} has no ${PARAM} yet`);
    expect(switches[STANDBY]).toBe('["provider:kakaopay"]');
  });

  test('an unknown target is a usage error naming what is allowed', async () => {
    const { w } = paymentsWorld();
    expect(await w.run('payments', 'disable', 'provider:paypal', '--yes')).toBe(2);
    expect(w.err).toContain(
      '"provider:paypal" is not a provider or method of this config. Use one of: provider:toss, provider:kakaopay, method:card, method:easy-pay, method:bank-transfer, method:phone',
    );
    expect(puts(w)).toEqual([]);
  });

  test('leaving no way to pay at all is refused unless --force', async () => {
    const off = ['method:bank-transfer', 'provider:kakaopay', 'provider:toss'];
    const { w } = paymentsWorld({ [PRIMARY]: off, [STANDBY]: off });
    expect(await w.run('payments', 'disable', 'method:phone', '--yes')).toBe(2);
    expect(w.err).toContain('Refusing: disabling method:phone leaves customers no way to pay at all');
    expect(puts(w)).toEqual([]);
    expect(await w.run('payments', 'disable', 'method:phone', '--yes', '--force')).toBe(0);
    expect(puts(w)).toHaveLength(2);
  });

  test('turning every online method off warns and names the notice to publish', async () => {
    const { w } = paymentsWorld({ [PRIMARY]: ['provider:kakaopay'], [STANDBY]: ['provider:kakaopay'] });
    expect(await w.run('payments', 'disable', 'provider:toss', '--yes')).toBe(0);
    expect(w.out).toContain(
      'warning: every online method will be off: customers can pay only by bank-transfer or phone; consider: npx shopctl notice payment-incident --method card,easy-pay',
    );
  });
});

/**
 * A PutParameter whose answer is lost (the SDK's timeout) and which lands only after the first
 * read-back has answered: the standby's copy of `name` in `held` is read back old once, then holds
 * what was put. Returns every read-back after the put, with the world's (fake) clock.
 */
function landsAfterFirstReadBack(w: World, name: string, held: Record<string, string>, key: string) {
  const reads: { value: string; at: number }[] = [];
  let sent: string | undefined;
  w.m(STANDBY)
    .ssm.on(PutParameterCommand, { Name: name })
    .callsFake((input: { Value: string }) => {
      sent = input.Value;
      throw timeout();
    });
  w.m(STANDBY)
    .ssm.on(GetParameterCommand, { Name: name })
    .callsFake(() => {
      const value = held[key];
      if (sent !== undefined) {
        reads.push({ value, at: w.clock });
        held[key] = sent; // the write lands right after the first read-back
      }
      return { Parameter: { Name: name, Value: value } };
    });
  return reads;
}

/**
 * The payments switch and the drill fault read a write whose answer was lost back twice, like every
 * other write of shopctl (cli/action/readBack.ts): the second read, READ_BACK_SETTLE_MS later, finds
 * the late write. The lost-answer outcomes against a real hanging endpoint are in channels.test.ts
 * (the same writer, cli/aws/switchParameter.ts).
 */
describe('a write whose answer is lost and lands after its first read-back is DONE', () => {
  test('payments disable: read back twice, the second read finds it: DONE, exit 0', async () => {
    const { w, switches } = paymentsWorld();
    const reads = landsAfterFirstReadBack(w, PARAM, switches, STANDBY);
    expect(await w.run('payments', 'disable', 'provider:toss', '--yes')).toBe(0);
    const put = { Name: PARAM, Value: '["provider:toss"]', Type: 'String', Overwrite: true };
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(PutParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([put]);
    expect(
      w
        .m(PRIMARY)
        .ssm.commandCalls(PutParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([put]);
    // the plan's read, then two read-backs of the same parameter, the settle apart
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(GetParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([{ Name: PARAM }, { Name: PARAM }, { Name: PARAM }]);
    expect(reads.map((r) => r.value)).toEqual(['[]', '["provider:toss"]']);
    expect(reads[1].at - reads[0].at).toBe(READ_BACK_SETTLE_MS);
    expect(w.out).toMatch(/DONE {5}1\. Disable provider:toss in every region/);
    expect(w.out).toContain(`${STANDBY}: the answer did not come in time; read back: in effect`);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'payments disable', result: 'ok' });
  });

  test('payments disable: both read-backs show the old value: NOT DONE "a late write may still land", exit 4', async () => {
    const { w, switches } = paymentsWorld();
    w.m(STANDBY).ssm.on(PutParameterCommand, { Name: PARAM }).rejects(timeout());
    expect(await w.run('payments', 'disable', 'provider:toss', '--yes')).toBe(4);
    expect(switches[STANDBY]).toBe('[]');
    const last = new Date(T0.getTime() + READ_BACK_SETTLE_MS).toISOString();
    expect(w.err).toContain(
      `${STANDBY} NOT DONE: ssm:PutParameter in ${STANDBY} did not answer (TimeoutError: Connection timed out after 3000 ms). ` +
        'The region or your network may be impaired: retry, or check https://health.aws.amazon.com.; ' +
        `read back twice: not in effect when last read at ${last}; a late write may still land`,
    );
    expect(w.m(STANDBY).ssm.commandCalls(GetParameterCommand, { Name: PARAM })).toHaveLength(3);
  });

  test('drill payment-provider-outage --restore: read back twice, the second read finds {}: OK, exit 0', async () => {
    const { w } = paymentsWorld();
    const fault = '{"provider":"toss","mode":"refuse","until":"2026-05-01T03:10:00.000Z"}';
    const held = { [STANDBY]: fault };
    const reads = landsAfterFirstReadBack(w, FAULT, held, STANDBY);
    expect(await w.run('drill', PAYMENT_OUTAGE_SCENARIO, '--region', STANDBY, '--restore', '--yes')).toBe(0);
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(PutParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([{ Name: FAULT, Value: '{}', Type: 'String', Overwrite: true }]);
    expect(
      w
        .m(STANDBY)
        .ssm.commandCalls(GetParameterCommand)
        .map((c) => c.args[0].input),
    ).toEqual([{ Name: FAULT }, { Name: FAULT }]);
    expect(reads.map((r) => r.value)).toEqual([fault, '{}']);
    expect(reads[1].at - reads[0].at).toBe(READ_BACK_SETTLE_MS);
    expect(w.out).toContain(`Restore ${FAULT} in ${STANDBY} to {}: OK`);
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'drill', result: 'ok' });
  });
});

/** `/payments/health` answers per region (null: no answer), other URLs as the world's fetch. */
function withShopHealth(w: World, health: Record<string, unknown | null>) {
  const base = w.overrides().fetch!;
  w.extra = {
    ...w.extra,
    fetch: async (url: string, init?: { signal?: AbortSignal }): Promise<HttpResponse> => {
      const m = /^https:\/\/([a-z0-9-]+)\.shop\.example\.com\/payments\/health$/.exec(url);
      if (!m) return base(url, init);
      const body = health[m[1]];
      if (body === null || body === undefined) throw new Error('fetch failed: ECONNREFUSED');
      return { status: 200, json: async () => body };
    },
  };
}

const healthy = (region: string, unknowns = 0) => ({
  region,
  status: 'ok',
  onlineMethodsAvailable: 2,
  onlineMethods: 2,
  methods: [
    { method: 'card', available: true, providers: ['toss'] },
    { method: 'easy-pay', available: true, providers: ['toss', 'kakaopay'] },
  ],
  providers: [],
  switch: { disabled: [], lastReadAt: null, error: null },
  unresolvedUnknowns: unknowns,
});

const cardDown = (region: string, unknowns: number) => ({
  ...healthy(region, unknowns),
  status: 'degraded',
  onlineMethodsAvailable: 1,
  methods: [
    { method: 'card', available: false, providers: ['toss'] },
    { method: 'easy-pay', available: true, providers: ['kakaopay'] },
  ],
  providers: [{ provider: 'toss', method: 'card', breaker: 'open' }],
});

/** The unknowns metric per region (undefined: no datapoint). */
function unknownsMetric(w: World, values: Record<string, number | undefined>) {
  for (const r of [PRIMARY, STANDBY]) {
    w.m(r)
      .cloudwatch.on(GetMetricDataCommand)
      .callsFake((input: { MetricDataQueries: { Id: string }[] }) =>
        input.MetricDataQueries[0].Id === 'unknowns'
          ? { MetricDataResults: [{ Id: 'unknowns', Values: values[r] === undefined ? [] : [values[r]] }] }
          : { MetricDataResults: [{ Id: 'lag', Values: [40, 5] }] },
      );
  }
}

describe('shopctl payments status', () => {
  test('healthy: exit 0; reads the switch, the shop, the alarms and the metric with exact arguments', async () => {
    const { w } = paymentsWorld();
    withShopHealth(w, { [PRIMARY]: healthy(PRIMARY), [STANDBY]: healthy(STANDBY) });
    unknownsMetric(w, { [PRIMARY]: 0 });
    expect(await w.run('payments', 'status')).toBe(0);
    expect(w.out).toContain(
      'Payments        OK: online card, easy-pay; manual bank-transfer, phone; unknown outcomes 0',
    );
    const metric = w.m(PRIMARY).cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(metric).toEqual({
      StartTime: new Date('2026-05-01T02:50:00.000Z'),
      EndTime: new Date('2026-05-01T03:00:00.000Z'),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'unknowns',
          MetricStat: {
            Metric: {
              Namespace: 'resilient-shop/payments',
              MetricName: 'UnresolvedUnknowns',
              Dimensions: [{ Name: 'Region', Value: PRIMARY }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    expect(w.m(STANDBY).cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNamePrefix: 'resilient-shop-payments-',
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm'],
    });
  });

  test('a method down, a provider switched off, an alarm: exit 1 with each named', async () => {
    const { w } = paymentsWorld({ [PRIMARY]: ['provider:toss'], [STANDBY]: [] });
    withShopHealth(w, { [PRIMARY]: cardDown(PRIMARY, 2), [STANDBY]: null });
    unknownsMetric(w, {});
    w.m(PRIMARY)
      .cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'resilient-shop-payments-' })
      .resolves({
        MetricAlarms: [
          { AlarmName: 'resilient-shop-payments-approval-ap-northeast-2-toss-card', StateValue: 'ALARM' },
        ],
      });
    expect(await w.run('payments', 'status')).toBe(1);
    expect(w.out).toContain('DEGRADED: online easy-pay; manual bank-transfer, phone; unknown outcomes 2');
    expect(w.out).toContain('switched off by an operator: provider:toss');
    expect(w.out).toContain('the regions hold different switch values');
    expect(w.out).toContain(`${PRIMARY} shop: degraded (card down, toss/card open)`);
    expect(w.out).toContain(`${PRIMARY} alarms: resilient-shop-payments-approval-ap-northeast-2-toss-card`);
    expect(w.out).toMatch(new RegExp(`${STANDBY}\\s+switch nothing off; shop no answer`));
  });

  test('shopctl status carries a payments line and keeps its own exit code', async () => {
    const { w } = paymentsWorld({ [PRIMARY]: ['method:card'], [STANDBY]: ['method:card'] });
    withShopHealth(w, { [PRIMARY]: healthy(PRIMARY), [STANDBY]: healthy(STANDBY) });
    expect(await w.run('status')).toBe(0);
    expect(w.out).toContain(
      'Payments        DEGRADED: online easy-pay; manual bank-transfer, phone; unknown outcomes 0',
    );
    expect(w.out).toContain('switched off by an operator: method:card');
  });
});

describe('shopctl notice payment-incident', () => {
  const written = (w: World) =>
    JSON.parse(w.m('us-east-1').s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);

  test('--back-at in the past: exit 2 with flag, value and fix; nothing written', async () => {
    const { w } = paymentsWorld();
    withShopHealth(w, { [PRIMARY]: cardDown(PRIMARY, 0), [STANDBY]: healthy(STANDBY) });
    expect(
      await w.run(
        'notice',
        'payment-incident',
        '--method',
        'card',
        '--back-at',
        '2026-05-01T02:00:00Z',
        '--yes',
      ),
    ).toBe(2);
    expect(w.err).toContain(
      '--back-at "2026-05-01T02:00:00Z" is not in the future (now is 2026-05-01T03:00:00.000Z). Fix: give when service is expected back',
    );
    expect(w.m('us-east-1').s3.commandCalls(PutObjectCommand)).toEqual([]);
  });

  test('unknown outcomes remain: names the method down and the other ways, withholds "not charged twice"', async () => {
    const { w } = paymentsWorld();
    withShopHealth(w, { [PRIMARY]: cardDown(PRIMARY, 0), [STANDBY]: healthy(STANDBY) });
    unknownsMetric(w, { [PRIMARY]: 2 });
    expect(
      await w.run(
        'notice',
        'payment-incident',
        '--method',
        'card',
        '--eta',
        '+30m',
        '--back-at',
        '+2h',
        '--yes',
      ),
    ).toBe(0);
    const status = written(w);
    expect(status.severity).toBe('minor');
    expect(status.message.en).toBe(
      'Paying by card is temporarily unavailable. Other ways to pay: easy pay (KakaoPay, Toss Pay …); bank transfer (KB Kookmin Bank 000000-00-000000, Resilient Shop); order and pay by phone (+82-2-555-0100). Orders whose payment we are still confirming will show the result on the order page as soon as it is settled.',
    );
    expect(status.message.ko).toContain(
      '신용·체크카드 결제가 일시적으로 되지 않습니다. 다른 결제 방법: 간편결제',
    );
    expect(status.promises).toEqual({ notChargedTwice: false });
    expect(status.nextUpdateAt).toBe('2026-05-01T03:30:00.000Z');
    expect(status.expectedBackAt).toBe('2026-05-01T05:00:00.000Z');
    expect(w.out).toContain(
      '"You will not be charged twice" is WITHHELD: 2 payments have an outcome not settled yet',
    );
    expect(w.auditRecords().at(-1)).toMatchObject({ command: 'notice payment-incident', result: 'ok' });
  });

  test('no unknown outcome anywhere: the page keeps its promise', async () => {
    const { w } = paymentsWorld();
    withShopHealth(w, { [PRIMARY]: cardDown(PRIMARY, 0), [STANDBY]: healthy(STANDBY, 0) });
    unknownsMetric(w, { [PRIMARY]: 0, [STANDBY]: 0 });
    expect(await w.run('notice', 'payment-incident', '--method', 'card', '--yes')).toBe(0);
    const status = written(w);
    expect(status.promises).toBeUndefined();
    expect(status.message.en).not.toContain('still confirming');
  });

  test('nobody can count the unknown outcomes: withheld (worst case)', async () => {
    const { w } = paymentsWorld();
    withShopHealth(w, { [PRIMARY]: null, [STANDBY]: null });
    for (const r of [PRIMARY, STANDBY]) {
      w.m(r).cloudwatch.on(GetMetricDataCommand).rejects(awsError('AccessDeniedException'));
    }
    expect(await w.run('notice', 'payment-incident', '--method', 'card,easy-pay', '--yes')).toBe(0);
    const status = written(w);
    expect(status.promises).toEqual({ notChargedTwice: false });
    expect(status.message.en).toMatch(
      /^Paying by card and easy pay \(KakaoPay, Toss Pay …\) is temporarily unavailable\. Other ways to pay: bank transfer/,
    );
    expect(w.out).toContain('WITHHELD: the count of unsettled payment outcomes could not be read');
  });

  test('a manual way or an unknown method is refused', async () => {
    const { w } = paymentsWorld();
    expect(await w.run('notice', 'payment-incident', '--method', 'phone', '--yes')).toBe(2);
    expect(w.err).toContain('--method "phone": phone is not an online method');
    expect(w.m('us-east-1').s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
