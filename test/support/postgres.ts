/**
 * A real, throwaway PostgreSQL server for tests and benchmarks: `initdb` in a temporary directory,
 * trust authentication on 127.0.0.1, a free port, and helpers to stop, restart and "blackhole" it
 * (SIGSTOP every server process, so connections hang instead of failing) to simulate outages.
 *
 * Needs the PostgreSQL server binaries (Debian: `apt-get install postgresql`). When they are
 * missing, `startPostgres()` throws with that instruction instead of letting tests skip silently.
 * When running as root, the server runs as the `postgres` user (or `nobody`) through `runuser`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface PostgresServer {
  host: string;
  port: number;
  /** Superuser (trust auth). */
  user: string;
  dataDir: string;
  /** Connection settings for a database as the superuser. */
  connection(database?: string): { host: string; port: number; user: string; database: string };
  /** Runs SQL as the superuser in `database` (default "postgres"); returns rows. */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[], database?: string): Promise<T[]>;
  /** Creates a fresh database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /**
   * Shutdown: `fast` (default; sessions are terminated, WAL is sent to standbys) or `immediate`
   * (every server process quits at once, like a crash; recovery runs at the next start).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  start(): Promise<void>;
  /** Freezes every server process (SIGSTOP): TCP connects are accepted but nothing answers. */
  pause(): void;
  /** Undoes `pause()`. */
  resume(): void;
  /** Stops the server and deletes the data directory. */
  destroy(): Promise<void>;
  /**
   * A streaming standby of this server (`pg_basebackup -R`) on its own port and directory,
   * started and replicating. Promote it with `SELECT pg_promote()`.
   */
  createStandby(): Promise<PostgresServer>;
}

export interface StartOptions {
  /** Extra pg_hba.conf lines placed before the default trust rules (e.g. scram for one role). */
  hbaLines?: string[];
}

const MISSING =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with `apt-get install postgresql` ' +
  '(Debian/Ubuntu) or set PG_BIN to the directory that holds initdb and pg_ctl.';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Finds the directory holding initdb, pg_ctl and postgres. */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0 && pgConfig.stdout.trim()) candidates.push(pgConfig.stdout.trim());
  for (const base of ['/usr/lib/postgresql', '/usr/pgsql']) {
    try {
      const versions = fs
        .readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a));
      for (const v of versions) candidates.push(path.join(base, v, 'bin'));
    } catch {
      // not present
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  candidates.push('/usr/local/pgsql/bin', '/usr/local/bin', '/usr/bin');
  for (const dir of candidates) {
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutable(path.join(dir, b)))) {
      // Resolve symlinks so that `postgres` is found next to pg_ctl.
      return path.dirname(fs.realpathSync(path.join(dir, 'pg_ctl')));
    }
  }
  throw new Error(MISSING);
}

/** A free TCP port on 127.0.0.1 (also used by the local drill). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** RAM-backed directory for the clusters, when the machine has one with room to spare. */
const RAM_DIR = '/dev/shm';
/** Free space {@link RAM_DIR} must have: a cluster is about 40 MB, and a container's /dev/shm is often 64 MB. */
const RAM_DIR_MIN_FREE_BYTES = 1024 ** 3;

/**
 * Where the clusters (and the initdb template they are copied from) live: `SHOP_TEST_PG_DIR` when
 * set; in Jest, /dev/shm (tmpfs) when it has at least 1 GiB free; else the temporary directory (the
 * benchmarks, whose figures were measured there). Each server is a copy of about 970 files; on this
 * project's 2-core machine `cp -a` of the template took 0.35-0.65 s of system CPU into /tmp (ext4)
 * and 0.06 s into /dev/shm, and some 30 suites each start a server. Nothing in a test needs the
 * disk: fsync is off, and a test never outlives the machine.
 */
