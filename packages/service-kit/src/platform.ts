import type { Clock } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BaseConfig } from './config.js';
import { daprPlugin } from './dapr-plugin.js';
import { httpError, registerProblemHandlers } from './errors.js';
import { healthPlugin } from './health.js';
import { heartbeatPlugin } from './heartbeat.js';
import { metricsPlugin } from './metrics.js';
import { requestContextPlugin } from './request-context.js';
import { secretsPlugin } from './secrets.js';

/**
 * What every service registers first: problem+json errors, health, metrics, its sidecar, its
 * secret reader, its heartbeat, and the request context (with the service's clock: tests pass their own). A
 * service's app.ts registers this, then its own resources, then its routes.
 */
export const platformPlugin = fp(
  async (app: FastifyInstance, opts: { config: BaseConfig; heartbeat?: boolean; clock?: Clock }) => {
    // probes, scrapes and sidecar deliveries would drown the log: only their warnings are kept
    app.addHook('onRoute', (route) => {
      if (/^\/(health|metrics|dapr)(\/|$)/.test(route.url)) route.logLevel = 'warn';
    });
    registerProblemHandlers(app);
    await app.register(requestContextPlugin, { channel: opts.config.APP_CHANNEL, ...(opts.clock ? { clock: opts.clock } : {}) });
    // Dapr forwards a call without a body as a chunked request with no content type (or as
    // application/octet-stream), which Fastify would refuse with 415. Accept such bodies when they
    // are empty, so body-less POSTs (logout, refresh, restore) work through the sidecar; a
    // non-empty body of a type nobody parses is still a 415, at its first byte whatever its size
    // (the rest is drained after the answer). Specific parsers win over this one.
    // (no body limit of its own: it reads one chunk at most, and a size is no reason to hide a 415).
    // No API takes text/plain: Fastify's own parser for it would answer a large one 413, not 415.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('*', { bodyLimit: Number.MAX_SAFE_INTEGER }, (request, payload, done) => {
      const refuse = () => done(httpError(415, `The content type ${JSON.stringify(request.headers['content-type'] ?? '(none)')} is not accepted here.`), undefined);
      if (Number(request.headers['content-length'] ?? 0) > 0) return refuse();
      let settled = false;
      payload.on('data', (chunk: Buffer) => {
        if (settled || chunk.length === 0) return;
        settled = true;
        refuse();
      });
      payload.once('end', () => {
        if (settled) return;
        settled = true;
        done(null, undefined);
      });
      payload.once('error', (error) => {
        if (settled) return;
        settled = true;
        done(error, undefined);
      });
    });
    // metrics first: health counts its readiness changes there
    await app.register(metricsPlugin, { appId: opts.config.APP_ID });
    await app.register(healthPlugin);
    await app.register(daprPlugin, { httpPort: opts.config.DAPR_HTTP_PORT, apiToken: opts.config.DAPR_API_TOKEN, appId: opts.config.APP_ID });
    await app.register(secretsPlugin, { appId: opts.config.APP_ID });
    if (opts.heartbeat !== false) {
      await app.register(heartbeatPlugin, { appId: opts.config.APP_ID, intervalMs: opts.config.HEARTBEAT_INTERVAL_MS });
    }
  },
  { name: 'strata-platform' },
);
