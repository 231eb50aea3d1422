import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const PUBLIC_ROUTE = /^\/(api\/|\.well-known\/)/;

/** An OpenAPI 3.1 document, as far as building and merging one needs to know it. */
export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  [key: string]: unknown;
}

/**
 * A query parameter with a default need not be sent (the server fills it in), so the document
 * does not call it required, though the route's own schema lists it (so that handlers read it as
 * always there).
 */
function withOptionalDefaults<S>(schema: S): S {
  const query = (schema as { querystring?: { properties?: Record<string, { default?: unknown }>; required?: string[] } } | undefined)?.querystring;
  if (!query?.required || !query.properties) return schema;
  const properties = query.properties;
  const required = query.required.filter((name) => properties[name]?.default === undefined);
  return { ...schema, querystring: { ...query, required } };
}

/**
 * Schemas that carry an $id become components: each is replaced by a $ref where a route uses it,
 * at any depth (Fastify's swagger inlines those at the top of a response), and defined once.
 */
class NamedSchemas {
  private readonly defined = new Map<string, string>();
  private readonly schemas: Record<string, unknown> = {};

  take<T>(node: T): T {
    if (Array.isArray(node)) return node.map((n: unknown) => this.take(n)) as T;
    if (!node || typeof node !== 'object') return node;
    const { $id, ...rest } = node as Record<string, unknown>;
    const inner = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, this.take(value)]));
    if (typeof $id !== 'string') return inner as T;
    const text = JSON.stringify(inner);
    const seen = this.defined.get($id);
    if (seen !== undefined && seen !== text) throw new Error(`two different schemas are named ${$id}`);
    this.defined.set($id, text);
    this.schemas[$id] = inner;
    return { $ref: `#/components/schemas/${$id}` } as T;
  }

  into<D extends { components?: { schemas?: object } }>(doc: D): D {
    return { ...doc, components: { ...doc.components, schemas: { ...doc.components?.schemas, ...this.schemas } } };
  }
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
    const named = new NamedSchemas();
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
      // a shape with an $id (FileInfo, Problem...) is one named component wherever routes use it
      transform: ({ schema, url }) => ({ schema: named.take(withOptionalDefaults(schema)), url }),
      transformObject: (document) => ('openapiObject' in document ? named.into(document.openapiObject) : document.swaggerObject),
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

/**
 * A service's part of the document without running the service: a bare instance with the
 * OpenAPI plugin and the service's public routes, nothing behind them (no sidecar, database or
 * keys; `prepare` registers the decorators the routes are built with). It serves no request: it
 * is closed once the document is read. `npm run generate-client` builds the client from these.
 */
export async function describeApi(opts: { title: string; prepare?: (app: FastifyInstance) => Promise<void>; routes: (app: FastifyInstance) => Promise<void> }): Promise<OpenApiDocument> {
  const app = Fastify({ logger: false });
  try {
    await app.register(openapiPlugin, { title: opts.title });
    await opts.prepare?.(app);
    await app.register(async (scope) => opts.routes(scope));
    await app.ready();
    return app.swagger() as unknown as OpenApiDocument;
  } finally {
    await app.close();
  }
}

/**
 * The public document: the gateway's own (its title, servers, security schemes and its own routes)
 * with every service's paths and component schemas merged in. A path and method documented twice,
 * or a component schema defined differently by two services, is a bug, reported rather than hidden.
 */
export function mergeDocuments(own: OpenApiDocument, parts: readonly { appId: string; doc: OpenApiDocument }[]): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = { ...own.paths };
  const schemas: Record<string, unknown> = { ...own.components?.schemas };
  for (const { appId, doc } of parts) {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      const existing = paths[path];
      if (existing) {
        for (const method of Object.keys(item)) {
          if (method in existing) throw new Error(`${appId} documents ${method.toUpperCase()} ${path} a second time`);
        }
      }
      paths[path] = { ...existing, ...item };
    }
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      const existing = schemas[name];
      if (existing && JSON.stringify(existing) !== JSON.stringify(schema)) {
        throw new Error(`component schema ${name} differs between services (${appId})`);
      }
      schemas[name] = schema;
    }
  }
  return { ...own, paths, components: { ...own.components, schemas } };
}
