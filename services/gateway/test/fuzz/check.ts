import { canonicalPath } from '@strata/service-kit';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Operation } from './document.js';
import type { RawAnswer } from './send.js';
import type { CaseSpec } from './requests.js';
import type { JsonSchema } from './values.js';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats.default(ajv);
const compiled = new WeakMap<JsonSchema, ValidateFunction>();
const validatorOf = (schema: JsonSchema) => {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
};

/** The generic problem every refusal is: what an answer to a request that no longer names this operation must be. */
const PROBLEM: JsonSchema = { type: 'object', required: ['type', 'title', 'status'], properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' } } };

const mediaType = (header: string | string[] | undefined) => String(header ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Whether the request still addresses this operation once the platform has read its path: a path
 * parameter written `..` or `.` names another path, and one that cannot be read is refused before
 * any route. Decided by service-kit's own canonical form, the one every app routes on.
 */
export function addresses(op: Operation, target: string): 'operation' | 'elsewhere' | 'unreadable' {
  const path = target.split('?')[0]!;
  let canonical: string;
  try {
    canonical = canonicalPath(path);
  } catch {
    return 'unreadable';
  }
  const pattern = new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return pattern.test(canonical) ? 'operation' : 'elsewhere';
}

/** What is wrong with this answer to this request; empty when nothing is. */
export function problemsWith(op: Operation, spec: CaseSpec, answer: RawAnswer, context: { crossUser: boolean }): string[] {
  const found: string[] = [];
  const status = String(answer.status);
  if (answer.status >= 500) found.push(`answered ${status}, a server error`);
  const where = addresses(op, spec.target);
  const type = mediaType(answer.headers['content-type']);
  let declared: Record<string, JsonSchema> | undefined;
  if (where === 'operation') {
    declared = op.responses[status];
    if (!declared) found.push(`answered ${status}, which ${op.key} does not declare (it declares ${Object.keys(op.responses).join(', ')})`);
  } else if (answer.status >= 400) {
    // a path that reads as another one: any refusal, as a problem
    declared = { 'application/problem+json': PROBLEM };
  }
  const authenticated = spec.credential.kind === 'user';
  if (op.secured && !authenticated && answer.status >= 200 && answer.status < 300) found.push(`answered ${status} to a request without valid credentials (${spec.credential.kind})`);
  if (context.crossUser && answer.status >= 200 && answer.status < 300) found.push(`answered ${status} to a request naming another user's resource`);
  if (declared && op.method !== 'HEAD') found.push(...bodyProblems(declared, type, answer));
  return found;
}

function bodyProblems(declared: Record<string, JsonSchema>, type: string, answer: RawAnswer): string[] {
  const types = Object.keys(declared);
  if (types.length === 0) return answer.body.length > 0 ? [`sent a ${answer.body.length}-byte body where none is declared`] : [];
  // a declared media range (`*/*`, `text/*`) takes every type in it
  const schema = declared[type] ?? declared[`${type.split('/')[0]}/*`] ?? declared['*/*'];
  if (!schema) return [`sent content type "${type}", not one declared (${types.join(', ')})`];
  if (type === 'text/event-stream' || !/json/.test(type) || !declared[type]) return [];
  if (schema.type === 'null' && answer.body.length === 0) return [];
  let value: unknown;
  try {
    value = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return [`sent a body that is not JSON: ${JSON.stringify(answer.body.toString('utf8').slice(0, 200))}`];
  }
  const validate = validatorOf(schema);
  if (validate(value)) return [];
  return [`sent a body that does not match its schema: ${ajv.errorsText(validate.errors)}; body ${JSON.stringify(value).slice(0, 300)}`];
}
