import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  Type.Object({
    /** Postgres for the event streams and read models; from the secret store when unset. */
    DATABASE_URL: Type.Optional(Type.String()),
    DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10 }),
    /** Redis for revocations and the failed-login throttle; from the secret store when unset. */
    REDIS_URL: Type.Optional(Type.String()),
    /** Signing keys as JSON ({ keys: [...] }); from the secret store (`token-signing-keys`) when unset. */
    TOKEN_SIGNING_KEYS: Type.Optional(Type.String()),
    ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 900 }),
    SESSION_IDLE_TIMEOUT_SECONDS: Type.Integer({ minimum: 60, default: 1800 }),
    SESSION_ABSOLUTE_LIFETIME_SECONDS: Type.Integer({ minimum: 300, default: 43_200 }),
    /** Failed sign-ins allowed per account, and per address, within the window before a 429. */
    LOGIN_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, default: 5 }),
    LOGIN_FAILURES_PER_ADDRESS: Type.Integer({ minimum: 1, default: 20 }),
    LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
    /** scrypt cost (log2 N); 15 = 32 MiB per hash. Lower only in tests. */
    PASSWORD_SCRYPT_LOG_N: Type.Integer({ minimum: 10, maximum: 20, default: 15 }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(ConfigSchema, env);
}
