/**
 * Two local "regions" of PostgreSQL: a primary and a streaming standby (initdb, then
 * `pg_basebackup -R`), with the moves a global database makes: crash a region, promote a standby
 * with data loss allowed (unplanned), switch over with none (planned), and rebuild a lost node as a
 * standby of the current writer.
 *
 * Promotion sits behind {@link WriterPromotion}, whose AWS implementation is shopctl's database
 * promotion (cli/drill/promotion.ts); locally it is
 * `pg_promote()`, and a planned switchover first stops the old writer cleanly (PostgreSQL's
 * walsender sends every WAL record up to the shutdown checkpoint before exiting) and checks that the
 * standby received it, as Aurora's SwitchoverGlobalCluster waits for the secondary to catch up.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { WriterPromotion } from '../../cli/drill/promotion';
import { findPostgresBinDir, freePort, serverUser } from '../../test/support/postgres';

/** One PostgreSQL server standing for a region's database cluster. */
export interface DbNode {
  readonly region: string;
  readonly port: number;
  readonly dataDir: string;
}

export const DB_HOST = '127.0.0.1';
export const DB_USER = 'postgres';

/** A primary/standby pair (more standbys possible) in one temporary directory. */
export class LocalGlobalDatabase implements WriterPromotion {
  private readonly bin = findPostgresBinDir();
  private readonly owner = serverUser();
  private readonly root: string;
  readonly nodes = new Map<string, DbNode>();

  /**
   * @param fenceDatabase the shop's database, whose `writer_fence` row each promotion moves to the
   * new writer with a higher epoch. On Aurora the shop moves it itself when
   * `aurora_global_db_instance_status()` names its region the writer; plain PostgreSQL has no such
   * function, so the promotion procedure writes it (shop/src/fence.ts), as test/shop/promotion does.
   * @param parentDir where the servers' directory is made. @default the temporary directory
   */
  constructor(
    private readonly fenceDatabase?: string,
    parentDir: string = os.tmpdir(),
  ) {
    this.root = fs.mkdtempSync(path.join(parentDir, 'drill-pg-'));
    if (this.owner) fs.chownSync(this.root, this.owner.uid, this.owner.gid);
  }

  private run(tool: string, args: string[]): string {
    const file = path.join(this.bin, tool);
    const [cmd, argv] = this.owner ? ['runuser', ['-u', this.owner.name, '--', file, ...args]] : [file, args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: os.tmpdir() });
    if (r.error) throw r.error;
    if (r.status !== 0)
      throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  private settings(node: DbNode): string {
    return [
      `port = ${node.port}`,
      `listen_addresses = '${DB_HOST}'`,
      `unix_socket_directories = '${this.root}'`,
      // Durability stays on (fsync, synchronous_commit): orders lost must be measured, not manufactured.
      'max_connections = 100',
      'shared_buffers = 32MB',
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      "recovery_target_timeline = 'latest'",
      '',
    ].join('\n');
  }