export function clusterParentDir(): string {
  if (process.env.SHOP_TEST_PG_DIR) return process.env.SHOP_TEST_PG_DIR;
  // Jest sets JEST_WORKER_ID in every process that runs a suite, in-band too.
  if (process.env.JEST_WORKER_ID === undefined) return os.tmpdir();
  try {
    fs.accessSync(RAM_DIR, fs.constants.W_OK);
    const { bavail, bsize } = fs.statfsSync(RAM_DIR);
    if (bavail * bsize >= RAM_DIR_MIN_FREE_BYTES) return RAM_DIR;
  } catch {
    // no /dev/shm (macOS) or not writable
  }
  return os.tmpdir();
}

/** Unix user the server runs as when we are root (postgres refuses to run as root). */
export function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) return { name, uid: Number(r.stdout), gid: Number(g.stdout) };
  }
  throw new Error('Running as root but neither a "postgres" nor a "nobody" user exists to run PostgreSQL.');
}

function run(user: string | undefined, file: string, args: string[]): void {
  const [cmd, argv] = user ? ['runuser', ['-u', user, '--', file, ...args]] : [file, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: os.tmpdir() });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/**
 * {@link run} without blocking the event loop: for commands that run while servers in this process
 * (an in-process shop, a proxy) must keep answering, such as pg_basebackup.
 */
function runAsync(user: string | undefined, file: string, args: string[]): Promise<void> {
  const [cmd, argv] = user ? ['runuser', ['-u', user, '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} failed (${code}): ${output}`)),
    );
  });
}

/**
 * Sends `signal` to each process; one that exited since it was listed (a backend whose client
 * disconnected between the /proc scan and the kill) is skipped: it has nothing left to pause.
 */
function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

function allServerPids(dataDir: string): number[] {
  let pidFile: string;
  try {
    pidFile = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return [];
  }
  const master = Number(pidFile.split('\n')[0]);
  const pids = [master];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) pids.push(Number(entry));
    } catch {
      // process exited meanwhile
    }
  }
  return pids;
}

/**
 * A pristine `initdb` cluster, made once per machine (per server binaries, user and version) and
 * copied for each server: initdb costs ~0.6 s and 15 test files start servers; a copy costs ~0.15 s.
 * The copy is the cluster initdb writes; each server still gets its own directory, port and config.
 * Made in a temporary directory and renamed into place, so parallel jest workers never see half.
 */
