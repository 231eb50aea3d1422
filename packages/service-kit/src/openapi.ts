import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const PUBLIC_ROUTE = /^\/(api\/|\.well-known\/)/;

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
