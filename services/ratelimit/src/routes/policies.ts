import type { FastifyInstance } from 'fastify';
import { rateLimitPolicyField } from '../domain/headers.js';
import { policiesRouteSchema } from '../schemas/policies.js';

/** GET /v1/policies: what the service enforces, for the gateway's docs and for operators. */
export async function policiesRoutes(app: FastifyInstance) {
  app.get('/v1/policies', { schema: policiesRouteSchema }, async () => {
    const { policies, rules } = app.rateLimits.policies;
    return {
      policies: [...policies.values()].map((p) => ({
        name: p.name,
        description: p.description,
        limits: p.limits.map((l) => ({
          name: l.name,
          by: l.by,
          limit: l.limit,
          windowSeconds: l.windowSeconds,
          burst: l.burst,
          optional: l.optional,
        })),
        header: rateLimitPolicyField(p.limits),
      })),
      rules: [...rules],
    };
  });
}