function initdbTemplate(bin: string, owner: ReturnType<typeof serverUser>, user: string): string {
  const version = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  const key = `${version} ${bin} ${owner?.uid ?? process.getuid?.() ?? ''} ${user}`.replace(/[^\w.-]+/g, '_');
  const dir = path.join(clusterParentDir(), `shop-pg-template-${key}`);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
  const tmpRoot = fs.mkdtempSync(path.join(clusterParentDir(), 'shop-pg-template-tmp-'));
  if (owner) fs.chownSync(tmpRoot, owner.uid, owner.gid);
  const tmpData = path.join(tmpRoot, 'data');
  run(owner?.name, path.join(bin, 'initdb'), [
    '-D',
    tmpData,
    '-U',
    user,
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  try {
    fs.renameSync(tmpData, dir);
  } catch (e) {
    // Another worker made it first: use theirs.
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) throw e;
  } finally {
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  }
  return dir;
}

/** Copies a cluster directory, keeping owner and modes (PostgreSQL refuses a group-readable one). */
function copyCluster(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to} failed (${r.status}): ${r.stderr}`);
}

/** Starts a fresh PostgreSQL server. Call `destroy()` when done. */
export function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  return startServer(options, false);
}

async function startServer(options: StartOptions, keepOnExit: boolean): Promise<PostgresServer> {
  const bin = findPostgresBinDir();
  const owner = serverUser();
  const root = fs.mkdtempSync(path.join(clusterParentDir(), 'shop-pg-'));
  const dataDir = path.join(root, 'data');
  if (owner) fs.chownSync(root, owner.uid, owner.gid);
  const port = await freePort();
  const host = '127.0.0.1';
  const user = 'postgres';

  copyCluster(initdbTemplate(bin, owner, user), dataDir);
  const hba = [
    ...(options.hbaLines ?? []),
    'local all all trust',
    'host all all 127.0.0.1/32 trust',
    'host all all ::1/128 trust',
    'host replication all 127.0.0.1/32 trust',
  ].join('\n');
  fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), hba + '\n');
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '${host}'`,
      `unix_socket_directories = '${root}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 200',
      'shared_buffers = 32MB',
      "password_encryption = 'scram-sha-256'",
      '',
    ].join('\n'),
  );
  return serve({ bin, owner, root, dataDir, port, host, user }, keepOnExit);
}

interface Layout {
  bin: string;
  owner: { name: string; uid: number; gid: number } | undefined;
  root: string;
  dataDir: string;
  port: number;
  host: string;
  user: string;
}

/** Starts the server in `dataDir` and returns its handle. */
async function serve(
  { bin, owner, root, dataDir, port, host, user }: Layout,
  keepOnExit = false,
): Promise<PostgresServer> {
  const logFile = path.join(root, 'server.log');

  const pgCtl = path.join(bin, 'pg_ctl');
  const start = async () => {
    run(owner?.name, pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '30', 'start']);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (paused) server.resume();
    run(owner?.name, pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  };
  let paused = false;
  await start();
  // If the process dies without destroy() (a crashed test or bench), don't leave the server running.
  const onExit = () => {
    try {
      if (paused) for (const pid of allServerPids(dataDir)) process.kill(pid, 'SIGCONT');
      run(owner?.name, pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  if (!keepOnExit) process.once('exit', onExit);

  const server: PostgresServer = {
    ...access({ host, port, user, dataDir }),
    stop,
    start,
    pause() {
      signalAll(allServerPids(dataDir), 'SIGSTOP');
      paused = true;
    },
    resume() {
      signalAll(allServerPids(dataDir), 'SIGCONT');
      paused = false;
    },
    async createStandby() {
      const standbyRoot = fs.mkdtempSync(path.join(clusterParentDir(), 'shop-pg-standby-'));
      if (owner) fs.chownSync(standbyRoot, owner.uid, owner.gid);
      const standbyDir = path.join(standbyRoot, 'data');
      // Asynchronous: a synchronous pg_basebackup froze this process, so an in-process shop missed its
      // health checks and answered read-only for a while after the standby was made.
      await runAsync(owner?.name, path.join(bin, 'pg_basebackup'), [
        '-D',
        standbyDir,
        '-h',
        host,
        '-p',
        String(port),
        '-U',
        user,
        '-R',
        '-X',
        'stream',
        '--checkpoint=fast',
        '--no-sync',
      ]);
      const standbyPort = await freePort();
      fs.appendFileSync(
        path.join(standbyDir, 'postgresql.conf'),
        `\nport = ${standbyPort}\nunix_socket_directories = '${standbyRoot}'\n`,
      );
      return serve({ bin, owner, root: standbyRoot, dataDir: standbyDir, port: standbyPort, host, user });
    },
    async destroy() {
      process.off('exit', onExit);
      if (paused) server.resume();
      try {
        if (fs.existsSync(path.join(dataDir, 'postmaster.pid'))) await stop();
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  };
  return server;
}

/** Set by test/support/global-setup.js: a directory of this Jest run only, deleted at its end. */
const RUN_DIR_ENV = 'SHOP_TEST_SYNTH_DIR';
/** In the run directory: how to reach and stop the shared server (global-teardown.js stops it). */
export const SHARED_POSTGRES_FILE = 'postgres.json';

/** What global-teardown.js reads to stop the shared server and delete its directory. */
interface SharedPostgresInfo {
  host: string;
  port: number;
  user: string;
  dataDir: string;
  /** Directory to delete once stopped. */
  root: string;
  /** Command and arguments that stop the server. */
  stop: string[];
}

/**
 * One PostgreSQL server for every suite of a Jest run that only needs databases of its own (each
 * suite calls `createDatabase()`): the first suite to ask starts it, the others wait for it, and
 * global-teardown.js stops it. Saves a server start, copy and stop per suite. The handle refuses
 * stop, start, pause, resume and createStandby (other suites use the server): a suite that injects
 * faults into its server uses `startPostgres()`. `destroy()` leaves the server running. Outside Jest
 * (a benchmark, a lone script) it is `startPostgres()`.
 */
export async function sharedPostgres(): Promise<PostgresServer> {
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir || !fs.existsSync(runDir)) return startPostgres();
  const file = path.join(runDir, SHARED_POSTGRES_FILE);
  let starter = false;
  try {
    fs.mkdirSync(path.join(runDir, 'postgres.lock'));
    starter = true;
  } catch {
    // another suite is starting it, or has
  }
  if (starter) {
    const server = await startServer({}, true);
    const owner = serverUser();
    const pgCtl = path.join(findPostgresBinDir(), 'pg_ctl');
    const stopArgs = [pgCtl, '-D', server.dataDir, '-m', 'immediate', '-w', 'stop'];
    const info: SharedPostgresInfo = {
      host: server.host,
      port: server.port,
      user: server.user,
      dataDir: server.dataDir,
      root: path.dirname(server.dataDir),
      stop: owner ? ['runuser', '-u', owner.name, '--', ...stopArgs] : stopArgs,
    };
    // Written whole, then renamed: a waiting suite reads all or nothing.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(info));
    fs.renameSync(`${file}.tmp`, file);
    return sharedHandle(server);
  }
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline)
      throw new Error(`the shared PostgreSQL server did not start within 60 s (${file})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as SharedPostgresInfo;
  // A handle on a running server that this process did not start.
  return sharedHandle(access(info));
}

