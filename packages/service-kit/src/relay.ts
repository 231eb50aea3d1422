import { Components } from '@strata/contracts';
import { DaprPublisher, type DomainEvent, type EventStore, type Publisher, type PublishedEvent, type RecordedEvent, Relay } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { dependencyFailureOf } from './dependencies.js';

export interface EventRelayOptions<E extends DomainEvent> {
  store: EventStore;
  /** The topic every event of this service goes to. */
  topic: string;
  /** CloudEvents `source`, e.g. `strata/files`. */
  source: string;
  /** The relay's own Postgres connection (it holds the lock that makes one replica the relay). */
  connectionString: string;
  /**
   * The published form of each of the service's domain events (its contract in
   * `@strata/contracts`): what the mapping leaves out, such as a credential hash, never travels.
   * `null` keeps an event of the service's own bookkeeping in the log, unpublished.
   */
  toPublished: (event: RecordedEvent<E>) => PublishedEvent | null;
}

/**
 * Publishes the service's committed events to Dapr pub/sub from the log, at least once, one
 * replica at a time; starts when the app is ready and stops with it. A plugin made per service,
 * so that its mapping is typed by the service's own events.
 */
export function eventRelayPlugin<E extends DomainEvent>(opts: EventRelayOptions<E>) {
  return fp(
    async (app: FastifyInstance) => {
      const dapr = new DaprPublisher<E>({ dapr: app.dapr, pubsub: Components.pubsub, topic: () => opts.topic, source: opts.source, toPublished: opts.toPublished });
      // which replica relays, and how much it published: visible per replica in /metrics
      const published = new Counter({
        name: 'event_relay_published_total',
        help: 'Events this replica published to pub/sub (at least once: a retried batch counts again).',
        labelNames: ['topic'] as const,
        registers: [app.metrics],
      });
      const failures = new Counter({
        name: 'event_relay_publish_failures_total',
        help: 'Batches whose publishing failed and will be retried.',
        labelNames: ['topic'] as const,
        registers: [app.metrics],
      });
      const leader = new Gauge({
        name: 'event_relay_leader',
        help: '1 while this replica is the one relaying events (it holds the lock), else 0.',
        labelNames: ['topic'] as const,
        registers: [app.metrics],
      });
      leader.set({ topic: opts.topic }, 0);
      // both counters' series exist from the start: a rate over them is 0, not absent
      published.inc({ topic: opts.topic }, 0);
      failures.inc({ topic: opts.topic }, 0);
      // read at each scrape, by the leader only (a standby's checkpoint is not the relay's): how
      // many committed events wait and how long the oldest has (deploy/README.md, EventRelayLagging)
      const held: { relay?: Relay<E> } = {};
      let pending: Promise<{ events: number; oldest: Date | undefined }> | undefined;
      const readBacklog = () => {
        pending ??= opts.store.backlog(held.relay!.cursor).finally(() => {
          pending = undefined;
        });
        return pending;
      };
      new Gauge({
        name: 'event_relay_backlog',
        help: 'Committed events not yet published (counted up to 100,000; 0 on a standby replica).',
        labelNames: ['topic'] as const,
        registers: [app.metrics],
        async collect() {
          const mine = held.relay?.state === 'leader' ? await readBacklog().catch(() => undefined) : { events: 0 };
          if (mine) this.set({ topic: opts.topic }, mine.events);
        },
      });
      new Gauge({
        name: 'event_relay_lag_seconds',
        help: 'Age of the oldest committed event not yet published (0 when none waits, and on a standby replica).',
        labelNames: ['topic'] as const,
        registers: [app.metrics],
        async collect() {
          const mine = held.relay?.state === 'leader' ? await readBacklog().catch(() => undefined) : { oldest: undefined };
          if (mine) this.set({ topic: opts.topic }, mine.oldest ? Math.max(0, (Date.now() - mine.oldest.getTime()) / 1000) : 0);
        },
      });

      const publisher: Publisher<E> = {
        publish: async (events) => {
          await dapr.publish(events);
          published.inc({ topic: opts.topic }, events.length);
        },
      };
      const relay = new Relay<E>({
        store: opts.store,
        publisher,
        connection: opts.connectionString,
        onError: (err) => {
          const failure = dependencyFailureOf(err);
          // its own connection lost (a failover): it reconnects, takes the lock again and resumes
          // from its checkpoint, with backoff; nothing was published or lost
          if (failure?.dependency === 'postgres') {
            app.log.warn({ err, reason: failure.reason }, 'event relay: Postgres connection lost; resuming with backoff');
            return;
          }
          failures.inc({ topic: opts.topic });
          app.log.warn({ err }, 'event relay: publish failed; retrying');
        },
        onStateChange: (state) => {
          leader.set({ topic: opts.topic }, state === 'leader' ? 1 : 0);
          app.log.info({ state }, 'event relay');
        },
      });
      held.relay = relay;
      app.addHook('onReady', async () => relay.start());
      app.addHook('onClose', async () => relay.stop());
    },
    { name: 'strata-event-relay', dependencies: ['strata-dapr', 'strata-metrics'] },
  );
}
