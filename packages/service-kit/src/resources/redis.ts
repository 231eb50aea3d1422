import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A standalone server, or a Redis Cluster (Azure Cache for Redis with clustering on, as deploy/ runs it). */
export const REDIS_MODES = ['standalone', 'cluster'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

/**
 * What every app holds as `app.redis`: either client, through the commands both share. Code that
 * runs a script, a MULTI or a multi-key command keeps its keys in one hash slot (a hash tag), so
 * it works on both.
 */
export type RedisClient = Redis | Cluster;

/**
 * How the apps' clients behave: commands fail at once while Redis is away, so callers can fall
 * back; and a command Redis does not answer within 2 s fails too (a server paused or cut off keeps
 * the connection open: without this a request waited for as long as it lasted, 30 s under
 * `npm run chaos -- redis`'s SIGSTOP).
 */
const FAIL_FAST = { enableOfflineQueue: false, lazyConnect: true } as const;
const COMMAND_TIMEOUT_MS = 2_000;
const retry = (times: number) => Math.min(times * 200, 2_000);

/** The address a client was made for, without its password. */
export function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
}

/**
 * The one way the apps make a Redis client: from the `redis-url` secret (redis:// or rediss://
 * with TLS, the password in the URL) and the mode (REDIS_MODE). In cluster mode the URL names one
 * node (Azure gives one host name); the client learns the other masters from it, follows MOVED
 * and ASK, and speaks TLS with the same password to each. `overrides` are for connections of
 * their own (a subscriber): they may queue commands until connected.
 */
export function createRedisClient(url: string, mode: RedisMode, overrides: { enableOfflineQueue?: boolean } = {}): RedisClient {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`a Redis URL starts with redis:// or rediss://, not ${u.protocol}//`);
  if (mode === 'standalone') {
    return new Redis(url, { ...FAIL_FAST, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: COMMAND_TIMEOUT_MS, retryStrategy: retry, ...overrides });
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') throw new Error(`a Redis Cluster has only database 0; the URL names ${db}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const node: RedisOptions = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    connectTimeout: 2_000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // the nodes are reached by the addresses the cluster announces; their certificates name the
    // host of the URL (SNI carries no IP address)
    ...(u.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  };
  const options: ClusterOptions = {
    ...FAIL_FAST,
    ...overrides,
    redisOptions: node,
    // keep the announced addresses as they are: resolving a TLS host name again would lose it
    dnsLookup: (address, callback) => callback(null, address),
    clusterRetryStrategy: retry,
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster([{ host, port: Number(u.port || 6379) }], options);
}

/** Another connection like `client` (a subscriber), which may queue commands until it is connected. */
export function duplicateRedis(client: RedisClient): RedisClient {
  return client instanceof Cluster
    ? client.duplicate(undefined, { enableOfflineQueue: true, lazyConnect: true })
    : client.duplicate({ enableOfflineQueue: true, lazyConnect: true });
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
  }
}

/**
 * A Redis client as `app.redis` (createRedisClient). Commands fail at once while Redis is away (no
 * offline queue), so callers can fall back instead of hanging; the client keeps reconnecting in
 * the background.
 */
export const redisPlugin = fp(
  async (app: FastifyInstance, opts: { url: string; mode: RedisMode }) => {
    const redis = createRedisClient(opts.url, opts.mode);
    const where = `${opts.mode === 'cluster' ? 'the Redis Cluster at ' : 'Redis at '}${redisAddress(opts.url)}`;
    let down = false;
    // connection errors as the client reports them (RedisErrors, deploy/README.md); a command that
    // fails is its caller's to handle, and its caller's metric to count (the limiter's fallbacks)
    const errors = new Counter({
      name: 'redis_errors_total',
      help: 'Errors of the Redis connection (lost, refused, timed out), as the client reports them.',
      registers: app.hasDecorator('metrics') ? [app.metrics] : [],
    });
    redis.on('error', (err) => {
      errors.inc();
      if (!down) app.log.warn({ err }, `${where}: connection lost; reconnecting`);
      down = true;
    });
    redis.on('ready', () => {
      if (down) app.log.info(`${where}: connection back`);
      down = false;
    });
    await redis.connect().catch((err: unknown) => app.log.warn({ err }, `${where} is not reachable at start; will retry`));
    app.decorate<RedisClient>('redis', redis);
    app.addReadinessCheck('redis', async () => {
      if (redis.status !== 'ready') return { ok: false, reason: `${where} is ${redis.status}` };
      await redis.ping();
      return { ok: true };
    });
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'strata-redis', dependencies: ['strata-health'] },
);
