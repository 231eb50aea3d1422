/**
 * The servers a chaos scenario may stop, pause or cut off: a Postgres cluster of its own (initdb
 * with the machine's Postgres 15 binaries, in a temporary folder, on a port of its own), a
 * redis-server of its own, and Toxiproxy in front of either. The machine's own Postgres (5432) and
 * Redis (6379) are never touched: the scenarios that do not stop a server use them, each with
 * their own database and Redis DB.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, proc?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: the process exited (${proc.exitCode})`);
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** A server process the scenario owns: started, killed, paused and resumed by its pid, never by name. */
export abstract class OwnServer {
  protected child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly port: number,
    protected readonly logFile: string,
  ) {}

  protected abstract spawnArgs(): { command: string; args: string[]; uid?: number; gid?: number };

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.pid !== undefined) return;
    const { command, args, uid, gid } = this.spawnArgs();
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(uid !== undefined ? { uid, gid } : {}) });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.on('close', () => log.end());
    this.child = child;
    await until(`${this.name} on port ${this.port}`, () => this.ready(), timeoutMs, child);
  }

  protected ready(): Promise<boolean> {
    return listening(this.port);
  }

  /** SIGKILL (a crash), and waits for the exit. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  /** The signal of a clean stop (Postgres: SIGINT, its fast shutdown; SIGTERM would wait for every client). */
  protected stopSignal: NodeJS.Signals = 'SIGTERM';

  /** A clean stop, SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(this.stopSignal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }
}

/** initdb refuses to run as root: the cluster belongs to the machine's postgres user then. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export function postgresBinDir(): string {
  const fromEnv = process.env.STRATA_PG_BINDIR;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/lib/postgresql/15/bin';
  }
}

/**
 * A Postgres cluster of the scenario's own: initdb (trust, user postgres) in `dir`, then the
 * postmaster itself as the process (so kill -9 and SIGSTOP reach the server, not a wrapper).
 */
export class OwnPostgres extends OwnServer {
  private readonly user = postgresUser();
  private readonly bin = postgresBinDir();
  constructor(
    port: number,
    private readonly dir: string,
  ) {
    super('postgres', port, join(dir, 'postgres.log'));
    this.stopSignal = 'SIGINT';
  }

  /** The server's folder (a temporary one): removed by the scenario at the end. */
  get folder(): string {
    return this.dir;
  }

  init(): void {
    mkdirSync(this.dir, { recursive: true });
    const data = join(this.dir, 'data');
    if (this.user) chownSync(this.dir, this.user.uid, this.user.gid);
    if (!existsSync(join(data, 'PG_VERSION'))) {
      execFileSync(join(this.bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(this.user ?? {}),
      });
    }
    // a small server: the stacks' pools fit (each app keeps a few connections), fsync off (test data)
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      ["listen_addresses = '127.0.0.1'", `port = ${this.port}`, "unix_socket_directories = ''", 'max_connections = 200', 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', "shared_buffers = '64MB'"].join('\n') + '\n',
    );
    if (this.user) chownSync(join(data, 'postgresql.auto.conf'), this.user.uid, this.user.gid);
  }

  protected spawnArgs() {
    return { command: join(this.bin, 'postgres'), args: ['-D', join(this.dir, 'data')], ...(this.user ?? {}) };
  }

  protected override async ready(): Promise<boolean> {
    if (!(await listening(this.port))) return false;
    try {
      execFileSync(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-q'], { stdio: 'ignore', timeout: 3_000 });
      return true;
    } catch {
      return false;
    }
  }
}

/** A redis-server of the scenario's own: nothing on disk, as the machine's. */
export class OwnRedis extends OwnServer {
  constructor(
    port: number,
    private readonly dir: string,
  ) {
    super('redis', port, join(dir, 'redis.log'));
    mkdirSync(dir, { recursive: true });
  }

  protected spawnArgs() {
    return { command: process.env.STRATA_REDIS_SERVER_PATH ?? 'redis-server', args: ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir] };
  }
}
