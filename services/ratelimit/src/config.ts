import { Type } from '@sinclair/typebox';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  Type.Object({
    /** Redis that holds the limit counters; from the secret store when unset. */
    REDIS_URL: Type.Optional(Type.String()),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}
