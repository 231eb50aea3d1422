import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * The API contract partners' SDKs were built against: the OpenAPI document as last released
 * (`clients/openapi.released.json`). `breakingChanges(released, current)` lists what the current
 * document takes away from it; `npm test` fails on any. Additions (routes, optional parameters and
 * request fields, response fields, response statuses) are fine: an SDK generated from the released
 * document keeps working. What breaks one:
 *
 * - a route or a method removed;
 * - a 2xx response removed, or a field of a response (at any depth, through $ref) removed, no longer
 *   always sent (required before, optional now), or of another type;
 * - a new required request field or required parameter (old clients do not send it), a parameter
 *   removed, or a request field or an enum value removed from what the request accepts.
 */
export const RELEASED_FILE = join(REPO_ROOT, 'clients', 'openapi.released.json');

type Json = Record<string, unknown>;
interface Doc extends Json {
  paths?: Record<string, Record<string, Json>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A node with its $ref followed (local refs only, as our documents use), however deep the chain. */
function deref(doc: Doc, node: unknown, seen = new Set<string>()): Json | undefined {
  if (!isObject(node)) return undefined;
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  if (!ref.startsWith('#/') || seen.has(ref)) return undefined;
  seen.add(ref);
  let target: unknown = doc;
  for (const part of ref.slice(2).split('/')) target = isObject(target) ? target[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
  return deref(doc, target, seen);
}

/** The JSON type(s) a schema allows, as a sorted list ('' when it does not say). */
function typesOf(schema: Json): string {
  const t = schema.type;
  if (Array.isArray(t)) return [...t].map(String).sort().join('|');
  if (typeof t === 'string') return t;
  if ('const' in schema) return typeof schema.const === 'string' ? 'string' : '';
  return '';
}

const requiredOf = (schema: Json) => new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
const propertiesOf = (schema: Json) => (isObject(schema.properties) ? schema.properties : {});
const enumOf = (schema: Json): unknown[] | undefined => (Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : undefined);

interface Walk {
  released: Doc;
  current: Doc;
  breaks: string[];
  /** ref pairs already compared (schemas are recursive: a folder holds folders) */
  visited: Set<string>;
}

/** A response's schema: what the server sends. Taking anything away breaks a reader. */
function compareResponse(w: Walk, where: string, r0: unknown, c0: unknown, depth = 0): void {
  const key = `${JSON.stringify(r0)}=>${JSON.stringify(c0)}`;
  if (depth > 32 || w.visited.has(key)) return;
  w.visited.add(key);
  const r = deref(w.released, r0);
  const c = deref(w.current, c0);
  if (!r || !c) return;
  const rt = typesOf(r);
  const ct = typesOf(c);
  if (rt && ct && rt !== ct && !ct.split('|').every((t) => rt.split('|').includes(t))) w.breaks.push(`${where}: type ${rt} became ${ct}`);
  const rp = propertiesOf(r);
  const cp = propertiesOf(c);
  const rreq = requiredOf(r);
  const creq = requiredOf(c);
  for (const [name, schema] of Object.entries(rp)) {
    if (!(name in cp)) {
      w.breaks.push(`${where}: response field ${name} removed`);
      continue;
    }
    if (rreq.has(name) && !creq.has(name)) w.breaks.push(`${where}: response field ${name} is no longer always sent`);
    compareResponse(w, `${where}.${name}`, schema, cp[name], depth + 1);
  }
  if (r.items !== undefined && c.items !== undefined) compareResponse(w, `${where}[]`, r.items, c.items, depth + 1);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const ra = r[k];
    const ca = c[k];
    if (Array.isArray(ra) && Array.isArray(ca) && ra.length === ca.length) ra.forEach((s, i) => compareResponse(w, `${where}<${k}${i}>`, s, ca[i], depth + 1));
  }
}

/** A request's schema: what a client sends. Asking for more, or accepting less, breaks a sender. */
function compareRequest(w: Walk, where: string, r0: unknown, c0: unknown, depth = 0): void {
  const key = `req:${JSON.stringify(r0)}=>${JSON.stringify(c0)}`;
  if (depth > 32 || w.visited.has(key)) return;
  w.visited.add(key);
  const r = deref(w.released, r0);
  const c = deref(w.current, c0);
  if (!r || !c) return;
  const rt = typesOf(r);
  const ct = typesOf(c);
  if (rt && ct && !rt.split('|').every((t) => ct.split('|').includes(t))) w.breaks.push(`${where}: type ${rt} became ${ct}`);
  const rp = propertiesOf(r);
  const cp = propertiesOf(c);
  const rreq = requiredOf(r);
  for (const name of requiredOf(c)) {
    if (!rreq.has(name)) w.breaks.push(`${where}: new required request field ${name}`);
  }
  for (const [name, schema] of Object.entries(rp)) {
    if (!(name in cp)) {
      // a closed object refuses what it no longer knows; an open one ignores it
      if (c.additionalProperties === false) w.breaks.push(`${where}: request field ${name} removed`);
      continue;
    }
    compareRequest(w, `${where}.${name}`, schema, cp[name], depth + 1);
  }
  const re = enumOf(r);
  const ce = enumOf(c);
  if (re && ce) for (const v of re) if (!ce.some((x) => JSON.stringify(x) === JSON.stringify(v))) w.breaks.push(`${where}: value ${JSON.stringify(v)} no longer accepted`);
  if (r.items !== undefined && c.items !== undefined) compareRequest(w, `${where}[]`, r.items, c.items, depth + 1);
  for (const k of ['anyOf', 'oneOf'] as const) {
    const ra = r[k];
    const ca = c[k];
    // each alternative that was accepted must still be: compare by their JSON when they are plain
    if (Array.isArray(ra) && Array.isArray(ca)) {
      for (const alt of ra) {
        const text = JSON.stringify(deref(w.released, alt));
        if (!ca.some((x) => JSON.stringify(deref(w.current, x)) === text) && ra.length !== ca.length) w.breaks.push(`${where}: an accepted alternative (${text.slice(0, 80)}) is gone`);
      }
      if (ra.length === ca.length) ra.forEach((s, i) => compareRequest(w, `${where}<${k}${i}>`, s, ca[i], depth + 1));
    }
  }
}

function parametersOf(doc: Doc, pathItem: Json, op: Json): Map<string, Json> {
  const all = [...(Array.isArray(pathItem.parameters) ? pathItem.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])];
  const out = new Map<string, Json>();
  for (const p of all) {
    const param = deref(doc, p);
    if (param && typeof param.name === 'string' && typeof param.in === 'string') out.set(`${param.in} ${param.in === 'header' ? param.name.toLowerCase() : param.name}`, param);
  }
  return out;
}