  /** Creates the primary of `region` (initdb) and starts it. */
  async createPrimary(region: string): Promise<DbNode> {
    const node = { region, port: await freePort(), dataDir: path.join(this.root, region) };
    this.run('initdb', [
      '-D',
      node.dataDir,
      '-U',
      DB_USER,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    fs.writeFileSync(
      path.join(node.dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        `host all all ${DB_HOST}/32 trust`,
        `host replication all ${DB_HOST}/32 trust`,
        '',
      ].join('\n'),
    );
    fs.appendFileSync(path.join(node.dataDir, 'postgresql.conf'), this.settings(node));
    this.nodes.set(region, node);
    this.start(region);
    return node;
  }

  /**
   * Creates (or rebuilds) `region` as a streaming standby of `source`: `pg_basebackup -R` writes
   * standby.signal and primary_conninfo. A rebuilt node starts from scratch, as Aurora recreates a
   * lost primary before it rejoins as a secondary.
   */
  async createStandby(region: string, source: string): Promise<DbNode> {
    const from = this.node(source);
    const old = this.nodes.get(region);
    if (old && this.isRunning(region))
      this.run('pg_ctl', ['-D', old.dataDir, '-m', 'immediate', '-w', 'stop']);
    const node = { region, port: old?.port ?? (await freePort()), dataDir: path.join(this.root, region) };
    fs.rmSync(node.dataDir, { recursive: true, force: true });
    this.run('pg_basebackup', [
      '-h',
      DB_HOST,
      '-p',
      String(from.port),
      '-U',
      DB_USER,
      '-D',
      node.dataDir,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      // Skips only the final fsync of the copy; the running servers keep fsync and synchronous commit.
      '--no-sync',
    ]);
    fs.appendFileSync(path.join(node.dataDir, 'postgresql.conf'), this.settings(node));
    this.nodes.set(region, node);
    this.start(region);
    return node;
  }

  node(region: string): DbNode {
    const n = this.nodes.get(region);
    if (!n) throw new Error(`no database in ${region}`);
    return n;
  }

  isRunning(region: string): boolean {
    return fs.existsSync(path.join(this.node(region).dataDir, 'postmaster.pid'));
  }

  start(region: string): void {
    const n = this.node(region);
    this.run('pg_ctl', [
      '-D',
      n.dataDir,
      '-l',
      path.join(this.root, `${region}.log`),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /** The region is lost: immediate shutdown (no checkpoint, nothing more sent to standbys). */
  crash(region: string): void {
    this.run('pg_ctl', ['-D', this.node(region).dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  async sql<T = Record<string, unknown>>(
    region: string,
    text: string,
    values: unknown[] = [],
    database = 'postgres',
  ): Promise<T[]> {
    const client = new Client({
      host: DB_HOST,
      port: this.node(region).port,
      user: DB_USER,
      database,
      connectionTimeoutMillis: 3000,
    });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** The region whose server accepts writes (null when none does). */
  async writer(): Promise<string | null> {
    for (const region of this.nodes.keys()) {
      if (!this.isRunning(region)) continue;
      try {
        const [r] = await this.sql<{ recovery: boolean }>(region, 'SELECT pg_is_in_recovery() AS recovery');
        if (!r.recovery) return region;
      } catch {
        // not answering
      }
    }
    return null;
  }

  async promote(target: string, unplanned: boolean): Promise<void> {
    if (!unplanned) {
      const old = await this.writer();
      if (!old) throw new Error('planned switchover needs a running writer; use an unplanned failover');
      if (old === target) return;
      // Fence the old writer: a clean shutdown streams every WAL record to the standby first.
      this.run('pg_ctl', ['-D', this.node(old).dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
      const control = this.run('pg_controldata', ['-D', this.node(old).dataDir]);
      const lsn = /Latest checkpoint location:\s+(\S+)/.exec(control)?.[1];
      if (!lsn) throw new Error('cannot read the old writer checkpoint location');
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [r] = await this.sql<{ caught: boolean }>(
          target,
          'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS caught',
          [lsn],
        );
        if (r.caught) break;
        if (Date.now() > deadline) {
          this.start(old); // back to the old writer: never a silent half-switched state
          throw new Error(
            `standby ${target} did not receive WAL up to ${lsn}; switchover abandoned, ${old} restarted`,
          );
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      await this.sql(target, 'SELECT pg_promote(true, 30)');
      await this.moveFence(target);
      // The old writer rejoins as a standby of the new one, following its new timeline.
      const oldNode = this.node(old);
      fs.writeFileSync(path.join(oldNode.dataDir, 'standby.signal'), '');
      if (this.owner)
        fs.chownSync(path.join(oldNode.dataDir, 'standby.signal'), this.owner.uid, this.owner.gid);
      fs.appendFileSync(
        path.join(oldNode.dataDir, 'postgresql.auto.conf'),
        `primary_conninfo = 'host=${DB_HOST} port=${this.node(target).port} user=${DB_USER}'\n`,
      );
      this.start(old);
      return;
    }
    await this.sql(target, 'SELECT pg_promote(true, 30)');
    await this.moveFence(target);
  }

  /** Moves the shop's writer fence to `target` (a new epoch), on the new writer. */
  private async moveFence(target: string): Promise<void> {
    if (!this.fenceDatabase) return;
    await this.sql(
      target,
      `INSERT INTO writer_fence (epoch, writer_region) VALUES (1, $1)
       ON CONFLICT (singleton) DO UPDATE SET epoch = writer_fence.epoch + 1, writer_region = $1, updated_at = now()`,
      [target],
      this.fenceDatabase,
    );
  }

  async waitForWriter(target: string, onUpdate: (text: string) => void): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const [r] = await this.sql<{ recovery: boolean }>(target, 'SELECT pg_is_in_recovery() AS recovery');
        if (!r.recovery) return;
        onUpdate(`${target} still in recovery`);
      } catch (e) {
        onUpdate(`${target}: ${(e as Error).message}`);
      }
      if (Date.now() > deadline) throw new Error(`${target} did not become the writer within 30 s`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Stops every server and deletes the data. */
  destroy(): void {
    for (const region of this.nodes.keys()) {
      try {
        if (this.isRunning(region))
          this.run('pg_ctl', ['-D', this.node(region).dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
