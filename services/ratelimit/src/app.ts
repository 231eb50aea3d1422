import { Secrets } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import { platformPlugin, redisPlugin } from '@strata/service-kit';
import { type Config, allowedCallers } from './config.js';
import { limiterPlugin } from './plugins/limiter.js';
import { v1Routes } from './routes/v1.js';

export interface RateLimitAppOptions {
  config: Config;
  /** Milliseconds since the epoch, for tests; unset, decisions use the Redis server's clock. */
  clock?: () => number;
}

/** The ratelimit service as a plugin: platform first, then its resources, then its routes. */
export default async function ratelimit(app: FastifyInstance, opts: RateLimitAppOptions) {
  const { config } = opts;
  await app.register(platformPlugin, { config });
  const redisUrl = await app.secrets.read(Secrets.redisUrl, config.REDIS_URL);
  await app.register(redisPlugin, { url: redisUrl, mode: config.REDIS_MODE });
  await app.register(limiterPlugin, { policiesFile: config.RATELIMIT_POLICIES_FILE, clock: opts.clock });
  await app.register(v1Routes, { allowedCallers: allowedCallers(config) });
}
