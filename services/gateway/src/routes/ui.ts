import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Everything outside /api, /health, /metrics and /dapr is the web UI, forwarded to the `ui` app
 * through the gateway's own sidecar (the dapr-app-id header routes it), streamed both ways.
 */
export async function uiRoutes(app: FastifyInstance, opts: { uiAppId: string }) {
  // bodies (form actions) pass through unparsed and streamed
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await app.register(replyFrom, {
    base: app.dapr.baseUrl,
    undici: { connections: 64, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 60_000 },
  });
  const forward = (request: FastifyRequest, reply: FastifyReply) =>
    reply.from(request.url, {
      rewriteRequestHeaders: (_req, headers) => ({ ...app.dapr.headers(), ...headers, 'dapr-app-id': opts.uiAppId }),
    });
  // SvelteKit pages, assets and form actions
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/', handler: forward });
  app.route({
    method: ['GET', 'HEAD', 'POST'],
    url: '/*',
    handler: async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (/^\/(api|health|metrics|dapr)(\/|$)/.test(path)) {
        // keep the problem+json 404 for unknown API paths instead of the UI's HTML
        return reply.callNotFound();
      }
      return forward(request, reply);
    },
  });
}
