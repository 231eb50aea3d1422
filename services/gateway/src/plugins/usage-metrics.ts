import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';

/** One HyperLogLog per minute, in one hash slot (PFCOUNT over several keys needs it on a Redis Cluster). */
const minuteKey = (minute: number) => `strata:{active-users}:${minute}`;
const WINDOWS = { '5m': 5, '1h': 60 } as const;
const FLUSH_MS = 10_000;

/**
 * Active users, cluster-wide: the users whose requests this replica answered are added, every 10 s
 * in one PFADD, to the minute's HyperLogLog in Redis (about 12 KiB a minute whatever the number of
 * users, kept 65 minutes); a scrape counts the union of the last 5 and 60 minutes. Every replica
 * reports the same number: dashboards take the max. Partners' calls are not users.
 */
export const usageMetricsPlugin = fp(
  async (app: FastifyInstance) => {
    let seen = new Set<string>();
    let seenMinute = Math.floor(Date.now() / 60_000);
    const flush = async () => {
      if (seen.size === 0) return;
      const users = [...seen];
      const key = minuteKey(seenMinute);
      seen = new Set();
      await app.redis.multi().pfadd(key, ...users).expire(key, 65 * 60).exec();
    };
    app.addHook('onResponse', async (request) => {
      if (request.auth?.kind !== 'user') return;
      const minute = Math.floor(Date.now() / 60_000);
      if (minute !== seenMinute) {
        void flush().catch(() => undefined);
        seenMinute = minute;
      }
      seen.add(request.auth.sub);
    });
    const timer = setInterval(() => void flush().catch((err: unknown) => app.log.debug({ err }, 'active users not counted')), FLUSH_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await flush().catch(() => undefined);
    });
    new Gauge({
      name: 'gateway_active_users',
      help: 'Distinct signed-in users with a request answered in the window (5m, 1h), over every replica (HyperLogLog: about 1% off).',
      labelNames: ['window'] as const,
      registers: [app.metrics],
      async collect() {
        // what this replica saw since its last flush counts now, not 10 s later
        await flush().catch(() => undefined);
        const now = Math.floor(Date.now() / 60_000);
        for (const [window, minutes] of Object.entries(WINDOWS)) {
          const keys = Array.from({ length: minutes }, (_, i) => minuteKey(now - i));
          const count = await app.redis.pfcount(...keys).catch(() => undefined);
          if (count !== undefined) this.set({ window }, count);
        }
      },
    });
  },
  { name: 'gateway-usage-metrics', dependencies: ['strata-redis', 'strata-metrics', 'strata-token-auth'] },
);
