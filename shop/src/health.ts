/**
 * Background database health monitor. `/healthz` only ever reads the cached state, so it answers
 * immediately even when the database hangs; probes are bounded by connect/query timeouts and a hard cap.
 */
import { HEALTH_MARKER } from '../../lib/contract/shop';
import type { Database } from './db';
import type { Fence } from './fence';
import type { DbState, Logger, Mode, Role } from './types';

export interface HealthState {
  db: DbState;
  schemaReady: boolean;
  checkedAt: number;
  /** The writer endpoint accepts writes (whether or not the fence lets this region take orders). */
  writable?: boolean;
  /** Why a writable database is treated as a reader: this region is not the authoritative writer. */
  fenced?: string;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  region: string;
  role: Role;
  db: DbState;
  mode: Mode;
  version: string;
  fenced?: string;
  marker?: string;
}

export class HealthMonitor {
  private state: HealthState = { db: 'unreachable', schemaReady: false, checkedAt: -Infinity };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<HealthState> | undefined;
  private lastPoke = -Infinity;

  constructor(
    private readonly db: Database,
    private readonly opts: {
      intervalMs: number;
      /** State older than this counts as unreachable (a stuck probe must not keep us "healthy"). */
      staleAfterMs: number;
      now: () => number;
      logger: Logger;
      /** Fencing (shop/src/fence.ts); without it a writable database is always the writer. */
      fence?: Fence;
      onChange?: (prev: HealthState, next: HealthState) => void;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.check().finally(() => {
        if (this.timer) {
          this.timer = setTimeout(tick, this.opts.intervalMs);
          this.timer.unref();
        }
      });
    };
    this.timer = setTimeout(tick, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Probes now (one probe at a time). */
  check(): Promise<HealthState> {
    if (this.running) return this.running;
    this.running = this.probe().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Asks for a probe soon after a request saw a database error (rate-limited). */
  poke(): void {
    const now = this.opts.now();
    if (now - this.lastPoke < 250) return;
    this.lastPoke = now;
    void this.check();
  }

  private async probe(): Promise<HealthState> {
    const separate = this.db.hasSeparateReader;
    const [writer, reader] = await Promise.all([
      this.db.probe('writer'),
      separate ? this.db.probe('reader') : Promise.resolve(undefined),
    ]);
    let next: HealthState;
    const verdict = this.opts.fence ? await this.opts.fence.refresh(writer) : { allowed: true };
    if (writer.writable && verdict.allowed)
      next = { db: 'writer', schemaReady: writer.schemaReady, checkedAt: this.opts.now(), writable: true };
    else if (writer.writable)
      next = {
        db: 'reader',
        schemaReady: writer.schemaReady,
        checkedAt: this.opts.now(),
        writable: true,
        fenced: verdict.reason,
      };
    else if (reader?.reachable)
      next = { db: 'reader', schemaReady: reader.schemaReady, checkedAt: this.opts.now() };
    else if (writer.reachable)
      next = { db: 'reader', schemaReady: writer.schemaReady, checkedAt: this.opts.now() };
    else next = { db: 'unreachable', schemaReady: false, checkedAt: this.opts.now() };
    const prev = this.state;
    this.state = next;
    if (
      prev.db !== next.db ||
      prev.schemaReady !== next.schemaReady ||
      prev.writable !== next.writable ||
      prev.fenced !== next.fenced
    ) {
      this.opts.logger.info('database state changed', {
        from: prev.db,
        to: next.db,
        schemaReady: next.schemaReady,
        fenced: next.fenced,
        writerError: writer.error,
        readerError: reader?.error,
      });
      this.opts.onChange?.(prev, next);
    }
    return next;
  }

  /** Cached state, downgraded to unreachable when it is too old. */
  current(): HealthState {
    if (this.opts.now() - this.state.checkedAt > this.opts.staleAfterMs) {
      return { db: 'unreachable', schemaReady: false, checkedAt: this.state.checkedAt };
    }
    return this.state;
  }

  mode(): Mode {
    return this.current().db === 'writer' ? 'read-write' : 'read-only';
  }
}

/** Whether an instance in `role` can serve customers with the database in `state`. */
export function isHealthy(role: Role, state: HealthState): boolean {
  if (!state.schemaReady) return false;
  return role === 'primary' ? state.db === 'writer' : state.db !== 'unreachable';
}

export function healthReport(
  state: HealthState,
  info: { region: string; role: Role; version: string },
): { code: number; body: HealthReport } {
  const healthy = isHealthy(info.role, state);
  const body: HealthReport = {
    status: healthy ? 'ok' : 'unhealthy',
    region: info.region,
    role: info.role,
    db: state.db,
    mode: state.db === 'writer' ? 'read-write' : 'read-only',
    version: info.version,
  };
  if (state.fenced) body.fenced = state.fenced;
  if (healthy) body.marker = HEALTH_MARKER;
  return { code: healthy ? 200 : 503, body };
}
