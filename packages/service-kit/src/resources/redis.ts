import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

/**
 * An ioredis client as `app.redis`. Commands fail at once while Redis is away (no offline queue),
 * so callers can fall back instead of hanging; the client keeps reconnecting in the background.
 */
export const redisPlugin = fp(
  async (app: FastifyInstance, opts: { url: string }) => {
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    let down = false;
    redis.on('error', (err) => {
      if (!down) app.log.warn({ err }, 'Redis connection lost; reconnecting');
      down = true;
    });
    redis.on('ready', () => {
      if (down) app.log.info('Redis connection back');
      down = false;
    });
    await redis.connect().catch((err: unknown) => app.log.warn({ err }, 'Redis not reachable at start; will retry'));
    app.decorate('redis', redis);
    app.addReadinessCheck('redis', async () => {
      if (redis.status !== 'ready') return { ok: false, reason: `Redis at ${redisAddress(opts.url)} is ${redis.status}` };
      await redis.ping();
      return { ok: true };
    });
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'strata-redis', dependencies: ['strata-health'] },
);

function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
}
