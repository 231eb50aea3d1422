import { Type } from '@sinclair/typebox';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  Type.Object({
    /** Postgres for this service's event streams and read models; from the secret store when unset. */
    DATABASE_URL: Type.Optional(Type.String()),
    DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}
