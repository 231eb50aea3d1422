import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE } from './errors.js';

const PUBLIC_ROUTE = /^\/(api\/|\.well-known\/)/;

type Responses = Record<string, { content?: Record<string, unknown> }>;

/**
 * Every error answer is problem+json (errors.ts: one error type, one mapping), but the swagger
 * plugin writes each response schema as `application/json`: 4xx and 5xx answers are documented
 * with the media type they are sent with.
 */
export function problemMediaTypes<D extends { paths?: Record<string, Record<string, unknown> | undefined> }>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) {
      const responses = (operation as { responses?: Responses } | undefined)?.responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json && Object.keys(response.content!).length === 1) response.content = { [PROBLEM_CONTENT_TYPE]: json };
      }
    }
  }
  return doc;
}

/**
 * This service's part of the public OpenAPI 3.1 document, built from its route schemas and served
 * at GET /openapi.json; the gateway merges every service's part into /api/v1/openapi.json.
 * A public route (under /api/ or /.well-known/) without a tagged schema would be missing from the
 * document, so the service refuses to start with one.
 */
export const openapiPlugin = fp(
  async (app: FastifyInstance, opts: { title: string }) => {
    const undocumented: string[] = [];
    app.addHook('onRoute', (route) => {
      if (!PUBLIC_ROUTE.test(route.url)) return;
      const tags = (route.schema as { tags?: unknown[] } | undefined)?.tags;
      if (!Array.isArray(tags) || tags.length === 0) {
        const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
        if (methods !== 'HEAD') undocumented.push(`${methods} ${route.url}`);
      }
    });
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: opts.title, version: '1.0.0' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      hideUntagged: true,
      // openapi mode: the plugin hands over openapiObject
      transformObject: (document) => problemMediaTypes((document as { openapiObject: Parameters<typeof problemMediaTypes>[0] }).openapiObject) as never,
    });
    app.addHook('onReady', async () => {
      if (undocumented.length > 0) {
        throw new Error(`public routes without a tagged schema (they would be missing from OpenAPI): ${undocumented.join('; ')}`);
      }
    });
    app.get('/openapi.json', async () => app.swagger());
  },
  { name: 'strata-openapi' },
);