const contentOf = (doc: Doc, node: unknown): Record<string, Json> => {
  const n = deref(doc, node);
  return n && isObject(n.content) ? (n.content as Record<string, Json>) : {};
};

/** What the current document takes away from the released one, one line each; empty when nothing. */
export function breakingChanges(released: Doc, current: Doc): string[] {
  const w: Walk = { released, current, breaks: [], visited: new Set() };
  for (const [path, rItem] of Object.entries(released.paths ?? {})) {
    const cItem = current.paths?.[path];
    for (const method of METHODS) {
      const rOp = rItem[method];
      if (!isObject(rOp)) continue;
      const route = `${method.toUpperCase()} ${path}`;
      // each route reports its own breaks; within one, a recursive schema is compared once
      w.visited = new Set();
      const cOp = cItem?.[method];
      if (!isObject(cOp) || !cItem) {
        w.breaks.push(`${route}: route removed`);
        continue;
      }
      const rParams = parametersOf(released, rItem, rOp);
      const cParams = parametersOf(current, cItem, cOp);
      for (const [key, param] of cParams) {
        const before = rParams.get(key);
        if (param.required === true && before?.required !== true) w.breaks.push(`${route}: new required parameter ${key}`);
        if (before) compareRequest(w, `${route} parameter ${key}`, before.schema, param.schema);
      }
      for (const key of rParams.keys()) if (!cParams.has(key)) w.breaks.push(`${route}: parameter ${key} removed`);

      const rBody = deref(released, rOp.requestBody);
      const cBody = deref(current, cOp.requestBody);
      if (cBody?.required === true && rBody?.required !== true) w.breaks.push(`${route}: a request body is now required`);
      const rContent = contentOf(released, rOp.requestBody);
      const cContent = contentOf(current, cOp.requestBody);
      for (const [type, media] of Object.entries(rContent)) {
        const now = cContent[type];
        if (!now) w.breaks.push(`${route}: request body ${type} no longer accepted`);
        else compareRequest(w, `${route} body`, media.schema, now.schema);
      }

      const rResponses = isObject(rOp.responses) ? rOp.responses : {};
      const cResponses = isObject(cOp.responses) ? cOp.responses : {};
      for (const [status, response] of Object.entries(rResponses)) {
        if (!/^2/.test(status)) continue;
        if (!(status in cResponses)) {
          w.breaks.push(`${route}: response ${status} removed`);
          continue;
        }
        const cMedia = contentOf(current, cResponses[status]);
        for (const [type, media] of Object.entries(contentOf(released, response))) {
          const now = cMedia[type];
          if (!now) w.breaks.push(`${route}: response ${status} ${type} removed`);
          else compareResponse(w, `${route} ${status}`, media.schema, now.schema);
        }
      }
    }
  }
  return [...new Set(w.breaks)];
}

/** The released document, or undefined before the first release. */
export function releasedDocument(): Doc | undefined {
  return existsSync(RELEASED_FILE) ? (JSON.parse(readFileSync(RELEASED_FILE, 'utf8')) as Doc) : undefined;
}
