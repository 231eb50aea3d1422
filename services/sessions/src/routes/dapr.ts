import { Components, SessionEventSchemas, SessionEventTypes, Topics, readPublished } from '@strata/contracts';
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
    types: [SessionEventTypes.SessionRevoked],
    path: '/dapr/events/session-revoked',
    handler: async (event) => {
      const revoked = readPublished(SessionEventSchemas, event);
      if (revoked?.type !== SessionEventTypes.SessionRevoked) return 'DROP';
      const { sessionId } = revoked.data;
      const revokedAt = Date.parse(revoked.data.revokedAt);
      if (Number.isNaN(revokedAt)) return 'DROP';
      const until = revokedAt + opts.config.ACCESS_TOKEN_TTL_SECONDS * 1000 + 60_000;
      if (until > app.clock.now().getTime() && !app.revocations.isRevoked(sessionId)) await app.endSession(sessionId);
      return 'SUCCESS';
    },
  });
}
