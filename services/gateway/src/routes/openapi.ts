import fastifyStatic from '@fastify/static';
import { AppIds, PublicRoutes, type AppId } from '@strata/contracts';
import { ProblemSchema, httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  [key: string]: unknown;
}

const CACHE_MS = 60_000;

const PROBLEM_SCHEMA = JSON.parse(JSON.stringify(ProblemSchema)) as Record<string, unknown>;
const PROBLEM_CONTENT = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/**
 * Answers the platform gives on any operation, before or around its route: documented once
 * here for every operation (unless the operation documents the status itself), so that a
 * client, and the fuzz that checks every answer against the document, find them declared.
 */
const PLATFORM_RESPONSES: Record<string, { description: string; applies: (method: string, secured: boolean, path: string) => boolean }> = {
  400: {
    description: 'The path, query or headers cannot be read: malformed percent-encoding or UTF-8, an encoded "/", a control character, a parameter that is not what the operation takes',
    applies: () => true,
  },
  401: { description: 'No valid access token', applies: (_m, secured) => secured },
  403: { description: 'The access token lacks a scope this operation needs', applies: (_m, secured) => secured },
  413: { description: 'The request body is larger than this operation takes', applies: (method) => method !== 'get' && method !== 'head' },
  414: { description: 'A path parameter is longer than any this API gives out', applies: (_m, _s, path) => path.includes('{') },
  415: { description: 'The request body has a content type this operation does not take', applies: (method) => method !== 'get' && method !== 'head' },
  429: { description: 'Too many requests; Retry-After says when to try again (RateLimit and RateLimit-Policy describe the limit)', applies: () => true },
  431: { description: 'The request headers are larger than the server takes (16 KiB in all)', applies: () => true },
};

const HTTP_METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

/** Adds the platform's answers (PLATFORM_RESPONSES) to every operation of the document. */
export function withPlatformResponses(doc: OpenApiDocument): OpenApiDocument {
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, Problem: PROBLEM_SCHEMA };
  const responses = ((doc.components as { responses?: Record<string, unknown> }).responses ??= {});
  for (const [status, { description }] of Object.entries(PLATFORM_RESPONSES)) responses[`Platform${status}`] = { description, content: PROBLEM_CONTENT };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { responses?: Record<string, unknown>; security?: Record<string, unknown>[] } | undefined;
      if (!operation) continue;
      const secured = (operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0);
      operation.responses ??= {};
      for (const [status, { applies }] of Object.entries(PLATFORM_RESPONSES)) {
        if (applies(method, secured, path) && !(status in operation.responses)) operation.responses[status] = { $ref: `#/components/responses/Platform${status}` };
      }
    }
  }
  return doc;
}

/**
 * Merges the services' own OpenAPI documents (each built from its route schemas, fetched through
 * Dapr) into the one public document. Two services defining the same component schema differently
 * is a bug, reported rather than hidden.
 */
export function mergeDocuments(parts: { appId: string; doc: OpenApiDocument }[]): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Strata API',
      version: '1.0.0',
      description:
        'Upload, organise and recover documents. Errors are RFC 9457 problem details (application/problem+json). ' +
        'Authenticate with a bearer access token from POST /api/v1/auth/login or, for partners, POST /api/v1/auth/token.',
    },
    servers: [{ url: '/' }],
    paths: {},
    components: { schemas: {}, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
  for (const { appId, doc } of parts) {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      const existing = merged.paths![path];
      if (existing) {
        for (const method of Object.keys(item)) {
          if (method in existing) throw new Error(`${appId} documents ${method.toUpperCase()} ${path} a second time`);
        }
      }
      merged.paths![path] = { ...existing, ...item };
    }
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      const existing = merged.components!.schemas![name];
      if (existing && JSON.stringify(existing) !== JSON.stringify(schema)) {
        throw new Error(`component schema ${name} differs between services (${appId})`);
      }
      merged.components!.schemas![name] = schema;
    }
  }
  // the gateway's own routes
  merged.paths!['/api/v1/events'] = {
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
  };
  merged.paths!['/api/v1/openapi.json'] = {
    get: {
      summary: 'This document',
      tags: ['meta'],
      responses: {
        200: { description: 'The OpenAPI 3.1 document of the Strata API', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } } },
        503: { description: 'The document is being assembled from the services; try again shortly', content: PROBLEM_CONTENT },
      },
    },
  };
  return withPlatformResponses(merged);
}

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
    return mergeDocuments(parts);
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
