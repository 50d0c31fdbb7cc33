/**
 * The shop of each local "region": the esbuild bundle as deployed (shop/src/main.ts), run as a child
 * process with the contract's environment, under a supervisor that restarts it when it exits, as
 * the web tier's systemd unit does (Restart=on-failure, RestartSec=2, compressed by the time scale).
 * Restarts are counted: a shop that exits when its database goes away is a finding, not a crash of
 * the drill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { SHOP_ENV } from '../../lib/contract/shop';
import { CLIENT_LIMITS_ENV } from '../../shop/src/config';

const ROOT = path.resolve(__dirname, '..', '..');

/** Bundles the shop as the web tier ships it; returns the file. */
export async function bundleShop(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'shop.js');
  await build({
    entryPoints: [path.join(ROOT, 'shop/src/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['pg-native'],
    logLevel: 'warning',
  });
  return outfile;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ShopProcessOptions {
  readonly bundle: string;
  readonly region: string;
  readonly role: 'primary' | 'standby';
  readonly dbPort: number;
  readonly database: string;
  readonly contacts: unknown;
  readonly restartDelayMs: number;
  readonly logFile?: string;
}

/** One region's shop, supervised. */
export class ShopProcess {
  private child: ChildProcess | undefined;
  private wanted = false;
  /** Times the process exited while it should have been running. */
  restarts = 0;
  readonly exits: { at: number; code: number | null; signal: string | null }[] = [];

  private constructor(
    private readonly o: ShopProcessOptions,
    readonly port: number,
  ) {}

  static async create(o: ShopProcessOptions): Promise<ShopProcess> {
    return new ShopProcess(o, await freePort());
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): void {
    this.wanted = true;
    this.spawn();
  }

  private spawn(): void {
    const out = this.o.logFile ? fs.openSync(this.o.logFile, 'a') : 'ignore';
    const child = spawn(process.execPath, [this.o.bundle], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        [SHOP_ENV.region]: this.o.region,
        [SHOP_ENV.role]: this.o.role,
        [SHOP_ENV.dbWriterHost]: '127.0.0.1',
        [SHOP_ENV.dbPort]: String(this.o.dbPort),
        [SHOP_ENV.dbName]: this.o.database,
        [SHOP_ENV.dbUser]: 'postgres',
        [SHOP_ENV.port]: String(this.port),
        [SHOP_ENV.version]: 'drill-local',
        [SHOP_ENV.contacts]: JSON.stringify(this.o.contacts),
        // Every simulated customer comes from 127.0.0.1 and buys every few ms: no per-client limits.
        [CLIENT_LIMITS_ENV]: 'off',
      },
      stdio: ['ignore', out, out],
    });
    if (typeof out === 'number') fs.closeSync(out);
    this.child = child;
    child.once('exit', (code, signal) => {
      this.exits.push({ at: Date.now(), code, signal });
      if (this.child !== child || !this.wanted) return;
      this.restarts++;
      setTimeout(() => {
        if (this.wanted && this.child === child) this.spawn();
      }, this.o.restartDelayMs).unref();
    });
  }

  /** The region's instances are gone: SIGKILL, no restart. */
  kill(): Promise<void> {
    this.wanted = false;
    return this.stopChild('SIGKILL');
  }

  /** Graceful stop (SIGTERM, the shop drains). */
  stop(): Promise<void> {
    this.wanted = false;
    return this.stopChild('SIGTERM');
  }

  private stopChild(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

/** Waits until `url` answers with a body containing `marker`. */
export async function waitForBody(url: string, marker: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
      if (text.includes(marker)) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not show ${marker} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const tmpDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
