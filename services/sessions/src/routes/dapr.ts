import { Components, Topics } from '@strata/contracts';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/**
 * The service hears its own SessionRevoked events back from pub/sub and applies the revocation
 * again (idempotently): if the process died between storing a revocation and announcing it, the
 * event from the log still ends the session everywhere.
 */
export async function daprRoutes(app: FastifyInstance, opts: { config: Config }) {
  app.subscribe({
    pubsubname: Components.pubsub,
    topic: Topics.sessionEvents,
    types: ['SessionRevoked'],
    path: '/dapr/events/session-revoked',
    handler: async (event) => {
      const data = event.data as { sessionId?: string; revokedAt?: string } | undefined;
      const revokedAt = Date.parse(data?.revokedAt ?? '');
      if (!data?.sessionId || Number.isNaN(revokedAt)) return 'DROP';
      const until = revokedAt + opts.config.ACCESS_TOKEN_TTL_SECONDS * 1000 + 60_000;
      if (until > Date.now() && !app.revocations.isRevoked(data.sessionId)) await app.endSession(data.sessionId);
      return 'SUCCESS';
    },
  });
}
