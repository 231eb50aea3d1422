import { describingAuth, tokenAuth } from '@strata/auth';
import { AppIds, Topics } from '@strata/contracts';
import { type Clock, describeApi, eventRelayPlugin, openapiPlugin, platformPlugin, registerStores, subscriptionsPlugin } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { corePlugin } from './plugins/core.js';
import { indexerPlugin } from './plugins/indexer.js';
import { toPublished } from './published.js';
import { askRoutes } from './routes/ask.js';
import { fileEventRoutes } from './routes/dapr/file-events.js';
import { insightsRoutes } from './routes/insights.js';
import { searchRoutes } from './routes/search.js';

const INSIGHTS_TITLE = 'Strata insights';

export interface InsightsOptions {
  config: Config;
  clock?: Clock;
}

/** The insights service as a plugin: platform first, then its resources, the indexer, then its routes. */
export default async function insights(app: FastifyInstance, opts: InsightsOptions) {
  const { config } = opts;
  await app.register(platformPlugin, { config, ...(opts.clock ? { clock: opts.clock } : {}) });
  const { directDatabaseUrl } = await registerStores(app, config);
  await app.register(openapiPlugin, { title: INSIGHTS_TITLE });
  await app.register(corePlugin);
  await app.register(
    eventRelayPlugin({ store: app.store, topic: Topics.insightsEvents, source: `strata/${AppIds.insights}`, connectionString: directDatabaseUrl, toPublished }),
  );
  await app.register(indexerPlugin, { config });
  await app.register(subscriptionsPlugin);
  await app.register(fileEventRoutes, { onWork: () => app.indexer.wake() });
  await app.register(tokenAuth, { config });
  await app.register(insightsApi, { config, onWork: () => app.indexer.wake() });
}

/** The public API: every route with its schema, which is what the OpenAPI document describes. */
export async function insightsApi(app: FastifyInstance, opts: { config: Config; onWork: () => void }) {
  await app.register(insightsRoutes, { onWork: opts.onWork });
  await app.register(searchRoutes);
  await app.register(askRoutes, { conversation: opts.config.CONVERSATION_COMPONENT, scrubPii: opts.config.ASK_SCRUB_PII, modelTimeoutMs: opts.config.ASK_MODEL_TIMEOUT_MS });
}

/** This service's part of the OpenAPI document, built from the route schemas alone (npm run generate-client). */
export const describeInsights = (config: Config) =>
  describeApi({
    title: INSIGHTS_TITLE,
    prepare: async (api) => void (await api.register(describingAuth)),
    routes: async (api) => void (await api.register(insightsApi, { config, onWork: () => undefined })),
  });
