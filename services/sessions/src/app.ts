import cookie from '@fastify/cookie';
import { describingAuth, tokenAuth } from '@strata/auth';
import { AppIds, Topics } from '@strata/contracts';
import { type Clock, describeApi, eventRelayPlugin, openapiPlugin, platformPlugin, registerStores, subscriptionsPlugin } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { corePlugin } from './plugins/core.js';
import { toPublished } from './published.js';
import { accountRoutes } from './routes/account.js';
import { partnerRoutes } from './routes/partners.js';
import { authRoutes } from './routes/auth.js';
import { daprRoutes } from './routes/dapr.js';
import { passwordRoutes } from './routes/password.js';
import { internalRoutes } from './routes/internal.js';
import { tokenRoutes } from './routes/token.js';

const SESSIONS_TITLE = 'Strata sessions';

/** The sessions service as a plugin: platform first, then its resources, then its routes. */
export default async function sessions(app: FastifyInstance, opts: { config: Config; clock?: Clock }) {
  const { config } = opts;
  await app.register(platformPlugin, { config, ...(opts.clock ? { clock: opts.clock } : {}) });
  const { directDatabaseUrl } = await registerStores(app, config);
  await app.register(subscriptionsPlugin);
  await app.register(cookie);
  // refresh and sign-out have nothing to send: JSON with no body at all reads as {}; anything
  // else goes to Fastify's own parser, prototype-poisoning checks included
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) =>
    body === '' ? done(null, {}) : json(request, body, done),
  );
  await app.register(openapiPlugin, { title: SESSIONS_TITLE });
  await app.register(corePlugin, { config });
  await app.register(
    eventRelayPlugin({ store: app.store, topic: Topics.sessionEvents, source: `strata/${AppIds.sessions}`, connectionString: directDatabaseUrl, toPublished }),
  );
  // sessions verifies with its own keys: no call to itself, so a kid it has not seen (it has just
  // begun signing with a new key) costs nothing to look up at once
  await app.register(tokenAuth, { config, loadJwks: async () => app.jwks(), minReloadIntervalMs: 0 });
  await app.register(sessionsApi, { config });
  await app.register(daprRoutes, { config });
  await app.register(internalRoutes);
}

/** The public API: every route with its schema, which is what the OpenAPI document describes. */
export async function sessionsApi(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  await app.register(authRoutes, { config });
  await app.register(tokenRoutes, { config });
  await app.register(accountRoutes, { config });
  await app.register(passwordRoutes, { config });
  await app.register(partnerRoutes);
}

/** This service's part of the OpenAPI document, built from the route schemas alone (npm run generate-client). */
export const describeSessions = (config: Config) =>
  describeApi({ title: SESSIONS_TITLE, prepare: async (api) => void (await api.register(describingAuth)), routes: async (api) => void (await api.register(sessionsApi, { config })) });
