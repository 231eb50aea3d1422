import fastifyStatic from '@fastify/static';
import { AppIds, PublicRoutes, type AppId } from '@strata/contracts';
import { type OpenApiDocument, httpError, mergeDocuments } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const CACHE_MS = 60_000;

const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };


/**
 * The gateway's own part of the public document: its title, servers and security scheme, and the
 * routes the gateway serves itself. Every service's part (built from its route schemas, fetched
 * through Dapr) is merged into it.
 */
export const gatewayDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Strata API',
    version: '1.0.0',
    description:
      'Upload, organise and recover documents. Errors are RFC 9457 problem details (application/problem+json). ' +
      'Authenticate with a bearer access token from POST /api/v1/auth/login or, for partners, POST /api/v1/auth/token.',
  },
  servers: [{ url: '/' }],
  paths: {
    '/api/v1/events': {
      get: {
        summary: "The caller's own events as Server-Sent Events",
        description:
          'A text/event-stream of the events of the signed-in user (file changes, sessions started and ended). ' +
          'Each message has an id; reconnect with Last-Event-ID to receive what was missed. Comment lines keep an idle ' +
          'stream open; the stream ends with event session-ended when the session is revoked, token-expired when the access token expires, and ' +
          'too-many-streams when the user opened more streams than allowed at once (10 by default; the oldest closes).',
        tags: ['events'],
        security: [{ bearer: [] }],
        parameters: [{ name: 'last-event-id', in: 'header', required: false, schema: { type: 'string' } }],
        responses: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          400: { description: 'Last-Event-ID is not an id of this stream', content: PROBLEM_CONTENT },
          401: { description: 'No valid access token', content: PROBLEM_CONTENT },
        },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        summary: 'This document',
        tags: ['meta'],
        responses: {
          200: { description: 'The OpenAPI 3.1 document of the Strata API', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } } },
          503: { description: 'The document is being assembled from the services; try again shortly', content: PROBLEM_CONTENT },
        },
      },
    },
  },
  components: { schemas: {}, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
};

export async function openapiRoutes(app: FastifyInstance) {
  const owners = [...new Set(PublicRoutes.map((r) => r.appId))].filter((id) => id !== AppIds.gateway) as AppId[];
  let cached: { doc: OpenApiDocument; at: number } | undefined;

  const load = async (): Promise<OpenApiDocument> => {
    const parts = await Promise.all(
      owners.map(async (appId) => {
        const res = await app.dapr.invoke(appId, 'openapi.json', { timeoutMs: 3_000 });
        if (!res.ok) throw new Error(`${appId} answered ${res.status} for its OpenAPI document`);
        return { appId, doc: (await res.json()) as OpenApiDocument };
      }),
    );
    return mergeDocuments(gatewayDocument, parts);
  };

  app.get('/api/v1/openapi.json', async (request, reply) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      try {
        cached = { doc: await load(), at: Date.now() };
      } catch (error) {
        request.log.warn({ err: error }, 'OpenAPI document could not be assembled');
        // a slightly old document beats none
        if (!cached) throw httpError(503, 'The API description is being assembled; try again shortly.');
      }
    }
    reply.header('cache-control', 'public, max-age=60');
    return cached.doc;
  });

  // the docs page: Swagger UI from the npm package, served by us (no third-party CDN, strict CSP)
  const require = createRequire(import.meta.url);
  const uiRoot = dirname(require.resolve('swagger-ui-dist/package.json'));
  await app.register(fastifyStatic, { root: uiRoot, prefix: '/api/docs/assets/', decorateReply: false, index: false });
  app.get('/api/docs', async (_request, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .send(DOCS_PAGE);
  });
  app.get('/api/docs/init.js', async (_request, reply) => {
    reply.type('text/javascript; charset=utf-8').send(DOCS_INIT);
  });
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strata API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#docs', deepLinking: true });\n`;
