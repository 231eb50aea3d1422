import { Redis } from 'ioredis';
import pg from 'pg';

export interface Infra {
  pgHost: string;
  pgPort: number;
  pgUser: string;
  redisHost: string;
  redisPort: number;
}

/**
 * The servers the stack uses, from the launcher's settings. STRATA_REDIS_HOST may carry the port
 * too (`127.0.0.1:6390`, the form the Dapr components' envRef takes, .env.example): then a
 * STRATA_REDIS_PORT that names another port is refused rather than one of them silently winning.
 */
export function infraFromEnv(env: NodeJS.ProcessEnv = process.env): Infra {
  const port = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name}=${raw} is not a port (1-65535)`);
    return value;
  };
  let redisHost = env.STRATA_REDIS_HOST || '127.0.0.1';
  let redisPort = port('STRATA_REDIS_PORT', 6379);
  const withPort = /^([^:]+):(\d+)$/.exec(redisHost);
  if (withPort) {
    const named = Number(withPort[2]);
    if (named < 1 || named > 65535) throw new Error(`STRATA_REDIS_HOST=${redisHost} names no port (1-65535)`);
    if (env.STRATA_REDIS_PORT && Number(env.STRATA_REDIS_PORT) !== named) {
      throw new Error(
        `STRATA_REDIS_HOST=${redisHost} names Redis port ${named} and STRATA_REDIS_PORT=${env.STRATA_REDIS_PORT} another: ` +
          'the sidecars and the apps would reach different servers. Set the port once.',
      );
    }
    redisHost = withPort[1]!;
    redisPort = named;
  }
  return {
    pgHost: env.STRATA_PGHOST || '127.0.0.1',
    pgPort: port('STRATA_PGPORT', 5432),
    pgUser: env.STRATA_PGUSER || 'postgres',
    redisHost,
    redisPort,
  };
}

const START_POSTGRES =
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const START_REDIS =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';

/**
 * Extensions the services' migrations create (insights: pg_trgm, for fuzzy name matching, and
 * btree_gin, for search's indexes that lead with the owner). They
 * ship with the server's contrib modules; on Azure the server's azure.extensions parameter must
 * allow them (deploy/infra/main.bicep). A unit test keeps this list equal to the migrations'.
 */
export const REQUIRED_EXTENSIONS = ['btree_gin', 'pg_trgm'] as const;

/** What the migrations need that the server cannot create, as one problem, or undefined. */
export function missingExtensions(available: readonly string[]): string | undefined {
  const missing = REQUIRED_EXTENSIONS.filter((name) => !available.includes(name));
  if (missing.length === 0) return undefined;
  return (
    `Postgres cannot create the extension${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which insights' migrations need.\n` +
    `    Install the server's contrib modules (Debian ships them with postgresql-<version>; elsewhere postgresql-contrib), then start again.`
  );
}

export function postgresUrl(infra: Infra, database: string): string {
  return `postgres://${encodeURIComponent(infra.pgUser)}@${infra.pgHost}:${infra.pgPort}/${database}`;
}

export function redisUrl(infra: Infra, db: number): string {
  return `redis://${infra.redisHost}:${infra.redisPort}/${db}`;
}

/**
 * Checks that Postgres and Redis (unless `redis: false`) answer and that Postgres can create the
 * extensions the migrations need, and creates the stack's database if it is missing.
 * Each failure names what is missing and the command that starts it.
 */
export async function preflight(infra: Infra, database: string, options: { recreate?: boolean; redis?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: postgresUrl(infra, 'postgres'), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    if (options.recreate) await client.query(`drop database if exists "${database}" with (force)`);
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
    const available = await client.query<{ name: string }>('select name from pg_available_extensions where name = any($1)', [[...REQUIRED_EXTENSIONS]]);
    const missing = missingExtensions(available.rows.map((r) => r.name));
    if (missing) problems.push(missing);
  } catch (error) {
    problems.push(
      `Postgres is not answering at ${infra.pgHost}:${infra.pgPort} as "${infra.pgUser}" ` +
        `(${error instanceof Error ? error.message : String(error)}).\n    Start it with: ${START_POSTGRES}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }

  if (options.redis === false) return problems;
  const redis = new Redis({
    host: infra.redisHost,
    port: infra.redisPort,
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(
      `Redis is not answering at ${infra.redisHost}:${infra.redisPort} ` +
        `(${error instanceof Error ? error.message : String(error)}).\n    Start it with: ${START_REDIS}`,
    );
  } finally {
    redis.disconnect();
  }
  return problems;
}

/** Empties one Redis database (the test stack's own), never the others. */
export async function flushRedisDb(infra: Infra, db: number): Promise<void> {
  const redis = new Redis({ host: infra.redisHost, port: infra.redisPort, db, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
