/** `createShop(options)`: wires the database, health monitor, catalogue cache and HTTP server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalogue, type Product } from './catalogue';
import { CartCleanup } from './cleanup';
import { Database, DedicatedConnection, type Target } from './db';
import { drainServer, type DrainResult } from './drain';
import { Fence } from './fence';
import { HealthMonitor, type HealthState } from './health';
import { migrate } from './migrations';
import { KOREAN_CATALOGUE } from './catalogue-data';

/** What a new instance shows before the database answers: the catalogue as migration 6 leaves it. */
const BASELINE_CATALOGUE: Product[] = KOREAN_CATALOGUE.map(
  ({ legacyName: _n, legacyPriceCents: _p, ...product }) => product,
);
import { StateStore } from './state';
import { OverloadedError } from './gate';
import { createHandler } from './routes';
import { createPayments } from './payments/index';
import type { PaymentService } from './payments/service';
import { NotifyService } from './notify/index';
import { DEFAULT_TIMEOUTS, jsonLogger, type ShopOptions } from './types';

export interface Shop {
  /** Initialises (credentials, health, migrations, catalogue) and listens; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Drains in-flight requests (bounded by timeouts.drainMs), then closes the pools. */
  close(): Promise<DrainResult>;
  readonly server: Server;
  readonly db: Database;
  readonly health: HealthMonitor;
  readonly catalogue: Catalogue;
  readonly fence: Fence;
  /** Periodic deletion of abandoned open carts (`runOnce()` runs it now). */
  readonly cartCleanup: CartCleanup;
  /** Payments, when configured (`options.payments`). */
  readonly payments: PaymentService | undefined;
  /** The notice dispatcher, when configured (`options.notify`). */
  readonly notify: NotifyService | undefined;
  /** Resolves when the migration attempt at start has finished; the versions applied by this instance. */
  readonly migrations: () => Promise<number[]>;
}

/** Catalogue snapshot file in the state directory. */
export const CATALOGUE_FILE = 'catalogue.json';

