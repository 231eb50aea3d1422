import { Secrets } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import type { BaseConfig } from '../config.js';
import { postgresPlugin } from './postgres.js';
import { redisPlugin } from './redis.js';

/** What an app that keeps state sets for its stores; each URL falls back to the secret store. */
export interface StoresConfig extends BaseConfig {
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_SIZE: number;
  REDIS_URL?: string | undefined;
}

/**
 * The Postgres pool (`app.pg`) and Redis client (`app.redis`) of an app that keeps state, their
 * URLs from its config or else from the secret store (`postgres-connection-string`, `redis-url`).
 * Returns the database URL: the event relay opens a connection of its own with it.
 */
export async function registerStores(app: FastifyInstance, config: StoresConfig): Promise<{ databaseUrl: string }> {
  const [databaseUrl, redisUrl] = await Promise.all([
    app.secrets.read(Secrets.postgresConnectionString, config.DATABASE_URL),
    app.secrets.read(Secrets.redisUrl, config.REDIS_URL),
  ]);
  await app.register(postgresPlugin, {
    connectionString: databaseUrl,
    applicationName: config.APP_ID,
    max: config.DATABASE_POOL_SIZE,
    namedStatements: config.DATABASE_NAMED_STATEMENTS,
  });
  await app.register(redisPlugin, { url: redisUrl, mode: config.REDIS_MODE });
  return { databaseUrl };
}
