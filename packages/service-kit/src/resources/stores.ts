import type { Static } from '@sinclair/typebox';
import { Secrets } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import type { BaseConfig, StoresConfigSchema } from '../config.js';
import { postgresPlugin } from './postgres.js';
import { redisPlugin } from './redis.js';

/** What an app that keeps state sets for its stores (StoresConfigSchema beside the base config). */
export type StoresConfig = BaseConfig & Static<typeof StoresConfigSchema>;

/**
 * The Postgres pools (`app.pg` through the pooler, `app.pgDirect` past it) and the Redis client
 * (`app.redis`) of an app that keeps state, their URLs from its config or else from the secret
 * store (`postgres-connection-string`, `postgres-direct-connection-string`, `redis-url`).
 * Returns the direct URL: the event relay opens a connection of its own with it.
 */
export async function registerStores(app: FastifyInstance, config: StoresConfig): Promise<{ directDatabaseUrl: string }> {
  // a DATABASE_URL given without a direct one means no pooler in between (tests, a local run):
  // the secret store is not asked for a second address of the same server
  const direct = config.DATABASE_DIRECT_URL ?? config.DATABASE_URL;
  const [databaseUrl, directDatabaseUrl, redisUrl] = await Promise.all([
    app.secrets.read(Secrets.postgresConnectionString, config.DATABASE_URL),
    app.secrets.read(Secrets.postgresDirectConnectionString, direct),
    app.secrets.read(Secrets.redisUrl, config.REDIS_URL),
  ]);
  await app.register(postgresPlugin, {
    connectionString: databaseUrl,
    applicationName: config.APP_ID,
    max: config.DATABASE_POOL_SIZE,
    namedStatements: config.DATABASE_NAMED_STATEMENTS,
    direct: { connectionString: directDatabaseUrl, max: config.DATABASE_DIRECT_POOL_SIZE },
  });
  await app.register(redisPlugin, { url: redisUrl, mode: config.REDIS_MODE });
  return { directDatabaseUrl };
}
