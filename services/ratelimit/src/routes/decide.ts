import type { FastifyInstance } from 'fastify';
import { type DecideBody, decideRouteSchema } from '../schemas/decide.js';

/**
 * POST /v1/decide: the gateway asks before forwarding a request. A refusal is an answer, not an
 * error: 200 with allowed=false; the gateway turns it into its own 429.
 */
export async function decideRoutes(app: FastifyInstance) {
  app.post<{ Body: DecideBody }>('/v1/decide', { schema: decideRouteSchema }, async (request, reply) => {
    const decision = await app.rateLimits.decide(request.body);
    reply.header('cache-control', 'no-store');
    return decision;
  });
}
