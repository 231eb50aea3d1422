import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, ConfigError, loadConfig } from '@strata/service-kit';
import { trustedProxies } from './plugins/client.js';

export const GatewayConfigSchema = Type.Composite([
  BaseConfigSchema,
  AuthConfigSchema,
  Type.Object({
    /** Redis for response caching and the live event fan-out; from the secret store when unset. */
    REDIS_URL: Type.Optional(Type.String()),
    /** App-id that serves the web UI behind `/`. */
    UI_APP_ID: Type.String({ default: 'ui' }),
    /** How long a service's last heartbeat counts before it is reported as gone. */
    HEARTBEAT_STALE_MS: Type.Integer({ minimum: 1000, default: 20_000 }),
    /** Comma-separated origins allowed to call the API from a browser; empty: same origin only. */
    CORS_ORIGINS: Type.String({ default: '' }),
    /** Send Strict-Transport-Security on answers to clients that came over https (on in the AKS overlay). */
    HSTS: Type.Boolean({ default: false }),
    /**
     * Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated addresses
     * or CIDR blocks: the Application Gateway's subnet on AKS). Empty: nobody's; the connection's
     * peer is the client.
     */
    TRUSTED_PROXIES: Type.String({ default: '' }),
    /**
     * How long the owning service may take to start its answer (after the request body was sent)
     * before the client gets a 504 with Retry-After: under the 30 s most clients wait, so a stuck
     * dependency is a clear failure, not a hang. Bodies stream without a limit once they start.
     */
    UPSTREAM_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 300_000, default: 25_000 }),
    /** Live event streams one user may hold open at once (over every replica); the oldest closes. */
    SSE_MAX_STREAMS_PER_USER: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    /** How long a cached GET answer lives at most (it is invalidated by writes and events anyway). */
    RESPONSE_CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
    /** Comment lines on idle live-event streams keep proxies from closing them. */
    SSE_HEARTBEAT_MS: Type.Integer({ minimum: 1000, default: 15_000 }),
    /** Rate limits on /api/v1 (README: "Rate limits"); off only for benchmarks and local experiments. */
    RATE_LIMIT_ENABLED: Type.Boolean({ default: true }),
    /** The app-id that decides (Dapr service invocation); tests point it elsewhere to see the fallback. */
    RATE_LIMIT_APP_ID: Type.String({ pattern: '^[a-z0-9-]+$', default: 'ratelimit' }),
    /** How long a decision from the ratelimit service may take before the local fallback decides. */
    RATE_LIMIT_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 5_000, default: 150 }),
    /** After a failed decision, how long the fallback decides alone before the service is asked again. */
    RATE_LIMIT_RECHECK_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1_000 }),
    /** The fallback gives each replica the policy's limit divided by this (the replicas assumed to share the load). */
    RATE_LIMIT_FALLBACK_REPLICAS: Type.Integer({ minimum: 1, maximum: 1_000, default: 3 }),
    /** Tokens a client's first lease takes (spent locally); 1 asks the service for every request. */
    RATE_LIMIT_LEASE_SIZE: Type.Integer({ minimum: 1, maximum: 1_000, default: 10 }),
    /** The most a lease grows to for a busy client (leases are only taken while half the limit is left). */
    RATE_LIMIT_LEASE_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    /** A lease's lifetime: its tokens are spent within this or not at all. */
    RATE_LIMIT_LEASE_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 1_000 }),
  }),
]);
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  // the gateway's main listener is public: its sidecar talks to the internal one
  const config = loadConfig(GatewayConfigSchema, { APP_CHANNEL: 'internal', ...env });
  try {
    trustedProxies(config.TRUSTED_PROXIES);
  } catch (error) {
    throw new ConfigError([`TRUSTED_PROXIES=${JSON.stringify(config.TRUSTED_PROXIES)}: ${(error as Error).message}`]);
  }
  return config;
}
