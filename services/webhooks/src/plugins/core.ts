import { kyselyFromPool } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { migrate } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { type Cidr, type Resolver } from '../delivery/targets.js';
import { WebhookStore } from '../store.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookStore;
    dispatcher: Dispatcher;
  }
}

/** The tables in schema `webhooks` (migrated at start under a lock), the store, and the dispatcher, started once the app is ready. */
export const corePlugin = fp(
  async (app: FastifyInstance, opts: { config: Config; allow: readonly Cidr[]; resolve?: Resolver; random?: () => number }) => {
    const { config } = opts;
    const db = kyselyFromPool(app.pg, { namedStatements: app.pgNamedStatements }) as Kysely<Database>;
    // migrations hold session locks: past the pooler, where a session is this replica's own
    await migrate(kyselyFromPool(app.pgDirect, { namedStatements: false }) as Kysely<unknown>);
    const store = new WebhookStore(db);
    const dispatcher = new Dispatcher({
      store,
      log: app.log.child({ component: 'dispatcher' }),
      metrics: app.metrics,
      backoff: { baseMs: config.WEBHOOK_RETRY_BASE_MS, maxMs: config.WEBHOOK_RETRY_MAX_MS, horizonMs: config.WEBHOOK_RETRY_HORIZON_MS },
      allow: opts.allow,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      pollMs: config.WEBHOOK_POLL_MS,
      concurrency: config.WEBHOOK_CONCURRENCY,
      gapTimeoutMs: config.WEBHOOK_ORDER_GAP_MS,
      now: () => app.clock.now(),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    });
    app.decorate('webhooks', store);
    app.decorate('dispatcher', dispatcher);
    app.addHook('onReady', async () => {
      if (config.WEBHOOK_POLL_MS > 0) dispatcher.start();
    });
    // before the pools close (onClose hooks run in reverse: this one, registered later, first)
    app.addHook('onClose', async () => dispatcher.stop());
  },
  { name: 'webhooks-core', dependencies: ['strata-postgres', 'strata-request-context'] },
);
