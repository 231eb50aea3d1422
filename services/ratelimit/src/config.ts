import { Type } from '@sinclair/typebox';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  Type.Object({
    /** Redis that holds the limit counters; from the secret store when unset. */
    REDIS_URL: Type.Optional(Type.String()),
    /**
     * Dapr app-ids allowed to ask for decisions, comma-separated. The sidecar sets
     * `dapr-caller-app-id` on every invocation; anything else is refused with 403.
     */
    RATELIMIT_ALLOWED_CALLERS: Type.String({ pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$', default: 'gateway' }),
    /** A JSON policy set that replaces the built-in one (defaultPolicySet in @strata/service-kit/rate-policy); checked at boot. */
    RATELIMIT_POLICIES_FILE: Type.Optional(Type.String({ minLength: 1 })),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}

export function allowedCallers(config: Config): string[] {
  return config.RATELIMIT_ALLOWED_CALLERS.split(',');
}
