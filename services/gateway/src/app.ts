import { tokenAuth } from '@strata/auth';
import { Secrets } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import { platformPlugin, redisPlugin, subscriptionsPlugin } from '@strata/service-kit';
import type { GatewayConfig } from './config.js';
import { rateLimitPlugin } from './plugins/rate-limit/plugin.js';
import { serviceRegistryPlugin } from './plugins/service-registry.js';
import { healthRoutes } from './routes/health.js';
import { uiRoutes } from './routes/ui.js';
import { apiRoutes } from './routes/api.js';
import { openapiRoutes } from './routes/openapi.js';
import { liveEventsPlugin } from './plugins/live-events.js';
import { clientPlugin } from './plugins/client.js';
import { edgePlugin } from './plugins/edge.js';
import { responseCachePlugin } from './plugins/response-cache.js';
import { usageMetricsPlugin } from './plugins/usage-metrics.js';

/** The gateway as a plugin: platform first, then its resources, then its routes. */
export default async function gateway(app: FastifyInstance, opts: { config: GatewayConfig }) {
  const { config } = opts;
  await app.register(platformPlugin, { config, heartbeat: true });
  const redisUrl = await app.secrets.read(Secrets.redisUrl, config.REDIS_URL);
  await app.register(redisPlugin, { url: redisUrl, mode: config.REDIS_MODE });
  await app.register(clientPlugin, { trustedProxies: config.TRUSTED_PROXIES });
  await app.register(edgePlugin, { corsOrigins: config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean), hsts: config.HSTS });
  await app.register(subscriptionsPlugin);
  await app.register(serviceRegistryPlugin, { staleAfterMs: config.HEARTBEAT_STALE_MS });
  await app.register(tokenAuth, { config });
  await app.register(rateLimitPlugin, { config });
  await app.register(usageMetricsPlugin);
  await app.register(responseCachePlugin, { ttlSeconds: config.RESPONSE_CACHE_TTL_SECONDS });
  await app.register(liveEventsPlugin, { keepPerUser: 1000, keepSeconds: 7 * 24 * 3600, heartbeatMs: config.SSE_HEARTBEAT_MS, maxStreamsPerUser: config.SSE_MAX_STREAMS_PER_USER });
  await app.register(healthRoutes);
  await app.register(openapiRoutes);
  await app.register(apiRoutes, { headersTimeoutMs: config.UPSTREAM_HEADERS_TIMEOUT_MS });
  await app.register(uiRoutes, { uiAppId: config.UI_APP_ID });
}
