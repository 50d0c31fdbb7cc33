/** Shared types of the reference shop. */
import type { ConnectionOptions } from 'node:tls';
import type { Product } from './catalogue';
import type { Contacts } from '../../lib/contract/contacts';
import type { CartCleanupOptions } from './cleanup';
import type { ClientLimits } from './limits';
import type { PaymentOptions } from './payments/index';
import type { NotifyOptions } from './notify/index';
import type { TestRequestGate } from './signed-test-request';

export type Role = 'primary' | 'standby';
export type DbState = 'writer' | 'reader' | 'unreachable';
export type Mode = 'read-write' | 'read-only';

/** The config's `contacts` (see lib/config/schema.ts), passed in SHOP_CONTACTS. */
export type { Contacts } from '../../lib/contract/contacts';

export interface Credentials {
  username: string;
  password: string;
}

export interface DbSettings {
  /** Writer endpoint. */
  writerHost: string;
  /** Reader endpoint; defaults to the writer. */
  readerHost?: string;
  port: number;
  database: string;
  /** Local credentials (ignored when a secrets fetcher is given). */
  user?: string;
  password?: string;
  /** TLS: false/undefined for none, true for verified TLS with the default CAs, or explicit options. */
  ssl?: boolean | ConnectionOptions;
  /**
   * The admission gate's customer capacity; each pool (writer and reader) has one connection more,
   * the gate's background slot (the notice dispatcher: shop/src/gate.ts).
   */
  poolMax?: number;
  /** Most requests that may wait for a database slot (default 2 × poolMax); the rest get 503 at once. */
  maxQueue?: number;
  /** Longest wait for a database slot before 503 (default queryMs / 4, between 25 and 100 ms). */
  maxQueueWaitMs?: number;
}

export interface Timeouts {
  /** TCP connect + authentication, and waiting for a pooled connection. */
  connectMs: number;
  /** Per query, client side and server side (statement_timeout). */
  queryMs: number;
  /** Background health probe interval. */
  healthIntervalMs: number;
  /** Hard cap on one health probe (on top of connect/query timeouts). */
  healthProbeMs: number;
  /** Catalogue cache time to live; stale entries are served while refreshing, and during outages. */
  catalogueTtlMs: number;
  /** Longest wait for in-flight requests on close(). */
  drainMs: number;
  /** Minimum time between two Secrets Manager reads after authentication failures. */
  secretRefreshMinMs: number;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ShopOptions {
  db: DbSettings;
  region: string;
  role: Role;
  version: string;
  contacts: Contacts;
  /** ISO 4217 code of the catalogue's prices (SHOP_CURRENCY); default KRW. */
  currency?: string;
  /** Reads `{username, password}` (Secrets Manager in production). Called at start and on error 28P01. */
  fetchSecret?: () => Promise<Credentials>;
  timeouts?: Partial<Timeouts>;
  /** Apply migrations and the demo catalogue when a writer is reachable (default true). */
  migrate?: boolean;
  logger?: Logger;
  now?: () => number;
  /**
   * Periodic deletion of abandoned open carts (canary carts included) while the database is the
   * writer: default every 15 min (first run 60 s after start), carts idle for more than 24 h,
   * batches of 1,000. `false` disables it.
   */
  cartCleanup?: CartCleanupOptions | false;
  /**
   * Directory for state that survives restarts (catalogue snapshot, highest fence epoch seen):
   * systemd `StateDirectory=resilient-shop` → /var/lib/resilient-shop. None: memory only.
   */
  stateDir?: string;
  /** Catalogue served when neither the database nor the state directory has one (default: the demo catalogue). */
  baselineCatalogue?: Product[];
  /**
   * Other regions' database endpoints to read the `writer_fence` row from, so that an old primary
   * that comes back writable learns that a newer writer exists (see shop/README.md "Fencing").
   */
  fenceWitnesses?: { host: string; port: number }[];
  /** Per-client limits on new carts and checkouts (default: shop/src/limits.ts DEFAULT_LIMITS). */
  limits?: ClientLimits;
  /** Payments (SHOP_PAYMENTS): checkout then creates orders awaiting payment. None: orders are placed unpaid. */
  payments?: PaymentOptions;
  /**
   * Customer notices (SHOP_NOTIFY): the dispatcher sends the outbox through the channels. None: notices
   * are still written to the outbox, and nothing sends them.
   */
  notify?: NotifyOptions;
  /** Checks signed test headers (shop/src/signed-test-request.ts); none: they are accepted unsigned (local runs). */
  testRequests?: TestRequestGate;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 800,
  queryMs: 800,
  healthIntervalMs: 500,
  healthProbeMs: 1200,
  catalogueTtlMs: 5000,
  drainMs: 20000,
  secretRefreshMinMs: 10000,
};

/** JSON-lines logger for journald. */
export const jsonLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: 'info', msg, ...fields })),
  warn: (msg, fields) => console.warn(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: 'error', msg, ...fields })),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
