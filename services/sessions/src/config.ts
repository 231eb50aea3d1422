import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, ConfigError, StoresConfigSchema, loadConfig } from '@strata/service-kit';

/** The gateway's address as a local browser knows it, under both loopback names. */
const LOCAL_ORIGINS = 'http://127.0.0.1:8080,http://localhost:8080';

export const ConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  StoresConfigSchema,
  Type.Object({
    /** Signing keys as JSON ({ keys: [...] }); from the secret store (`token-signing-keys`) when unset. */
    TOKEN_SIGNING_KEYS: Type.Optional(Type.String()),
    ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 900 }),
    SESSION_IDLE_TIMEOUT_SECONDS: Type.Integer({ minimum: 60, default: 1800 }),
    SESSION_ABSOLUTE_LIFETIME_SECONDS: Type.Integer({ minimum: 300, default: 43_200 }),
    /** Failed sign-ins allowed per account, and per address, within the window before a 429. */
    LOGIN_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, default: 5 }),
    LOGIN_FAILURES_PER_ADDRESS: Type.Integer({ minimum: 1, default: 20 }),
    LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
    /** Argon2id cost of new password hashes; the defaults are OWASP's. Lower only in tests. */
    PASSWORD_ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 19_456 }),
    PASSWORD_ARGON2_TIME_COST: Type.Integer({ minimum: 1, maximum: 20, default: 2 }),
    /**
     * Hashes computed at once, and requests that may wait for one; past both, 503 + Retry-After.
     * Memory held by hashing is at most concurrency x memory cost (4 x 19 MiB by default).
     */
    PASSWORD_HASH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
    PASSWORD_HASH_QUEUE: Type.Integer({ minimum: 0, maximum: 10_000, default: 32 }),
    /**
     * Origins (scheme://host[:port], comma-separated) whose pages may sign in, refresh and sign
     * out: the public addresses of the gateway. A browser request from any other origin is 403.
     */
    PUBLIC_ORIGINS: Type.String({ default: LOCAL_ORIGINS }),
    /** How long a password-reset token mailed to a user stays good. */
    PASSWORD_RESET_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 1800 }),
    /** Reset mails sent to one account per window (LOGIN_FAILURE_WINDOW_SECONDS); more requests are answered alike and send nothing. */
    PASSWORD_RESET_MAILS_PER_ACCOUNT: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    /** The sender of mail (password resets). */
    MAIL_FROM: Type.String({ minLength: 3, default: 'Strata <no-reply@strata.invalid>' }),
  }),
]);
export type Config = ReturnType<typeof loadServiceConfig>;

export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(ConfigSchema, env);
  return { ...config, PUBLIC_ORIGINS: parseOrigins(config.PUBLIC_ORIGINS) };
}

/**
 * Each entry must be an origin exactly as a browser sends it in the Origin header (lower case, no
 * default port, no path or trailing slash): anything else could never match, and would only
 * look like protection.
 */
export function parseOrigins(list: string): string[] {
  const entries = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return parseOrigins(LOCAL_ORIGINS);
  const problems: string[] = [];
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {
      // not a URL at all: reported below
    }
    if (origin !== entry) {
      problems.push(`PUBLIC_ORIGINS: "${entry}" is not an origin (scheme://host[:port])${origin ? `; did you mean "${origin}"?` : ''}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}
