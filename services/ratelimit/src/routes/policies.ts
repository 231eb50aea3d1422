import { policySetView } from '@strata/service-kit/rate-policy';
import type { FastifyInstance } from 'fastify';
import { policiesRouteSchema } from '../schemas/policies.js';

/** GET /v1/policies: what the service enforces, for the gateway's fallback and for operators. */
export async function policiesRoutes(app: FastifyInstance) {
  app.get('/v1/policies', { schema: policiesRouteSchema }, async () => policySetView(app.rateLimits.policies));
}
