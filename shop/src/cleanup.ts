/**
 * Periodic removal of abandoned open carts. Canaries create a real cart every minute per target
 * and vantage point (their synthetic checkout rolls back, so the cart stays open); customers
 * abandon carts too. Open carts not updated for longer than `maxAgeMs` are deleted (their items go
 * with them through ON DELETE CASCADE).
 *
 * - Runs only while this instance's database is the writer (checked before every batch, and again
 *   inside the transaction, so a reader or a failed-over cluster is never touched).
 * - Bounded: batches of `batchSize` rows (walking `carts_status_updated_idx`), at most
 *   `maxBatchesPerRun` batches per run, one short transaction per batch.
 * - Safe with several instances: each batch takes a transaction-level advisory lock with
 *   `pg_try_advisory_xact_lock` (an instance that does not get it leaves this run to the holder)
 *   and the rows with `FOR UPDATE SKIP LOCKED` (carts being changed or checked out right now are
 *   skipped, and re-checked after locking).
 * - Never touches checked-out carts or carts referenced by an order.
 * - Uses its own connection (not the request pools) with its own statement timeout.
 * - `stop()` ends the schedule and waits for the batch in flight (bounded; a batch cut short is
 *   rolled back by the server).
 */
import { Client, type ClientConfig } from 'pg';
import type { Database } from './db';
import type { Logger } from './types';

/** Fixed advisory lock key of the cart cleanup (distinct from the migration lock). */
export const CART_CLEANUP_LOCK_KEY = 7_346_201_906;

export interface CartCleanupOptions {
  /** Default true. */
  enabled?: boolean;
  /** Open carts not updated for longer than this are deleted. Default 24 h. */
  maxAgeMs?: number;
  /** Time between two runs. Default 15 min. */
  intervalMs?: number;
  /** Time from start to the first run. Default 60 s. */
  initialDelayMs?: number;
  /** Carts deleted per transaction. Default 1,000. */
  batchSize?: number;
  /** Upper bound of batches per run (the rest waits for the next run). Default 20. */
  maxBatchesPerRun?: number;
  /** Pause between two batches, to stay gentle on the writer and replication. Default 100 ms. */
  batchPauseMs?: number;
  /** Server-side statement timeout of the cleanup's own connection. Default 10 s. */
  statementTimeoutMs?: number;
  /** Longest wait in `stop()` for the batch in flight before its connection is cut. Default 5 s. */
  stopGraceMs?: number;
}

export type ResolvedCartCleanupOptions = Required<CartCleanupOptions>;

export const DEFAULT_CART_CLEANUP: ResolvedCartCleanupOptions = {
  enabled: true,
  maxAgeMs: 24 * 60 * 60 * 1000,
  intervalMs: 15 * 60 * 1000,
  initialDelayMs: 60 * 1000,
  batchSize: 1000,
  maxBatchesPerRun: 20,
  batchPauseMs: 100,
  statementTimeoutMs: 10_000,
  stopGraceMs: 5000,
};

export interface CleanupRunResult {
  /** Carts deleted by this run. */
  deleted: number;
  /** Batches that ran (deleted or not). */
  batches: number;
  /**
   * Why the run did nothing or stopped early: `not-writer` (the database is not the writer),
   * `busy` (another instance holds the cleanup lock), `stopped` (shutdown), `error`.
   */
  skipped?: 'not-writer' | 'busy' | 'stopped' | 'error';
  error?: string;
}

export interface CartCleanupDeps {
  db: Database;
  /** Whether this instance currently sees the writer (the health monitor's cached state). */
  isWriter: () => boolean;
  logger: Logger;
  now: () => number;
  options?: CartCleanupOptions;
}

const DELETE_BATCH = `
  WITH doomed AS (
    SELECT c.id FROM carts c
    WHERE c.status = 'open'
      AND c.updated_at < $1
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id)
    ORDER BY c.updated_at
    LIMIT $2
    FOR UPDATE OF c SKIP LOCKED
  )
  DELETE FROM carts c USING doomed d
  WHERE c.id = d.id
    AND c.status = 'open'
    AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id)`;

