/**
 * PostgreSQL access: a writer pool and a reader pool with short timeouts, credentials from a
 * secrets fetcher (re-read on authentication failure, 28P01), and error classification.
 */
import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';
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

/** Whether an error means "the database can't serve this now" rather than a bug or bad input. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DbUnavailableError) return true;
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

export interface ProbeResult {
  reachable: boolean;
  writable: boolean;
  schemaReady: boolean;
  error?: string;
}

export class Database {
  private pools: { writer: Pool; reader: Pool } | undefined;
  private credentials: Credentials | undefined;
  private lastSecretRead = 0;
  private secretRead: Promise<void> | undefined;
  private ended = false;

  constructor(
    private readonly settings: DbSettings,
    private readonly timeouts: Timeouts,
    private readonly logger: Logger,
    private readonly fetchSecret?: () => Promise<Credentials>,
    private readonly now: () => number = Date.now,
  ) {}

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
        max: this.settings.poolMax ?? 10,
        idleTimeoutMillis: 10000,
        query_timeout: this.timeouts.queryMs,
        statement_timeout: this.timeouts.queryMs,
      });
      // Idle clients that lose their connection emit here; without a listener the process would crash.
      pool.on('error', (err) =>
        this.logger.warn('idle database connection lost', { target, error: err.message }),
      );
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

  async query<R extends QueryResultRow = QueryResultRow>(
    target: Target,
    text: string,
    values?: unknown[],
  ): Promise<R[]> {
    try {
      return (await this.pool(target).query<R>(text, values)).rows;
    } catch (err) {
      this.noteError(err);
      throw err;
    }
  }

  /** Runs `fn` in a transaction on the writer; commits unless `rollback` is set or `fn` throws. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>, rollback = false): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool('writer').connect();
    } catch (err) {
      this.noteError(err);
      throw err;
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (err) {
      this.noteError(err);
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Health probe of one endpoint: reachable? writable (not in recovery, not read-only)? schema present? */
  async probe(target: Target): Promise<ProbeResult> {
    try {
      const rows = await withTimeout(
        this.query<{ recovery: boolean; ro: string; schema: boolean }>(
          target,
          "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro, " +
            "to_regclass('public.products') IS NOT NULL AS schema",
        ),
        this.timeouts.healthProbeMs,
      );
      const r = rows[0];
      return { reachable: true, writable: !r.recovery && r.ro === 'off', schemaReady: r.schema };
    } catch (err) {
      return { reachable: false, writable: false, schemaReady: false, error: (err as Error).message };
    }
  }

  async end(): Promise<void> {
    this.ended = true;
    if (!this.pools) return;
    const { writer, reader } = this.pools;
    await Promise.allSettled([writer.end(), reader !== writer ? reader.end() : undefined]);
  }
}