export function createShop(options: ShopOptions): Shop {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const logger = options.logger ?? jsonLogger;
  const now = options.now ?? Date.now;
  const db = new Database(options.db, timeouts, logger, options.fetchSecret, now);
  const store = new StateStore(options.stateDir, logger);
  const fence = new Fence({
    region: options.region,
    role: options.role,
    db,
    store,
    logger,
    witnesses: (options.fenceWitnesses ?? []).map(
      (w) =>
        new DedicatedConnection(
          () => ({
            ...db.connectionConfig('reader'),
            host: w.host,
            port: w.port,
            application_name: 'resilient-shop-fence',
            query_timeout: timeouts.healthProbeMs,
          }),
          timeouts.healthProbeMs,
        ),
    ),
  });
  let draining = false;
  let migrated = options.migrate === false;
  let migrating: Promise<number[]> = Promise.resolve([]);
  let lastMigrationAttempt = -Infinity;

  const runMigrations = (): Promise<number[]> => {
    if (migrated || now() - lastMigrationAttempt < 5000) return migrating;
    lastMigrationAttempt = now();
    migrating = migrate(db.connectionConfig('writer'))
      .then((applied) => {
        migrated = true;
        if (applied.length) logger.info('migrations applied', { versions: applied });
        return applied;
      })
      .catch((err: Error) => {
        logger.warn('migrations not applied (will retry when the writer is available)', {
          error: err.message,
        });
        return [];
      });
    return migrating;
  };

  const health: HealthMonitor = new HealthMonitor(db, {
    intervalMs: timeouts.healthIntervalMs,
    staleAfterMs: timeouts.healthIntervalMs * 3 + timeouts.healthProbeMs * 2,
    now,
    logger,
    fence,
    onChange: (prev: HealthState, next: HealthState) => {
      if (next.writable && !migrated && !draining) {
        void runMigrations().then(() => health.check());
      }
      // Promoted: payments confirmed in the old primary's lost tail are found (payments/service.ts).
      if (next.writable && !prev.writable && next.schemaReady) void payments?.onWritable();
      if (next.db !== 'unreachable' && next.schemaReady) void catalogue.refresh();
    },
  });

  const loadProducts = async (): Promise<Product[]> => {
    const state = health.current().db;
    const targets: Target[] =
      state === 'writer' || !db.hasSeparateReader ? ['writer', 'reader'] : ['reader', 'writer'];
    let lastError: unknown;
    for (const target of db.hasSeparateReader ? targets : ['writer' as const]) {
      try {
        // The Korean columns through to_jsonb: a reader whose schema is older than migration 6
        // still answers (with no translations) instead of failing the whole catalogue.
        const rows = await db.query<{
          id: number;
          name: string;
          description: string;
          price_cents: number;
          stock: number;
          name_ko: string | null;
          description_ko: string | null;
        }>(
          target,
          "SELECT id, name, description, price_cents, stock, to_jsonb(p) ->> 'name_ko' AS name_ko, to_jsonb(p) ->> 'description_ko' AS description_ko FROM products p ORDER BY id",
          [],
          {
            // A refresh never queues behind customers: under load the cached copy is good enough.
            wait: false,
          },
        );
        return rows.map((r) => ({
          id: r.id,
          name: r.name,
          description: r.description,
          ...(r.name_ko ? { nameKo: r.name_ko } : {}),
          ...(r.description_ko ? { descriptionKo: r.description_ko } : {}),
          priceCents: r.price_cents,
          stock: r.stock,
        }));
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  };

  // Stock changes with every order: the snapshot is written at most every 5 s (the latest copy
  // wins), and once more on close.
  let lastSnapshotWrite = -Infinity;
  let pendingSnapshot: Product[] | undefined;
  let snapshotTimer: NodeJS.Timeout | undefined;
  const saveSnapshot = async () => {
    snapshotTimer = undefined;
    const products = pendingSnapshot;
    pendingSnapshot = undefined;
    if (!products) return;
    lastSnapshotWrite = now();
    await store.write(CATALOGUE_FILE, { savedAt: new Date().toISOString(), products });
  };
  const catalogue = new Catalogue(
    loadProducts,
    timeouts.catalogueTtlMs,
    now,
    (err) => {
      if (err instanceof OverloadedError) return;
      health.poke();
      logger.warn('catalogue refresh failed; serving the cached copy', { error: (err as Error)?.message });
    },
    (products) => {
      pendingSnapshot = products;
      if (snapshotTimer || !options.stateDir) return;
      snapshotTimer = setTimeout(() => void saveSnapshot(), Math.max(0, 5000 - (now() - lastSnapshotWrite)));
      snapshotTimer.unref();
    },
  );
  const saved = store.read<{ products?: Product[] }>(CATALOGUE_FILE)?.products;
  if (Array.isArray(saved) && saved.length > 0) catalogue.seed(saved, 'disk');
  else catalogue.seed(options.baselineCatalogue ?? BASELINE_CATALOGUE, 'baseline');

  const cartCleanup = new CartCleanup({
    db,
    isWriter: () => {
      const state = health.current();
      return state.db === 'writer' && state.schemaReady;
    },
    logger,
    now,
    options: options.cartCleanup === false ? { enabled: false } : options.cartCleanup,
  });

  const payments = options.payments
    ? createPayments(options.payments, { db, region: options.region, logger, now, fence })
    : undefined;

  const notify = options.notify
    ? new NotifyService(options.notify, {
        db,
        region: options.region,
        logger,
        isWriter: () => {
          const state = health.current();
          return state.db === 'writer' && state.schemaReady;
        },
      })
    : undefined;

  const handler = createHandler({
    region: options.region,
    role: options.role,
    version: options.version,
    contacts: options.contacts,
    currency: options.currency,
    db,
    health,
    catalogue,
    fence,
    logger,
    isDraining: () => draining,
    limits: options.limits,
    now,
    payments,
    notify,
    testRequests: options.testRequests,
  });
  const server = createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 20_000, requestTimeout: 30_000 },
    handler,
  );

  return {
    server,
    db,
    health,
    catalogue,
    fence,
    cartCleanup,
    payments,
    notify,
    migrations: () => migrating,
    async listen(port: number, host?: string): Promise<number> {
      await db.init();
      let state = await health.check();
      if (state.writable && !migrated) {
        await runMigrations();
        state = await health.check();
      }
      if (state.db !== 'unreachable') await catalogue.refresh();
      health.start();
      cartCleanup.start();
      // Reconciles unknown outcomes left by a previous process at once, then periodically.
      void payments?.run();
      void notify?.run();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const bound = (server.address() as AddressInfo).port;
      logger.info('shop listening', {
        port: bound,
        region: options.region,
        role: options.role,
        version: options.version,
        db: state.db,
      });
      return bound;
    },
    async close(): Promise<DrainResult> {
      draining = true;
      health.stop();
      handler.closeInFlight();
      const [result] = await Promise.all([
        drainServer(server, timeouts.drainMs),
        cartCleanup.stop(),
        payments?.stop(),
        notify?.stop(),
      ]);
      await migrating;
      clearTimeout(snapshotTimer);
      await saveSnapshot();
      await db.end();
      logger.info('shop stopped', { ...result });
      return result;
    },
  };
}
