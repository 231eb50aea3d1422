import { Secrets } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import { platformPlugin, postgresPlugin, resolveSecret } from '@strata/service-kit';
import type { Config } from './config.js';

/** The files service as a plugin: platform first, then its resources, then its routes. */
export default async function files(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  await app.register(platformPlugin, { config });
  const databaseUrl = await resolveSecret(app.dapr, app.log, Secrets.postgresConnectionString, config.DATABASE_URL);
  await app.register(postgresPlugin, {
    connectionString: databaseUrl,
    applicationName: config.APP_ID,
    max: config.DATABASE_POOL_SIZE,
  });
}