export class CartCleanup {
  readonly options: ResolvedCartCleanupOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CleanupRunResult> | undefined;
  private client: Client | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly deps: CartCleanupDeps) {
    const o = { ...DEFAULT_CART_CLEANUP };
    for (const [k, v] of Object.entries(deps.options ?? {})) {
      if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    }
    for (const k of ['maxAgeMs', 'intervalMs', 'batchSize', 'maxBatchesPerRun'] as const) {
      if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new Error(`cart cleanup: ${k} must be positive`);
    }
    o.batchSize = Math.floor(o.batchSize);
    o.maxBatchesPerRun = Math.floor(o.maxBatchesPerRun);
    this.options = o;
  }

  /**
   * Schedules runs: the first after `initialDelayMs`, then every `intervalMs` after a run ends, or
   * after `batchPauseMs` when a run stopped at `maxBatchesPerRun` with carts left (a backlog): the
   * cleanup then deletes as fast as its batches go instead of 20,000 carts per interval, so it keeps
   * up with what the per-client cart limit (shop/src/limits.ts) lets many clients create.
   */
  start(): void {
    if (!this.options.enabled || this.stopped || this.timer) return;
    this.schedule(this.options.initialDelayMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.runOnce().then((r) =>
          this.schedule(
            r.batches >= this.options.maxBatchesPerRun && !r.skipped
              ? this.options.batchPauseMs
              : this.options.intervalMs,
          ),
        );
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }

  /** Runs one cleanup now (or joins the run in progress). Never throws. */
  runOnce(): Promise<CleanupRunResult> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve({ deleted: 0, batches: 0, skipped: 'stopped' });
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the schedule and waits for the run in flight (cutting its connection after `stopGraceMs`). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    const running = this.running;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.stopGraceMs);
    });
    try {
      if ((await Promise.race([running, grace])) === 'timeout') {
        // The server rolls back the open transaction when the connection goes away.
        void this.client?.end().catch(() => undefined);
        await running;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<CleanupRunResult> {
    const { logger } = this.deps;
    const o = this.options;
    const result: CleanupRunResult = { deleted: 0, batches: 0 };
    if (!this.deps.isWriter()) return { ...result, skipped: 'not-writer' };
    const started = Date.now();
    let client: Client | undefined;
    try {
      client = await this.connect();
      while (result.batches < o.maxBatchesPerRun) {
        if (this.stopped) {
          result.skipped = 'stopped';
          break;
        }
        if (!this.deps.isWriter()) {
          result.skipped = 'not-writer';
          break;
        }
        const cutoff = new Date(this.deps.now() - o.maxAgeMs);
        const outcome = await this.batch(client, cutoff);
        if (outcome === 'not-writer' || outcome === 'busy') {
          result.skipped = outcome;
          break;
        }
        result.batches++;
        result.deleted += outcome;
        if (outcome < o.batchSize) break;
        await this.pause(o.batchPauseMs);
      }
    } catch (err) {
      result.skipped = this.stopped ? 'stopped' : 'error';
      result.error = (err as Error)?.message ?? String(err);
    } finally {
      this.client = undefined;
      await client?.end().catch(() => undefined);
    }
    if (result.error && result.skipped === 'error') {
      logger.warn('cart cleanup failed (will retry at the next run)', {
        error: result.error,
        deleted: result.deleted,
      });
    } else if (result.deleted > 0) {
      logger.info('cart cleanup removed abandoned carts', {
        deleted: result.deleted,
        batches: result.batches,
        elapsedMs: Date.now() - started,
        ...(result.skipped && { stoppedEarly: result.skipped }),
      });
    }
    return result;
  }

  private async connect(): Promise<Client> {
    const config: ClientConfig = {
      ...this.deps.db.connectionConfig('writer'),
      application_name: 'resilient-shop-cleanup',
      statement_timeout: this.options.statementTimeoutMs,
      query_timeout: this.options.statementTimeoutMs + 2000,
    };
    const client = new Client(config);
    client.on('error', () => {
      /* reported through the failing query */
    });
    this.client = client;
    await client.connect();
    // Don't queue behind long row locks: a cart locked by a request is skipped anyway.
    await client.query('SET lock_timeout = 2000');
    return client;
  }

  /** One transaction: deletes up to `batchSize` old open carts; returns how many, or why it did not. */
  private async batch(client: Client, cutoff: Date): Promise<number | 'not-writer' | 'busy'> {
    await client.query('BEGIN');
    try {
      const state = await client.query<{ recovery: boolean; ro: string }>(
        "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro",
      );
      if (state.rows[0].recovery || state.rows[0].ro !== 'off') {
        await client.query('ROLLBACK');
        return 'not-writer';
      }
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        CART_CLEANUP_LOCK_KEY,
      ]);
      if (!lock.rows[0].locked) {
        await client.query('ROLLBACK');
        return 'busy';
      }
      const deleted = await client.query(DELETE_BATCH, [cutoff, this.options.batchSize]);
      await client.query('COMMIT');
      return deleted.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