/** What a suite may use of the shared server. */
type ServerAccess = Pick<
  PostgresServer,
  'host' | 'port' | 'user' | 'dataDir' | 'connection' | 'sql' | 'createDatabase'
>;

/**
 * Connection settings, one-off SQL and databases of their own, on a server at `host:port`: what
 * every handle offers, whether this process started the server or attached to it.
 */
function access(at: Pick<PostgresServer, 'host' | 'port' | 'user' | 'dataDir'>): ServerAccess {
  const { host, port, user, dataDir } = at;
  const connection = (database = 'postgres') => ({ host, port, user, database });
  const sql = async <T>(text: string, values: unknown[] = [], database = 'postgres'): Promise<T[]> => {
    const client = new Client(connection(database));
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  };
  let dbCounter = 0;
  return {
    host,
    port,
    user,
    dataDir,
    connection,
    sql,
    async createDatabase(prefix = 'shop') {
      // Unique across suites too: several suites of one worker (same pid) share sharedPostgres().
      const name = `${prefix}_${process.pid}_${++dbCounter}_${randomBytes(4).toString('hex')}`.replace(
        /[^a-z0-9_]/g,
        '_',
      );
      await sql(`CREATE DATABASE ${name}`);
      return name;
    },
  };
}

/** `server` with the calls that would disturb other suites refused, and `destroy()` a no-op. */
function sharedHandle(server: ServerAccess): PostgresServer {
  const refuse = (what: string) => (): never => {
    throw new Error(
      `${what}() on the shared PostgreSQL server would disturb other suites: use startPostgres() for a server of your own`,
    );
  };
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    dataDir: server.dataDir,
    connection: server.connection,
    sql: server.sql,
    createDatabase: server.createDatabase,
    stop: async () => refuse('stop')(),
    start: async () => refuse('start')(),
    pause: refuse('pause'),
    resume: refuse('resume'),
    createStandby: async () => refuse('createStandby')(),
    destroy: async () => undefined,
  };
}
