import fc from 'fast-check';

/** The part of JSON Schema the API's documents use (TypeBox output, as @fastify/swagger writes it). */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  $ref?: string;
  [key: string]: unknown;
}

/**
 * Strings that have broken parsers before, or should: malformed and hostile percent-encoding
 * (a lone `%`, invalid hex, invalid UTF-8, an encoded surrogate, NUL, `/`, dot segments), wrong
 * types, boundaries, unicode and control characters. Written as they go on the wire: the sender
 * puts them in a path or query unencoded.
 */
export const HOSTILE_RAW = [
  '%', '%f', '%ff', '%ZZ', '%00', '%2f', '%2F..%2F', '%2e%2e', '..', '.', '%c0%af', '%ed%a0%80', '%e2%82', '%ff%ff%ff%ff',
  '%25', '%3f', '%23', '%5c', '%0d%0a', '%u0041', '%%', '%252e', '~', '!$&\'()*+,;=:@',
] as const;

/** Hostile values as text (encoded before they are sent, unless a test sends them raw). */
export const HOSTILE_TEXT = [
  '', ' ', '0', '-1', '1e309', 'NaN', 'Infinity', 'true', 'null', '[]', '{}', '0x10', '99999999999999999999', '-0', '1.5',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-fffffffffffff', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  "' OR 1=1--", '"; DROP TABLE files; --', '<script>alert(1)</script>', '${jndi:ldap://x}', '../../etc/passwd', 'C:\\Windows',
  'ü', '😀', '\u202e', '\ufeff', '\u0000', '\u0001', '\u007f', '\r\n', '\t', 'a\u0000b', '\ud83d', 'Ａ', 'ǅ', '\u00a0',
] as const;

const hugeText = fc.constantFrom(1_000, 5_000, 20_000).chain((n) => fc.constantFrom('a', '%', 'é', '0').map((c) => c.repeat(n)));

/** A hostile string: a known bad one, random unicode, controls, or a huge one. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 }) },
  { weight: 1, arbitrary: hugeText },
);

/** A value of any JSON type: what a field of another type gets. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  hostileText,
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  uuid: fc.uuid(),
  email: fc.emailAddress(),
  'date-time': fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  date: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  uri: fc.webUrl(),
};

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format && FORMATS[schema.format]) return FORMATS[schema.format]!;
  if (schema.pattern) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
    } catch {
      // a pattern JavaScript cannot read: plain strings
    }
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 64, minLength + 64);
  return fc.string({ unit: 'grapheme', minLength, maxLength }).filter((s) => [...s].length >= minLength && [...s].length <= (schema.maxLength ?? Infinity));
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : undefined);
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : undefined);
  if (integer) return fc.integer({ min: min ?? -1_000_000, max: max ?? 1_000_000 });
  return fc.double({ min: min ?? -1e9, max: max ?? 1e9, noNaN: true, noDefaultInfinity: true });
}

/** A value valid by `schema` (as far as generation can tell: the server may still refuse it for its meaning). */
export function validValue(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((s) => validValue(s, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0) return validValue(Object.assign({}, ...schema.allOf) as JsonSchema, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return numberOf(schema, true);
    case 'number':
      return numberOf(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(depth > 3 ? fc.constant(null) : validValue(schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(properties)) record[name] = validValue(sub, depth + 1);
      return fc.record(record, { requiredKeys: Object.keys(properties).filter((k) => required.has(k)) });
    }
    default:
      return anyJson;
  }
}

/**
 * A value `schema` should refuse, or a valid one with hostile content: a wrong type, a string
 * past its bounds or hostile, a number out of range, an object missing what it requires or with
 * what it does not allow.
 */
export function hostileValue(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const wrongType = anyJson;
  switch (type) {
    case 'string':
      return fc.oneof(hostileText, wrongType, fc.constant('x'.repeat((schema.maxLength ?? 4096) + 1)));
    case 'integer':
    case 'number':
      return fc.oneof(wrongType, fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, 1e308, (schema.maximum ?? 0) + 1, (schema.minimum ?? 0) - 1));
    case 'object': {
      const properties = schema.properties ?? {};
      if (depth > 2 || Object.keys(properties).length === 0) return wrongType;
      const mixed: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(properties)) mixed[name] = fc.oneof(validValue(sub, depth + 1), hostileValue(sub, depth + 1));
      return fc.oneof(
        wrongType,
        // some fields hostile, some missing, and perhaps one the schema does not know
        fc.tuple(fc.record(mixed, { requiredKeys: [] }), fc.option(fc.tuple(fc.string({ maxLength: 12 }), anyJson))).map(([o, extra]) => (extra ? { ...o, [extra[0]]: extra[1] } : o)),
      );
    }
    default:
      return wrongType;
  }
}
