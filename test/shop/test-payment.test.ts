/**
 * The canary's test payment (`POST /payments/test`) on a real PostgreSQL shop against the HTTP fake
 * providers: signed requests only; Toss's cycle charges in test mode and refunds; KakaoPay's stops at
 * ready (no server-side approval exists); a live key is refused before any call; a charge whose
 * answer is lost is reported unknown and refunded by the next pass, never left on the ledger; and a
 * reconcile pass that runs while this process's own cycle waits for its answer leaves that cycle alone.
 */
import { SYNTHETIC_HEADER } from '../../lib/contract/shop';
import { signTestRequest } from '../../lib/contract/test-signature';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { FAKE_SECRET, startFakeProviders, type FakeProvider } from '../support/fake-pg';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { postJson, type RunningShop } from './helpers';
import { paymentSettings, startPayShop } from './payment-helpers';

const KEY = 'k'.repeat(64);
const CARD = {
  cardNumber: '4330000000000000',
  cardExpirationYear: '30',
  cardExpirationMonth: '12',
  customerIdentityNumber: '881212',
};

let pg: PostgresServer;
let fakes: { toss: FakeProvider; kakao: FakeProvider };
let shop: RunningShop;
const secrets: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  [pg, fakes] = await Promise.all([sharedPostgres(), startFakeProviders()]);
  // 2 s deadlines: the in-flight test holds an answer while a reconcile pass runs, far inside them.
  const base = paymentSettings(fakes, {}, 2000);
  shop = await startPayShop(
    pg,
    await pg.createDatabase(),
    {
      ...base,
      providers: base.providers.map((p) => ({ ...p, testSecretName: `shop/payments/${p.id}/test` })),
    },
    { readSecret: async (name) => secrets[name] ?? FAKE_SECRET },
    { testRequests: new TestRequestGate({ readKeys: async () => [KEY] }) },
  );
});
afterAll(async () => {
  await shop?.close();
  await Promise.all([fakes?.toss.close(), fakes?.kakao.close()]);
  await pg?.destroy();
});
beforeEach(async () => {
  secrets['shop/payments/toss/test'] = { secretKey: FAKE_SECRET.secretKey, keyIn: CARD };
  secrets['shop/payments/kakaopay/test'] = { ...FAKE_SECRET };
  await Promise.all([fakes.toss.setMode('ok'), fakes.kakao.setMode('ok')]);
});

const signed = () => ({
  [SYNTHETIC_HEADER]: signTestRequest(KEY, SYNTHETIC_HEADER, 'POST', '/payments/test', Date.now()),
});
const testPay = (provider: string, headers: Record<string, string> = signed()) =>
  postJson(shop.base, `/payments/test?provider=${provider}`, {}, headers);
/** Test charges still standing on a fake's ledger (charged, not canceled). */
const standing = (f: FakeProvider) => f.charges().filter((c) => c.orderId.startsWith('canary-')).length;

test('Toss: charged in test mode and refunded; unsigned or forged requests change nothing', async () => {
  const before = fakes.toss.everCharged().length;
  expect((await testPay('toss', {})).status).toBe(403);
  expect((await testPay('toss', { [SYNTHETIC_HEADER]: '1' })).status).toBe(403);
  expect(fakes.toss.everCharged().length).toBe(before);
  const r = await testPay('toss');
  expect(r.status).toBe(200);
  expect(r.json).toEqual({ provider: 'toss', verdict: 'ok', depth: 'confirm-cycle', refundedEarlier: 0 });
  expect(fakes.toss.everCharged().length).toBe(before + 1);
  expect(fakes.toss.everCharged().at(-1)).toMatchObject({ amount: 100, status: 'CANCELED' });
  expect(standing(fakes.toss)).toBe(0);
});

test('KakaoPay: ready and look-up only, nothing charged; a live key is refused before any call', async () => {
  expect((await testPay('kakaopay')).json).toEqual({
    provider: 'kakaopay',
    verdict: 'ok',
    depth: 'ready-only',
    refundedEarlier: 0,
  });
  expect(fakes.kakao.everCharged()).toHaveLength(0);
  secrets['shop/payments/toss/test'] = { secretKey: 'live_sk_real', keyIn: CARD };
  const calls = fakes.toss.calls['/v1/payments/key-in'] ?? 0;
  expect((await testPay('toss')).json).toMatchObject({
    verdict: 'broken',
    step: 'test-key',
    reason: 'the test secret of toss holds no Toss test key (test_…)',
  });
  expect(fakes.toss.calls['/v1/payments/key-in'] ?? 0).toBe(calls);
  // The template's placeholder (no test keys put yet): 404, nothing to say of the payment path.
  secrets['shop/payments/kakaopay/test'] = { configured: false, placeholder: 'x' };
  expect((await testPay('kakaopay')).status).toBe(404);
});

test('the provider charges and the answer is lost: unknown now, refunded by the next pass, never left', async () => {
  await fakes.toss.setMode('charge-then-timeout');
  const lost = await testPay('toss');
  expect(lost.json).toMatchObject({ provider: 'toss', verdict: 'unknown', step: 'confirm' });
  expect(standing(fakes.toss)).toBe(1); // charged at the provider, answer lost
  await fakes.toss.setMode('5xx');
  expect((await testPay('toss')).json).toMatchObject({ verdict: 'unknown', refundedEarlier: 0 });
  await fakes.toss.setMode('ok');
  const next = await testPay('toss');
  expect(next.json).toEqual({ provider: 'toss', verdict: 'ok', depth: 'confirm-cycle', refundedEarlier: 1 });
  expect(standing(fakes.toss)).toBe(0);
  expect(await shop.shop.payments!.tests!.reconcile()).toBe(0); // nothing open any more
});

test('a reconcile pass while this process awaits the answer of its own test charge neither refunds it nor counts it', async () => {
  const cancels = () => fakes.toss.calls['/v1/payments/{x}/cancel'] ?? 0;
  const cancelsBefore = cancels();
  // The fake books the charge and holds its answer: the cycle is in flight, its charge DONE.
  const hold = fakes.toss.hold('/v1/payments/key-in');
  const running = testPay('toss');
  await hold.arrived;
  const charge = fakes.toss.everCharged().at(-1)!;
  expect(charge).toMatchObject({ amount: 100, status: 'DONE' });
  // The periodic pass (same entry point as the timer's) runs now, the cycle's start event still open.
  expect(await shop.shop.payments!.tests!.reconcile()).toBe(0);
  expect(charge.status).toBe('DONE');
  expect(cancels()).toBe(cancelsBefore);
  hold.release();
  // The cycle refunds its own charge, once; the next call finds nothing earlier to report.
  expect((await running).json).toEqual({
    provider: 'toss',
    verdict: 'ok',
    depth: 'confirm-cycle',
    refundedEarlier: 0,
  });
  expect(charge.status).toBe('CANCELED');
  expect(cancels()).toBe(cancelsBefore + 1);
  expect((await testPay('toss')).json).toMatchObject({ verdict: 'ok', refundedEarlier: 0 });
  expect(standing(fakes.toss)).toBe(0);
});
