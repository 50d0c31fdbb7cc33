import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { RegionClients } from '../../cli/aws/clients';
import type { Deps } from '../../cli/aws/deps';
import { ProbeCustomer } from '../../cli/drill/probe';
import { testSigner } from '../../cli/drill/signing';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { TestRequestGate } from '../../shop/src/signed-test-request';
import { startShop, type RunningShop } from '../shop/helpers';
import { sharedPostgres, type PostgresServer } from '../support/postgres';
import { awsError } from './world';

const KEY = 'd'.repeat(64);
let pg: PostgresServer;
let shop: RunningShop;
let db: string;

beforeAll(async () => {
  pg = await sharedPostgres();
  db = await pg.createDatabase();
  shop = await startShop(pg, db, { testRequests: new TestRequestGate({ readKeys: async () => [KEY] }) });
});
afterAll(async () => {
  await shop?.close();
  await pg?.destroy();
});

/** Deps with a Secrets Manager client per region: the primary refuses, the others hold `value`. */
function deps(value: string) {
  const config = loadConfig('default');
  const secrets: Record<string, SecretsManagerClient> = {};
  const mocks = Object.fromEntries(
    ['ap-northeast-2', 'ap-northeast-1', 'us-east-1'].map((r) => {
      secrets[r] = new SecretsManagerClient({ region: r });
      const m = mockClient(secrets[r]);
      if (r === 'ap-northeast-2') m.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException'));
      else m.on(GetSecretValueCommand).resolves({ SecretString: value });
      return [r, m];
    }),
  );
  const d = {
    config,
    names: new Names(config),
    clients: (r: string) => ({ secrets: secrets[r] }) as unknown as RegionClients,
    signal: new AbortController().signal,
    callTimeoutMs: 5_000,
  } as unknown as Deps;
  return { d, mocks };
}

function probe(sign: ReturnType<typeof testSigner>) {
  const ctx = { signal: new AbortController().signal, callTimeoutMs: 5_000 };
  return new ProbeCustomer({
    baseUrl: shop.base,
    fetch: globalThis.fetch,
    live: ctx,
    after: ctx,
    timeoutMs: 5_000,
    intervalMs: 1_000,
    now: () => new Date(),
    sign,
  });
}

test('the drill probe signs with the key read from the first region that answers, and buys', async () => {
  const { d, mocks } = deps(JSON.stringify({ key: KEY }));
  const round = await probe(testSigner(d)).round();
  expect(round).toMatchObject({ reach: { ok: true }, browse: { ok: true }, buy: { ok: true } });
  expect(mocks['ap-northeast-2'].commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
    SecretId: 'resilient-shop/test-signing',
  });
  expect(mocks['ap-northeast-1'].commandCalls(GetSecretValueCommand)).toHaveLength(1);
  expect(mocks['us-east-1'].commandCalls(GetSecretValueCommand)).toHaveLength(0);
  const [row] = await pg.sql<{ n: string }>('SELECT count(*) AS n FROM orders WHERE drill', [], db);
  expect(Number(row.n)).toBe(1);
});

test('signed with another key, the shop refuses the drill order: the purchase fails with 403', async () => {
  const { d } = deps(JSON.stringify({ key: 'x'.repeat(64) }));
  const round = await probe(testSigner(d)).round();
  expect(round.buy).toEqual({ ok: false, reason: expect.stringMatching(/^POST \/checkout answered 403/) });
});

test('no key anywhere: the purchase fails naming why, before any request is sent unsigned', async () => {
  const { d } = deps('{}');
  const round = await probe(testSigner(d)).round();
  expect(round.buy).toEqual({
    ok: false,
    reason: expect.stringContaining(
      'cannot sign the drill checkout: test-signing key resilient-shop/test-signing not read (Access denied: secretsmanager:GetSecretValue in ap-northeast-2',
    ),
  });
});
