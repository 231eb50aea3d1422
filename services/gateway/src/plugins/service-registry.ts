import { Components, Topics } from '@strata/contracts';
import type { ServiceHeartbeat } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface ServiceInstance extends ServiceHeartbeat {
  receivedAt: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Live service instances by app-id, from their heartbeats (shared by all gateway replicas). */
    serviceInstances(): Promise<Record<string, ServiceInstance[]>>;
  }
}

const KEY = 'strata:gateway:instances';

/**
 * Subscribes to service heartbeats. Replicas of the gateway share one consumer group, so each
 * heartbeat reaches one replica; it is kept in Redis so that every replica sees every instance.
 */
export const serviceRegistryPlugin = fp(
  async (app: FastifyInstance, opts: { staleAfterMs: number }) => {
    app.subscribe({
      pubsubname: Components.pubsub,
      topic: Topics.serviceHeartbeat,
      path: '/dapr/events/service-heartbeat',
      handler: async (event) => {
        const beat = event.data as ServiceHeartbeat | undefined;
        // malformed: retrying will not help
        if (!beat || typeof beat.appId !== 'string' || typeof beat.instanceId !== 'string') return 'DROP';
        const instance: ServiceInstance = { ...beat, receivedAt: new Date().toISOString() };
        await app.redis
          .multi()
          .hset(KEY, `${beat.appId}/${beat.instanceId}`, JSON.stringify(instance))
          .pexpire(KEY, opts.staleAfterMs * 10)
          .exec();
        return 'SUCCESS';
      },
    });

    app.decorate('serviceInstances', async () => {
      const all = await app.redis.hgetall(KEY);
      const now = Date.now();
      const byApp: Record<string, ServiceInstance[]> = {};
      const stale: string[] = [];
      for (const [field, json] of Object.entries(all)) {
        const instance = JSON.parse(json) as ServiceInstance;
        if (now - Date.parse(instance.receivedAt) > opts.staleAfterMs) {
          stale.push(field);
          continue;
        }
        (byApp[instance.appId] ??= []).push(instance);
      }
      if (stale.length > 0) await app.redis.hdel(KEY, ...stale);
      return byApp;
    });
  },
  { name: 'gateway-service-registry', dependencies: ['strata-redis', 'strata-subscriptions'] },
);
