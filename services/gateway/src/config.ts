import { Type } from '@sinclair/typebox';
import { AuthConfigSchema } from '@strata/auth';
import { BaseConfigSchema, loadConfig } from '@strata/service-kit';

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
    /** Send Strict-Transport-Security (set where TLS terminates in front of the gateway). */
    HSTS: Type.Boolean({ default: false }),
    /** How long a cached GET answer lives at most (it is invalidated by writes and events anyway). */
    RESPONSE_CACHE_TTL_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
    /** Comment lines on idle live-event streams keep proxies from closing them. */
    SSE_HEARTBEAT_MS: Type.Integer({ minimum: 1000, default: 15_000 }),
  }),
]);
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(GatewayConfigSchema, env);
}
