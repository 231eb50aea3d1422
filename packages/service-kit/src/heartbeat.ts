import { Components, Topics } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface ServiceHeartbeat {
  appId: string;
  instanceId: string;
  host: string;
  pid: number;
  startedAt: string;
  sentAt: string;
  ready: boolean;
}

/**
 * Announces this instance on pub/sub at start and then every interval. The gateway keeps the last
 * heartbeat of each instance, which tells an operator which services are alive behind it.
 */
export const heartbeatPlugin = fp(
  async (app: FastifyInstance, opts: { appId: string; intervalMs: number }) => {
    const instanceId = randomUUID();
    const startedAt = new Date().toISOString();
    let timer: NodeJS.Timeout | undefined;
    let lastError: string | undefined;

    const beat = async () => {
      const { ready } = await app.readiness();
      const heartbeat: ServiceHeartbeat = {
        appId: opts.appId,
        instanceId,
        host: hostname(),
        pid: process.pid,
        startedAt,
        sentAt: new Date().toISOString(),
        ready,
      };
      try {
        await app.dapr.publish(Components.pubsub, Topics.serviceHeartbeat, heartbeat);
        if (lastError) app.log.info('heartbeat published again');
        lastError = undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) app.log.warn({ err: error }, 'heartbeat not published');
        lastError = message;
      }
    };

    app.addHook('onReady', async () => {
      void beat();
      timer = setInterval(() => void beat(), opts.intervalMs);
      timer.unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'strata-heartbeat', dependencies: ['strata-dapr', 'strata-health'] },
);
