import type { JsonSchema } from './values.js';

/** The public OpenAPI document as the gateway serves it (the parts the fuzz reads). */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject | unknown>>;
  components?: { schemas?: Record<string, JsonSchema>; responses?: Record<string, ResponseObject> };
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: JsonSchema }>;
  $ref?: string;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }>; required?: boolean };
  responses?: Record<string, ResponseObject>;
  security?: Record<string, string[]>[];
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

/** One operation of the document, with everything resolved that the fuzz needs. */
export interface Operation {
  /** `GET /api/v1/files/{id}`: what `--route` filters on and the summary names. */
  key: string;
  method: string;
  /** The path template, `{name}` for a parameter. */
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  headers: Parameter[];
  /** Content type → schema of the request body; empty when it takes none. */
  body: Record<string, JsonSchema>;
  /** Status → content type → schema of the answer (`{}` when it has no body). */
  responses: Record<string, Record<string, JsonSchema>>;
  /** A bearer token is required. */
  secured: boolean;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

/** `#/components/...` references, resolved in place (the document has no cycles). */
export function resolveRefs<T>(doc: OpenApiDocument, value: T, seen: string[] = []): T {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(doc, v, seen)) as T;
  if (!value || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    if (seen.includes(ref)) throw new Error(`the document refers to ${ref} in a cycle`);
    const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
    if (target === undefined) throw new Error(`the document refers to ${ref}, which it does not hold`);
    return resolveRefs(doc, target as T, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(doc, v, seen)])) as T;
}

/** Every operation of the document, in its order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const raw = item[method] as OperationObject | undefined;
      if (!raw) continue;
      const op = resolveRefs(doc, raw);
      const params = (op.parameters ?? []).map((p) => ({ ...p, schema: p.schema ?? {} }));
      const pick = (where: ParameterObject['in']) => params.filter((p) => p.in === where).map((p) => ({ name: p.name, required: p.required ?? where === 'path', schema: p.schema }));
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: pick('path'),
        query: pick('query'),
        headers: pick('header'),
        body: Object.fromEntries(Object.entries(op.requestBody?.content ?? {}).map(([type, media]) => [type, media.schema ?? {}])),
        responses: Object.fromEntries(
          Object.entries(op.responses ?? {}).map(([status, response]) => [status, Object.fromEntries(Object.entries(response.content ?? {}).map(([type, media]) => [type, media.schema ?? {}]))]),
        ),
        secured: (op.security ?? []).some((requirement) => Object.keys(requirement).length > 0),
      });
    }
  }
  return operations;
}
