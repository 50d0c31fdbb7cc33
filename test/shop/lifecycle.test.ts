/** Drain on SIGTERM, credentials from a secrets fetcher (re-read on 28P01), configuration from env. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { HEALTH_MARKER, SHOP_ENV } from '../../lib/contract/shop';
import { configFromEnv, FALLBACK_CONTACTS, parseContacts } from '../../shop/src/config';
import { drainServer } from '../../shop/src/drain';
import { parseSecret } from '../../shop/src/secrets';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { CONTACTS, getHealth, startShop, waitFor } from './helpers';

let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres({ hbaLines: ['host all shop_app 127.0.0.1/32 scram-sha-256'] });
});
afterAll(async () => {
  await pg?.destroy();
});

/** Sends a POST whose body arrives in two parts; resolves the raw response once `finish()` is called. */
function slowPost(port: number, pathname: string, body: string) {
  const socket = net.connect(port, '127.0.0.1');
  let response = '';
  socket.on('data', (d) => (response += d.toString()));
  const done = new Promise<string>((resolve) => socket.on('close', () => resolve(response)));
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  const half = Math.floor(body.length / 2);
  return {
    started: connected.then(() => {
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
    }),
    finish: () => socket.write(body.slice(half)),
    done,
  };
}

describe('graceful drain', () => {
  it('stops accepting, lets the in-flight request finish, then closes', async () => {
    const db = await pg.createDatabase();
    const s = await startShop(pg, db);
    const port = Number(new URL(s.base).port);
    const inflight = slowPost(port, '/cart', JSON.stringify({ productId: 1, quantity: 1 }));
    await inflight.started;
    await new Promise((r) => setTimeout(r, 50));

    const closing = s.shop.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(s.base + '/healthz')).rejects.toThrow();

    inflight.finish();
    const raw = await inflight.done;
    expect(raw).toMatch(/^HTTP\/1\.1 201/);
    expect(raw.toLowerCase()).toContain('connection: close');
    const result = await closing;
    expect(result.forced).toBe(false);
  });

  it('is bounded: connections still busy after the timeout are cut', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const pending = fetch(`http://127.0.0.1:${port}/`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const result = await drainServer(server, 300);
    expect(result.forced).toBe(true);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(result.elapsedMs).toBeLessThan(2000);
    expect(await pending).toBe('failed');
  });

  it('main.ts drains and exits 0 on SIGTERM', async () => {
    const db = await pg.createDatabase();
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'shop/src/main.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        [SHOP_ENV.region]: 'ap-northeast-2',
        [SHOP_ENV.role]: 'primary',
        [SHOP_ENV.dbWriterHost]: pg.host,
        [SHOP_ENV.dbPort]: String(pg.port),
        [SHOP_ENV.dbName]: db,
        [SHOP_ENV.dbUser]: pg.user,
        [SHOP_ENV.port]: String(port),
        [SHOP_ENV.version]: 'sigterm-test',
        [SHOP_ENV.contacts]: JSON.stringify(CONTACTS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        async () => {
          try {
            return (await getHealth(`http://127.0.0.1:${port}`)).body.marker === HEALTH_MARKER;
          } catch {
            return false;
          }
        },
        20000,
        'main.ts to become healthy',
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"msg":"shop stopped"');
      // No SHOP_NOTIFY: no dispatcher, said once.
      expect(
        output.match(/SHOP_NOTIFY unset: notices are written to the outbox and nothing sends them/g),
      ).toHaveLength(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('credentials from a secrets fetcher', () => {
  it('re-reads the secret after an authentication failure (28P01) and recovers', async () => {
    await pg.sql("CREATE ROLE shop_app LOGIN PASSWORD 'rotated-secret'");
    await pg.sql('CREATE DATABASE shop_secret OWNER shop_app');
    const answers = [
      { username: 'shop_app', password: 'stale-secret' },
      { username: 'shop_app', password: 'rotated-secret' },
    ];
    let reads = 0;
    const fetchSecret = async () => answers[Math.min(reads++, answers.length - 1)];
    const s = await startShop(pg, 'shop_secret', {
      db: { writerHost: pg.host, port: pg.port, database: 'shop_secret' },
      fetchSecret,
    });
    try {
      await waitFor(
        async () => (await getHealth(s.base)).status === 200,
        8000,
        'shop to recover with the new secret',
      );
      expect(reads).toBeGreaterThanOrEqual(2);
      expect((await fetch(s.base + '/products/1')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('parses the secret JSON', () => {
    expect(parseSecret('{"username":"u","password":"p","engine":"postgres"}')).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(() => parseSecret('nope')).toThrow('not JSON');
    expect(() => parseSecret('{"username":"u"}')).toThrow('password');
  });
});

describe('configuration from the environment', () => {
  it('reads every SHOP_* variable', () => {
    const { options, port, secretName } = configFromEnv({
      [SHOP_ENV.region]: 'ap-northeast-1',
      [SHOP_ENV.role]: 'standby',
      [SHOP_ENV.dbWriterHost]: 'writer.example',
      [SHOP_ENV.dbReaderHost]: 'reader.example',
      [SHOP_ENV.dbPort]: '5433',
      [SHOP_ENV.dbName]: 'shopdb',
      [SHOP_ENV.dbSecretName]: 'shop/db',
      [SHOP_ENV.dbTls]: 'true',
      [SHOP_ENV.port]: '8081',
      [SHOP_ENV.version]: '1.2.3',
      [SHOP_ENV.contacts]: JSON.stringify(CONTACTS),
      SHOP_DB_CA_FILE: '/nonexistent/ca.pem',
    });
    expect(port).toBe(8081);
    expect(secretName).toBe('shop/db');
    expect(options).toMatchObject({
      region: 'ap-northeast-1',
      role: 'standby',
      version: '1.2.3',
      contacts: CONTACTS,
    });
    expect(options.db).toMatchObject({
      writerHost: 'writer.example',
      readerHost: 'reader.example',
      port: 5433,
      database: 'shopdb',
    });
    expect(options.db.ssl).toEqual({ rejectUnauthorized: false });
  });

  it('defaults the port to the contract and requires a writer host', () => {
    expect(configFromEnv({ [SHOP_ENV.dbWriterHost]: 'h' }).port).toBe(8080);
    expect(() => configFromEnv({})).toThrow(SHOP_ENV.dbWriterHost);
  });

  it('falls back to placeholder contacts instead of failing on bad SHOP_CONTACTS', () => {
    expect(parseContacts(undefined)).toBe(FALLBACK_CONTACTS);
    expect(parseContacts('{bad')).toBe(FALLBACK_CONTACTS);
    expect(parseContacts(JSON.stringify({ ...CONTACTS, paymentAlternatives: [] }))).toBe(FALLBACK_CONTACTS);
    expect(parseContacts(JSON.stringify(CONTACTS))).toEqual(CONTACTS);
  });
});
