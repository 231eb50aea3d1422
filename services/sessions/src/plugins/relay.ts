import { AppIds, Components, Topics } from '@strata/contracts';
import { DaprPublisher, type Publisher, type RecordedEvent, Relay } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Fields that stay in the event log and never travel on the bus. */
const PRIVATE_FIELDS = ['passwordHash', 'secretHash', 'refreshTokenHash'];

/** The event as subscribers see it: credentials' hashes removed. */
export function forPublication(event: RecordedEvent): RecordedEvent {
  if (typeof event.data !== 'object' || event.data === null) return event;
  const data = Object.fromEntries(Object.entries(event.data).filter(([key]) => !PRIVATE_FIELDS.includes(key)));
  return { ...event, data };
}

/**
 * Publishes this service's committed events to Dapr pub/sub (topic `sessions.events`), from the
 * log, at least once; one replica relays at a time.
 */
export const relayPlugin = fp(
  async (app: FastifyInstance, opts: { connectionString: string }) => {
    const dapr = new DaprPublisher({ dapr: app.dapr, pubsub: Components.pubsub, topic: () => Topics.sessionEvents, source: `strata/${AppIds.sessions}` });
    const publisher: Publisher = { publish: (events) => dapr.publish(events.map(forPublication)) };
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
  { name: 'sessions-relay', dependencies: ['sessions-core', 'strata-dapr'] },
);
