import type { FastifyInstance } from 'fastify';
import { platformPlugin, redisPlugin, resolveSecret } from '@strata/service-kit';
import type { Config } from './config.js';

/** The ratelimit service as a plugin: platform first, then its resources, then its routes. */
export default async function ratelimit(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  await app.register(platformPlugin, { config });
  const redisUrl = await resolveSecret(app.dapr, app.log, 'redis-url', config.REDIS_URL);
  await app.register(redisPlugin, { url: redisUrl });
}
