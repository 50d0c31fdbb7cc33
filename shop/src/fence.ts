/**
 * Fencing: only the authoritative writer region takes orders, even when another region's database
 * claims to be writable (an old primary that comes back after a promotion elsewhere).
 *
 * Authoritative: the region of the global cluster's writer. On Aurora PostgreSQL the database says
 * it itself: `aurora_global_db_instance_status()` returns one row per instance of the global
 * database with `aws_region`, and `session_id = 'MASTER_SESSION_ID'` marks the writer
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora_global_db_instance_status.html).
 * What stands for it locally (and on plain PostgreSQL, which has no such function) is the
 * `writer_fence` row: `(epoch, writer_region)`, written by whoever promotes a writer, with a
 * higher epoch each time. The shop takes an order only when, inside the order's own transaction,
 * the row names its region and its epoch is not lower than the highest epoch this instance has
 * seen anywhere (its writer, its fencing witnesses, its state file).
 */
import type { PoolClient } from 'pg';
import type { Database, DedicatedConnection, FenceRow, ProbeResult } from './db';
import { readFence } from './db';
import type { StateStore } from './state';
import type { Logger, Role } from './types';

/** The order transaction found that this region is not (or no longer) the writer. */
export class FencedError extends Error {
  constructor(readonly reason: string) {
    super(`fenced: ${reason}`);
  }
}

export interface FenceVerdict {
  allowed: boolean;
  reason?: string;
}

const STATE_FILE = 'fence.json';

export class Fence {
  private floor: number;

  constructor(
    private readonly opts: {
      region: string;
      role: Role;
      db: Database;
      witnesses: DedicatedConnection[];
      store: StateStore;
      logger: Logger;
    },
  ) {
    this.floor = Number(opts.store.read<{ floor?: number }>(STATE_FILE)?.floor) || 0;
  }

  /** Highest epoch this instance has seen. */
  get highestEpoch(): number {
    return this.floor;
  }

  /** Raises the floor (never lowers it) and persists it. */
  observe(epoch: number | undefined): void {
    if (!epoch || epoch <= this.floor) return;
    this.opts.logger.info('writer fence epoch raised', { from: this.floor, to: epoch });
    this.floor = epoch;
    void this.opts.store.write(STATE_FILE, { floor: epoch });
  }

  verdict(row: FenceRow | undefined, globalWriterRegion?: string): FenceVerdict {
    if (globalWriterRegion && globalWriterRegion !== this.opts.region) {
      return { allowed: false, reason: `Aurora reports the global writer in ${globalWriterRegion}` };
    }
    if (!row) return { allowed: false, reason: 'no writer fence row yet' };
    if (row.epoch < this.floor) {
      return {
        allowed: false,
        reason: `stale writer: fence epoch ${row.epoch} < ${this.floor} seen elsewhere`,
      };
    }
    if (row.writerRegion !== this.opts.region) {
      return { allowed: false, reason: `the writer region is ${row.writerRegion}` };
    }
    return { allowed: true };
  }

  /**
   * Called by the health probe with a fresh view of the writer: learns epochs from the witnesses,
   * claims an empty fence (first primary-role instance on a writable database), and on Aurora moves
   * the fence to this region when Aurora reports this region's cluster as the global writer.
   */
  async refresh(writer: ProbeResult): Promise<FenceVerdict> {
    const seen = await Promise.all(
      this.opts.witnesses.map((w) => readFence(w).catch(() => undefined as FenceRow | undefined)),
    );
    for (const row of seen) this.observe(row?.epoch);
    let row = writer.fence;
    if (writer.writable && writer.fenceTable) {
      const region = this.opts.region;
      try {
        if (!row && this.opts.role === 'primary' && this.floor === 0) {
          await this.opts.db.probeQuery(
            'writer',
            'INSERT INTO writer_fence (epoch, writer_region) VALUES (1, $1) ON CONFLICT DO NOTHING',
            [region],
          );
          row = await this.opts.db.probeFence('writer');
          this.opts.logger.info('writer fence claimed', { ...row });
        } else if (row && writer.globalWriterRegion === region && row.writerRegion !== region) {
          await this.opts.db.probeQuery(
            'writer',
            'UPDATE writer_fence SET epoch = GREATEST(epoch, $2) + 1, writer_region = $1, updated_at = now() WHERE writer_region <> $1',
            [region, this.floor],
          );
          row = await this.opts.db.probeFence('writer');
          this.opts.logger.info('writer fence moved here: Aurora reports this region as the global writer', {
            ...row,
          });
        }
      } catch (err) {
        this.opts.logger.warn('could not update the writer fence', { error: (err as Error).message });
      }
    }
    this.observe(row?.epoch);
    return this.verdict(row, writer.globalWriterRegion);
  }

  /** Inside the order transaction: throws `FencedError` unless this region may take the order. */
  async check(client: PoolClient): Promise<void> {
    const { rows } = await client.query<{ epoch: string; writer_region: string }>(
      'SELECT epoch, writer_region FROM writer_fence',
    );
    const row = rows[0] ? { epoch: Number(rows[0].epoch), writerRegion: rows[0].writer_region } : undefined;
    const v = this.verdict(row);
    if (!v.allowed) throw new FencedError(v.reason ?? 'fenced');
  }
}
