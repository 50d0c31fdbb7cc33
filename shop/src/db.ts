/**
 * PostgreSQL access: a writer pool and a reader pool with short timeouts, credentials from a
 * secrets fetcher (re-read on authentication failure, 28P01), and error classification.
 *
 * Survival rules (issue #11): every client has an 'error' listener at every moment of its life
 * (idle in the pool: the pool's listener; checked out, in a transaction or not: ours), so a lost
 * connection rejects the request in flight instead of ending the process. Customer work passes an
 * admission gate (shop/src/gate.ts) sized to the pool, so the pool never queues and a pool-wait
 * timeout can never be mistaken for "database down". Health probes use dedicated connections
 * outside the pool, so they are never queued behind customer traffic.
 */
import { Client, Pool, type ClientConfig, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
import { Gate, type AdmissionOptions } from './gate';
import type { Credentials, DbSettings, Logger, Timeouts } from './types';

/** Thrown (wrapped) when the database cannot take the request right now: read-only, down, too slow. */
export class DbUnavailableError extends Error {
  constructor(readonly cause: unknown) {
    super(`database unavailable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

const UNAVAILABLE_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction
  '28P01', // invalid_password (credentials rotated; we re-read the secret)
  '28000', // invalid_authorization_specification
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '3D000', // invalid_catalog_name (database missing)
  '42P01', // undefined_table (schema not migrated yet)
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'connection timeout',
  'Client has encountered a connection error',
  'Connection ended',
  'Cannot use a pool after calling end',
  'probe timeout',
];

/**
 * COMMIT was sent but its answer never arrived (connection lost, timeout): the transaction may or
 * may not have been committed. Never answered as "nothing happened".
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(readonly cause: unknown) {
    super(`commit outcome unknown: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** Whether an error means "the database can't serve this now" rather than a bug or bad input. */
export function isUnavailable(err: unknown): boolean {
  // Outside checkout (which answers it specifically), a lost COMMIT answer is an outage like any other.
  if (err instanceof DbUnavailableError || err instanceof CommitOutcomeUnknownError) return true;
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (
    e.code &&
    (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))
  ) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((m) => e.message?.includes(m));
}

/** Rejects after `ms` unless the promise settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'probe timeout'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type Target = 'writer' | 'reader';

/** The fencing row (`writer_fence`, migration 3) as one endpoint sees it. */
export interface FenceRow {
  epoch: number;
  writerRegion: string;
}

export interface ProbeResult {
  reachable: boolean;
  writable: boolean;
  schemaReady: boolean;
  /** Whether the `writer_fence` table exists (migration 3 applied). */
  fenceTable?: boolean;
  /** The fencing row, when the table exists and has one. */
  fence?: FenceRow;
  /**
   * Region of the global writer as Aurora reports it (`aurora_global_db_instance_status()`, row
   * with `session_id = 'MASTER_SESSION_ID'`); undefined where the function does not exist.
   */
  globalWriterRegion?: string;
  error?: string;
}

type Stream = { destroy(): void };

/**
 * One connection of its own, outside the pool, for health probes (and fencing witnesses): never
 * queued behind customer work. Reconnects on the next use after any error or timeout.
 */
export class DedicatedConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(
    private readonly config: () => ClientConfig,
    private readonly timeoutMs: number,
  ) {}

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    const client = await withTimeout(this.get(), this.timeoutMs).catch((err: unknown) => {
      this.drop();
      throw err;
    });
    try {
      return (await withTimeout(client.query<R>(text, values), this.timeoutMs)).rows;
    } catch (err) {
      if (isUnavailable(err) || !(err as { code?: string }).code) this.drop();
      throw err;
    }
  }

  private get(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const client = new Client(this.config());
    // Reported through the failing query; a listener must exist so the error never ends the process.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    this.connecting = client
      .connect()
      .then(() => {
        this.client = client;
        return client;
      })
      .catch((err: unknown) => {
        destroyClient(client);
        throw err;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  /** Forgets the connection and closes its socket without waiting for a (possibly frozen) server. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) destroyClient(client);
  }
}

function destroyClient(client: Client): void {
  const stream = (client as unknown as { connection?: { stream?: Stream } }).connection?.stream;
  try {
    stream?.destroy();
  } catch {
    // already gone
  }
}

/** Options of `Database.transaction`. */
export interface TransactionOptions {
  /** Roll back instead of committing (synthetic checkouts). */
  rollback?: boolean;
  /** Admission priority (checkouts of a cart known to exist: high). */
  priority?: AdmissionOptions['priority'];
  /** Who asked, for fair shares of the admission gate (shop/src/client.ts). */
  client?: string;
  /** Background work (`priority: 'low'`) that can wait for a quieter moment (shop/src/gate.ts). */
  yieldToCustomers?: boolean;
}

export class Database {
  private pools: { writer: Pool; reader: Pool } | undefined;
  private credentials: Credentials | undefined;
  private lastSecretRead = 0;
  private secretRead: Promise<void> | undefined;
  private ended = false;
  private probes: Partial<Record<Target, DedicatedConnection>> = {};
  /** Pool clients whose connection failed (see the pool's 'connect' listener). */
  private readonly lostClients = new WeakSet<PoolClient>();
  /** Admission gate for customer and background work on the pools (one slot per writer connection). */
  readonly gate: Gate;

  constructor(
    private readonly settings: DbSettings,
    private readonly timeouts: Timeouts,
    private readonly logger: Logger,
    private readonly fetchSecret?: () => Promise<Credentials>,
    private readonly now: () => number = Date.now,
  ) {
    const poolMax = settings.poolMax ?? 10;
    // An admitted request should not wait long: better a fast "try again" than a slow "yes".
    this.gate = new Gate(
      poolMax,
      settings.maxQueue ?? poolMax * 2,
      settings.maxQueueWaitMs ?? Math.min(100, Math.max(25, Math.round(timeouts.queryMs / 4))),
    );
  }

  /** Reads credentials (when a fetcher is configured) and creates the pools. Never throws on DB errors. */
  async init(): Promise<void> {
    if (this.fetchSecret) {
      try {
        await this.readSecret();
      } catch (err) {
        this.logger.error('could not read database secret', { error: (err as Error).message });
      }
    }
    if (!this.pools) this.pools = this.createPools();
  }

  /** Connection settings without pool options (used for the migration client). */
  connectionConfig(target: Target = 'writer'): PoolConfig {
    const s = this.settings;
    return {
      host: target === 'reader' ? (s.readerHost ?? s.writerHost) : s.writerHost,
      port: s.port,
      database: s.database,
      user: this.credentials?.username ?? s.user,
      password: this.credentials?.password ?? s.password,
      ssl: s.ssl === true ? { rejectUnauthorized: true } : s.ssl || undefined,
      application_name: 'resilient-shop',
      keepAlive: true,
      connectionTimeoutMillis: this.timeouts.connectMs,
    };
  }

  private createPools(): { writer: Pool; reader: Pool } {
    const make = (target: Target) => {
      const pool = new Pool({
        ...this.connectionConfig(target),
        // The gate's customer slots plus its background slots: the pool itself never queues.
        max: this.gate.capacity + this.gate.backgroundSlots,
        idleTimeoutMillis: 10000,
        query_timeout: this.timeouts.queryMs,
        statement_timeout: this.timeouts.queryMs,
      });
      // Idle clients that lose their connection emit here; without a listener the process would crash.
      pool.on('error', (err) =>
        this.logger.warn('idle database connection lost', { target, error: err.message }),
      );
      // A listener for the client's whole life. The pool removes its idle listener before handing a
      // client out, and the checkout's own listener is attached a microtask later: an error that
      // arrives in the same TCP read as the end of the connection handshake (a backend terminated
      // just as it started) would be emitted in between, with no listener, and end the process.
      pool.on('connect', (client) => {
        client.on('error', () => this.lostClients.add(client));
      });
      return pool;
    };
    const writer = make('writer');
    const reader =
      this.settings.readerHost && this.settings.readerHost !== this.settings.writerHost
        ? make('reader')
        : writer;
    return { writer, reader };
  }

  private async readSecret(): Promise<void> {
    if (!this.fetchSecret) return;
    if (this.secretRead) return this.secretRead;
    this.secretRead = (async () => {
      this.lastSecretRead = this.now();
      const fresh = await this.fetchSecret!();
      const changed =
        !this.credentials ||
        fresh.username !== this.credentials.username ||
        fresh.password !== this.credentials.password;
      this.credentials = fresh;
      if (changed && this.pools && !this.ended) {
        this.logger.info('database credentials changed; recreating connection pools');
        const old = this.pools;
        this.pools = this.createPools();
        void Promise.allSettled([old.writer.end(), old.reader !== old.writer ? old.reader.end() : undefined]);
        for (const probe of Object.values(this.probes)) probe?.drop();
      }
    })().finally(() => {
      this.secretRead = undefined;
    });
    return this.secretRead;
  }

  /** Called on any database error: re-reads the secret after an authentication failure. */
  private noteError(err: unknown): void {
    const code = (err as { code?: string })?.code;
    if (
      code === '28P01' &&
      this.fetchSecret &&
      this.now() - this.lastSecretRead >= this.timeouts.secretRefreshMinMs
    ) {
      this.logger.warn('database authentication failed; re-reading the secret');
      this.readSecret().catch((e) =>
        this.logger.error('could not re-read database secret', { error: (e as Error).message }),
      );
    }
  }

  /** Forces a secret re-read now (used right after a 28P01 at start). */
  async refreshCredentials(): Promise<void> {
    await this.readSecret();
  }

  pool(target: Target): Pool {
    if (!this.pools) this.pools = this.createPools();
    return this.pools[target];
  }

  get hasSeparateReader(): boolean {
    return this.pool('reader') !== this.pool('writer');
  }

  /**
   * Checks out a client through the admission gate and keeps an 'error' listener on it while it is
   * out: a connection lost mid-request rejects the query in flight and the client is discarded on
   * release, instead of an unhandled 'error' event ending the process.
   */
  private async withClient<T>(
    target: Target,
    fn: (client: PoolClient, broken: () => Error | undefined, markBroken: (err: Error) => void) => Promise<T>,
    admission: AdmissionOptions = {},
  ): Promise<T> {
    return this.gate.run(async () => {
      let client: PoolClient;
      try {
        client = await this.pool(target).connect();
      } catch (err) {
        this.noteError(err);
        throw err;
      }
      let broken: Error | undefined = this.lostClients.has(client)
        ? new Error('Connection terminated: lost before use')
        : undefined;
      const onError = (err: Error) => {
        broken ??= err;
        this.logger.warn('database connection lost while in use', { target, error: err.message });
      };
      client.on('error', onError);
      try {
        return await fn(
          client,
          () => broken,
          (err) => (broken ??= err),
        );
      } catch (err) {
        this.noteError(err);
        // A timed-out query leaves the connection mid-protocol: never hand it to someone else.
        if (isUnavailable(err) || err instanceof CommitOutcomeUnknownError) broken ??= err as Error;
        throw err;
      } finally {
        client.off('error', onError);
        // A client released with an error is destroyed; keep swallowing its late errors.
        if (broken) client.on('error', () => undefined);
        client.release(broken);
      }
    }, admission);
  }

  async query<R extends QueryResultRow = QueryResultRow>(
    target: Target,
    text: string,
    values?: unknown[],
    opts: { wait?: boolean; client?: string } = {},
  ): Promise<R[]> {
    return this.withClient(target, async (c) => (await c.query<R>(text, values)).rows, {
      wait: opts.wait,
      client: opts.client,
    });
  }

  /**
   * Runs `fn` in a transaction on the writer; commits unless `rollback` is set or `fn` throws.
   * A failure while COMMIT is in flight (other than an error the server answered with) throws
   * `CommitOutcomeUnknownError`: the order may exist.
   */
  async transaction<T>(
    fn: (client: PoolClient) => Promise<T>,
    opts: TransactionOptions | boolean = {},
  ): Promise<T> {
    const {
      rollback = false,
      priority = 'normal',
      client,
      yieldToCustomers,
    } = typeof opts === 'boolean' ? { rollback: opts } : opts;
    return this.withClient(
      'writer',
      async (client, broken, markBroken) => {
        await client.query('BEGIN');
        let result: T;
        try {
          result = await fn(client);
        } catch (err) {
          if (!broken() && !isUnavailable(err)) {
            await client.query('ROLLBACK').catch((rollbackErr: Error) => markBroken(rollbackErr));
          }
          throw err;
        }
        if (rollback) {
          await client.query('ROLLBACK');
          return result;
        }
        try {
          await client.query('COMMIT');
        } catch (err) {
          // The server answered COMMIT with an error (serialization failure, deferred constraint):
          // it rolled back. Anything else (no answer) leaves the outcome unknown.
          const code = (err as { code?: string }).code;
          if (code && !isUnavailable(err)) throw err;
          throw new CommitOutcomeUnknownError(err);
        }
        return result;
      },
      { priority, client, yieldToCustomers },
    );
  }

  /** Runs one statement on the dedicated health connection of `target` (never queued). */
  async probeQuery<R extends QueryResultRow = QueryResultRow>(
    target: Target,
    text: string,
    values?: unknown[],
  ): Promise<R[]> {
    return this.probeConnection(target).query<R>(text, values);
  }

  /** The fencing row as `target` sees it, read on the dedicated health connection. */
  probeFence(target: Target): Promise<FenceRow | undefined> {
    return readFence(this.probeConnection(target));
  }

  /** A dedicated connection (not from the pool) for health probes of `target`. */
  private probeConnection(target: Target): DedicatedConnection {
    let probe = this.probes[target];
    if (!probe) {
      probe = new DedicatedConnection(
        () => ({
          ...this.connectionConfig(target),
          application_name: 'resilient-shop-health',
          query_timeout: this.timeouts.healthProbeMs,
          statement_timeout: this.timeouts.queryMs,
        }),
        this.timeouts.healthProbeMs,
      );
      this.probes[target] = probe;
    }
    return probe;
  }

  /**
   * Health probe of one endpoint on its dedicated connection: reachable? writable (not in
   * recovery, not read-only)? schema present? plus the fencing row and, on Aurora, the global writer.
   */
  async probe(target: Target): Promise<ProbeResult> {
    const conn = this.probeConnection(target);
    try {
      const [r] = await conn.query<{
        recovery: boolean;
        ro: string;
        schema: boolean;
        fence: boolean;
        aurora: boolean;
      }>(
        "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro, " +
          "to_regclass('public.products') IS NOT NULL AS schema, " +
          "to_regclass('public.writer_fence') IS NOT NULL AS fence, " +
          "to_regprocedure('aurora_global_db_instance_status()') IS NOT NULL AS aurora",
      );
      const result: ProbeResult = {
        reachable: true,
        writable: !r.recovery && r.ro === 'off',
        schemaReady: r.schema,
        fenceTable: r.fence,
      };
      if (r.fence) result.fence = await readFence(conn);
      if (r.aurora) {
        // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora_global_db_instance_status.html
        const [w] = await conn.query<{ aws_region: string }>(
          "SELECT aws_region FROM aurora_global_db_instance_status() WHERE session_id = 'MASTER_SESSION_ID' LIMIT 1",
        );
        result.globalWriterRegion = w?.aws_region;
      }
      return result;
    } catch (err) {
      this.noteError(err);
      return { reachable: false, writable: false, schemaReady: false, error: (err as Error).message };
    }
  }

  async end(): Promise<void> {
    this.ended = true;
    for (const probe of Object.values(this.probes)) probe?.drop();
    if (!this.pools) return;
    const { writer, reader } = this.pools;
    await Promise.allSettled([writer.end(), reader !== writer ? reader.end() : undefined]);
  }
}

/** Reads the fencing row through `conn` (undefined when the table is empty). */
export async function readFence(conn: {
  query<R extends QueryResultRow>(text: string): Promise<R[]>;
}): Promise<FenceRow | undefined> {
  const [row] = await conn.query<{ epoch: string; writer_region: string }>(
    'SELECT epoch, writer_region FROM writer_fence LIMIT 1',
  );
  return row ? { epoch: Number(row.epoch), writerRegion: row.writer_region } : undefined;
}
