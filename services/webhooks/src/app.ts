import { describingAuth, tokenAuth } from '@strata/auth';
import { type Clock, describeApi, openapiPlugin, platformPlugin, registerStores, subscriptionsPlugin } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { type Resolver, parseAllowList } from './delivery/targets.js';
import { corePlugin } from './plugins/core.js';
import { fileEventRoutes } from './routes/dapr/file-events.js';
import { webhookRoutes } from './routes/webhooks.js';

const WEBHOOKS_TITLE = 'Strata webhooks';

export interface WebhooksOptions {
  config: Config;
  clock?: Clock;
  /** Tests: a resolver instead of the system's, and the jitter's random draw. */
  resolve?: Resolver;
  random?: () => number;
}

/** The webhooks service as a plugin: platform first, then its stores and dispatcher, then its routes. */
export default async function webhooks(app: FastifyInstance, opts: WebhooksOptions) {
  const { config } = opts;
  const allow = parseAllowList(config.WEBHOOK_ALLOWED_TARGETS);
  await app.register(platformPlugin, { config, ...(opts.clock ? { clock: opts.clock } : {}) });
  await registerStores(app, config);
  await app.register(openapiPlugin, { title: WEBHOOKS_TITLE });
  await app.register(corePlugin, { config, allow, ...(opts.resolve ? { resolve: opts.resolve } : {}), ...(opts.random ? { random: opts.random } : {}) });
  await app.register(subscriptionsPlugin);
  await app.register(fileEventRoutes, { onWork: () => app.dispatcher.wake(), gapMs: config.WEBHOOK_ORDER_GAP_MS });
  await app.register(tokenAuth, { config });
  await app.register(webhooksApi, { config, ...(opts.resolve ? { resolve: opts.resolve } : {}), onWork: () => app.dispatcher.wake() });
}

/** The public API: every route with its schema, which is what the OpenAPI document describes. */
export async function webhooksApi(app: FastifyInstance, opts: { config: Config; resolve?: Resolver; onWork: () => void }) {
  await app.register(webhookRoutes, { config: opts.config, allow: parseAllowList(opts.config.WEBHOOK_ALLOWED_TARGETS), ...(opts.resolve ? { resolve: opts.resolve } : {}), onWork: opts.onWork });
}

/** This service's part of the OpenAPI document, built from the route schemas alone (npm run generate-client). */
export const describeWebhooks = (config: Config) =>
  describeApi({
    title: WEBHOOKS_TITLE,
    prepare: async (api) => void (await api.register(describingAuth)),
    routes: async (api) => void (await api.register(webhooksApi, { config, onWork: () => undefined })),
  });
