import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE } from './errors.js';
import { ProblemSchema } from './problem-schema.js';

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
      // errors are documented with the media type they are sent with
      transformObject: (document) => ('openapiObject' in document ? problemMediaTypes(named.into(document.openapiObject) as Parameters<typeof problemMediaTypes>[0]) : document.swaggerObject) as never,
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

const PROBLEM_SCHEMA = JSON.parse(JSON.stringify(ProblemSchema)) as Record<string, unknown>;
const PROBLEM_CONTENT = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };

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
  doc.components.schemas = { Problem: PROBLEM_SCHEMA, ...doc.components.schemas };
  const responses = ((doc.components as { responses?: Record<string, unknown> }).responses ??= {});
  for (const [status, { description }] of Object.entries(PLATFORM_RESPONSES)) responses[`Platform${status}`] = { description, content: PROBLEM_CONTENT };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, unknown>)[method] as { responses?: Record<string, unknown>; security?: Record<string, unknown>[] } | undefined;
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
  return withPlatformResponses({ ...own, paths, components: { ...own.components, schemas } });
}
