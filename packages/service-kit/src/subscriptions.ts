import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';

/** A CloudEvent as Dapr delivers it to a subscriber. */
export interface DeliveredEvent<T = unknown> {
  id: string;
  type: string;
  source?: string;
  subject?: string;
  time?: string;
  topic?: string;
  /** The version of the data's published schema (absent: v1). */
  schemaversion?: number;
  /** The trace of the request that caused the event (W3C traceparent), when its publisher kept it. */
  traceparent?: string;
  data: T;
}

/** What a subscriber answers: SUCCESS (done), RETRY (deliver again later), DROP (never again). */
export type DeliveryOutcome = 'SUCCESS' | 'RETRY' | 'DROP';

export interface Subscription {
  pubsubname: string;
  topic: string;
  /** Only events whose CloudEvent type is listed reach the handler; others are acknowledged by Dapr. */
  types?: string[];
  path: string;
  handler: (event: DeliveredEvent, request: FastifyRequest) => Promise<DeliveryOutcome>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Declares a Dapr subscription: served by GET /dapr/subscribe, delivered to POST `path`. */
    subscribe(subscription: Subscription): void;
  }
}

/**
 * Programmatic Dapr subscriptions for a Fastify service. Bodies arrive as CloudEvents
 * (application/cloudevents+json, parsed by the dapr plugin); a malformed one is dropped, since
 * retrying cannot fix it.
 */
export const subscriptionsPlugin = fp(
  async (app: FastifyInstance) => {
    const subscriptions: Subscription[] = [];
    // every delivery Dapr makes, by topic and what the subscriber answered (DeadLettersGrowing counts the drops)
    const registers = app.hasDecorator('metrics') ? [app.metrics] : [];
    const deliveries = new Counter({
      name: 'subscription_deliveries_total',
      help: "Pub/sub deliveries to this app, by topic and outcome (success, retry, drop; error: the handler threw, and Dapr retries).",
      labelNames: ['topic', 'outcome'] as const,
      registers,
    });
    const handling = new Histogram({
      name: 'subscription_handling_seconds',
      help: 'Time to handle one delivery, by topic.',
      labelNames: ['topic'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    app.decorate('subscribe', (subscription: Subscription) => {
      // Dapr takes one subscription per topic and app: one handler sees all of a topic's events
      if (subscriptions.some((s) => s.pubsubname === subscription.pubsubname && s.topic === subscription.topic)) {
        throw new Error(`a second subscription to ${subscription.pubsubname}/${subscription.topic}`);
      }
      subscriptions.push(subscription);
      const topic = subscription.topic;
      // every outcome's series exists from the start: a rate over it is 0, not absent
      for (const outcome of ['success', 'retry', 'drop', 'error']) deliveries.inc({ topic, outcome }, 0);
      app.post(subscription.path, async (request) => {
        const event = request.body as Partial<DeliveredEvent> | undefined;
        if (!event || typeof event.id !== 'string' || typeof event.type !== 'string') {
          deliveries.inc({ topic, outcome: 'drop' });
          return { status: 'DROP' };
        }
        const end = handling.startTimer({ topic });
        try {
          const status = await subscription.handler(event as DeliveredEvent, request);
          deliveries.inc({ topic, outcome: status.toLowerCase() });
          return { status };
        } catch (error) {
          deliveries.inc({ topic, outcome: 'error' });
          throw error;
        } finally {
          end();
        }
      });
    });
    app.get('/dapr/subscribe', async () =>
      subscriptions.map((s) => ({
        pubsubname: s.pubsubname,
        topic: s.topic,
        routes: s.types
          ? { rules: s.types.map((type) => ({ match: `event.type == "${type}"`, path: s.path })) }
          : { default: s.path },
      })),
    );
  },
  { name: 'strata-subscriptions', dependencies: ['strata-dapr'] },
);
