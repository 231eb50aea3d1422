/**
 * A local stand-in for Azure Database for PostgreSQL's built-in PgBouncer: transaction pooling, TLS
 * required from clients (sslmode=require), password logins; PgBouncer talks to the machine's
 * Postgres on 127.0.0.1:5432 in plain text, as Azure's runs beside its server.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PGBOUNCER } from '../debian.js';
import { type Part, type PartContext, partOf, spawnTracked, waitUntil } from './part.js';
import type { KeyPair } from './tls.js';

/**
 * Pool sizes. Azure's defaults are 50 server connections per database and user and 5,000 clients;
 * here one machine's Postgres (max_connections 100) is shared by every stack and test run, so the
 * local defaults are smaller. Each can be set by its environment variable.
 */
export interface PoolSettings {
  defaultPoolSize: number;
  maxDbConnections: number;
  maxClientConn: number;
}

export const POOL_DEFAULTS: PoolSettings = { defaultPoolSize: 20, maxDbConnections: 30, maxClientConn: 1000 };
const POOL_ENV: Record<keyof PoolSettings, string> = {
  defaultPoolSize: 'STRATA_PGBOUNCER_DEFAULT_POOL_SIZE',
  maxDbConnections: 'STRATA_PGBOUNCER_MAX_DB_CONNECTIONS',
  maxClientConn: 'STRATA_PGBOUNCER_MAX_CLIENT_CONN',
};

/** The pool settings, each from its environment variable when set (a positive integer). */
export function poolSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PoolSettings {
  const settings = { ...POOL_DEFAULTS };
  for (const key of Object.keys(POOL_ENV) as (keyof PoolSettings)[]) {
    const raw = env[POOL_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${POOL_ENV[key]} must be a positive integer, got "${raw}"`);
    settings[key] = value;
  }
  return settings;
}

export interface PgBouncerOptions {
  port: number;
  /** The databases clients may name; each goes to the same database on the backend. */
  databases: string[];
  backend: { host: string; port: number; user: string };
  /** The login clients present (Azure: the server's admin login), checked by PgBouncer with SCRAM. */
  user: string;
  password: string;
  tls: KeyPair & { ca: string };
  pool: PoolSettings;
  dir: string;
  startTimeoutMs?: number;
}

export interface PgBouncer extends Part {
  /** A connection string to `database` through PgBouncer, as Azure's with sslmode=require. */
  urlOf(database: string): string;
}

export function pgbouncerIni(options: PgBouncerOptions, authFile: string): string {
  const { backend, pool } = options;
  return [
    '[databases]',
    ...options.databases.map((db) => `${db} = host=${backend.host} port=${backend.port} dbname=${db} user=${backend.user}`),
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${options.port}`,
    // no Unix socket: every client comes over TCP with TLS, as to Azure
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${authFile}`,
    'pool_mode = transaction',
    `default_pool_size = ${pool.defaultPoolSize}`,
    `max_db_connections = ${pool.maxDbConnections}`,
    `max_client_conn = ${pool.maxClientConn}`,
    // Azure's built-in PgBouncer ignores this one startup parameter too (JDBC and others send it)
    'ignore_startup_parameters = extra_float_digits',
    // the admin console (database "pgbouncer": SHOW POOLS, SHOW SERVERS), which Azure opens to the admin login too
    `admin_users = ${options.user}`,
    'client_tls_sslmode = require',
    `client_tls_cert_file = ${options.tls.cert}`,
    `client_tls_key_file = ${options.tls.key}`,
    `client_tls_ca_file = ${options.tls.ca}`,
    'server_tls_sslmode = disable',
    // logs go to stderr, which the launcher labels; no pid file, the launcher tracks the process
    'logfile =',
    'pidfile =',
    '',
  ].join('\n');
}

/**
 * PgBouncer refuses to run as root. As root it is started with `-u`: it reads its configuration,
 * password file and TLS key first, then switches to that user (Debian's `postgres`, else `nobody`),
 * so none of its files needs to be readable by that user.
 */
function runAs(): string[] {
  if (process.getuid?.() !== 0) return [];
  for (const user of ['postgres', 'nobody']) {
    if (spawnSync('id', ['-u', user]).status === 0) return ['-u', user];
  }
  throw new Error('PgBouncer cannot run as root, and neither the postgres nor the nobody user exists');
}

/** Starts PgBouncer and waits until a TLS login through it runs a query. */
export async function startPgBouncer(ctx: PartContext, options: PgBouncerOptions): Promise<PgBouncer> {
  mkdirSync(options.dir, { recursive: true });
  const authFile = join(options.dir, 'userlist.txt');
  // SCRAM accepts a plain password in the auth file; PgBouncer derives the verifier itself
  writeFileSync(authFile, `"${options.user}" "${options.password}"\n`, { mode: 0o600 });
  const ini = join(options.dir, 'pgbouncer.ini');
  writeFileSync(ini, pgbouncerIni(options, authFile), { mode: 0o600 });
  const proc = spawnTracked(ctx, { name: 'pgbouncer', command: PGBOUNCER.binary, args: [...runAs(), ini], cwd: options.dir });
  const part = partOf('PgBouncer', [proc]);
  const urlOf = (database: string) =>
    `postgres://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${database}?sslmode=require`;
  const first = options.databases[0];
  try {
    if (!first) throw new Error('PgBouncer needs at least one database');
    const ca = readFileSync(options.tls.ca);
    await waitUntil(
      `PgBouncer on ${options.port}`,
      async () => {
        const client = new pg.Client({ connectionString: urlOf(first).replace('?sslmode=require', ''), ssl: { ca }, connectionTimeoutMillis: 2_000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.query('select 1 as ok')).rows[0]?.ok === 1;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: options.startTimeoutMs ?? 20_000, watch: [proc] },
    );
  } catch (error) {
    await part.stop();
    throw error;
  }
  return { ...part, urlOf };
}
