import replyFrom from '@fastify/reply-from';
import { PROBLEM_CONTENT_TYPE, httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertForwardable, invokeUrl, upstreamHeaders } from '../upstream.js';

/**
 * First segments that are never the UI's, whatever their case or what follows the word (`/api`,
 * `/API;x`, `/dapr.json`, `/v1.0-alpha1`): the API's, the platform's, the sidecar's. UI pages
 * may not start with these words (ui/README.md).
 */
const NOT_UI = /^\/(api|dapr|health|metrics|\.well-known|v\d)/i;

/**
 * The web UI's pages, assets and form actions: every path no other route of the public listener
 * takes, forwarded by Dapr service invocation to the `ui` app (never to the sidecar's own root),
 * streamed both ways. The API's, the platform's and the sidecar's path spaces are 404 problem+json
 * here, in any case: the UI never answers for them.
 */
export async function uiRoutes(app: FastifyInstance, opts: { uiAppId: string }) {
  // bodies (form actions) pass through unparsed and streamed
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await app.register(replyFrom, {
    base: app.dapr.baseUrl,
    undici: { connections: 64, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 60_000 },
  });
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (NOT_UI.test(path)) throw httpError(404, `No route ${request.method} ${path}`);
    assertForwardable(request);
    return reply.from(invokeUrl(opts.uiAppId, request.url), {
      rewriteRequestHeaders: (_req, headers) => upstreamHeaders(app, request, headers),
      onResponse: (_req, res, raw) => {
        const upstream = raw as unknown as { statusCode: number; headers: Record<string, string | string[] | undefined>; stream: NodeJS.ReadableStream };
        // the UI's own error pages are HTML; anything else at 5xx is the sidecar's JSON, which says too much
        if (upstream.statusCode >= 500 && !String(upstream.headers['content-type'] ?? '').startsWith('text/html')) {
          upstream.stream.resume();
          request.log.warn({ status: upstream.statusCode }, 'the ui app did not answer');
          res.removeHeader('content-length');
          void res.code(502).type(PROBLEM_CONTENT_TYPE).send(httpError(502, 'The web UI did not answer. Try again shortly.').toProblem());
          return;
        }
        void res.send(upstream.stream);
      },
    });
  };
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/', handler: forward });
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/*', handler: forward });
}
