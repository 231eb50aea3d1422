import { AppIds, Components, Topics } from '@strata/contracts';
import { DaprPublisher, Relay } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Publishes this service's committed events to Dapr pub/sub (topic `files.events`), from the
 * log, at least once; one replica relays at a time.
 */
export const relayPlugin = fp(
  async (app: FastifyInstance, opts: { connectionString: string }) => {
    const publisher = new DaprPublisher({ dapr: app.dapr, pubsub: Components.pubsub, topic: () => Topics.fileEvents, source: `strata/${AppIds.files}` });
    const relay = new Relay({
      store: app.store,
      publisher,
      connection: opts.connectionString,
      onError: (err) => app.log.warn({ err }, 'event relay: publish failed; retrying'),
      onStateChange: (state) => app.log.info({ state }, 'event relay'),
    });
    app.addHook('onReady', async () => relay.start());
    app.addHook('onClose', async () => relay.stop());
  },
  { name: 'files-relay', dependencies: ['files-core', 'strata-dapr'] },
);
