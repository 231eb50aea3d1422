import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BaseConfig } from './config.js';
import { daprPlugin } from './dapr-plugin.js';
import { registerProblemHandlers } from './errors.js';
import { healthPlugin } from './health.js';
import { heartbeatPlugin } from './heartbeat.js';
import { metricsPlugin } from './metrics.js';

/**
 * What every service registers first: problem+json errors, health, metrics, its sidecar and its
 * heartbeat. A service's app.ts registers this, then its own resources, then its routes.
 */
export const platformPlugin = fp(
  async (app: FastifyInstance, opts: { config: BaseConfig; heartbeat?: boolean }) => {
    // probes, scrapes and sidecar deliveries would drown the log: only their warnings are kept
    app.addHook('onRoute', (route) => {
      if (/^\/(health|metrics|dapr)(\/|$)/.test(route.url)) route.logLevel = 'warn';
    });
    registerProblemHandlers(app);
    await app.register(healthPlugin);
    await app.register(metricsPlugin, { appId: opts.config.APP_ID });
    await app.register(daprPlugin, { httpPort: opts.config.DAPR_HTTP_PORT, apiToken: opts.config.DAPR_API_TOKEN });
    if (opts.heartbeat !== false) {
      await app.register(heartbeatPlugin, { appId: opts.config.APP_ID, intervalMs: opts.config.HEARTBEAT_INTERVAL_MS });
    }
  },
  { name: 'strata-platform' },
);
