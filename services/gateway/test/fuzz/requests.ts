import fc from 'fast-check';
import { FIXTURE_REFS, type FixtureRef } from './fixtures.js';
import type { Operation, Parameter } from './document.js';
import { HOSTILE_RAW, type JsonSchema, anyJson, hostileText, hostileValue, validValue } from './values.js';

/**
 * One generated request, kept symbolic so a counterexample reads well and can be sent again:
 * `{{A.fileId}}` stands for user A's file, resolved when the request is sent (fixtures are made
 * again when a case uses them up).
 */
export interface CaseSpec {
  /** Path and query as they go on the wire (hostile percent-encoding kept as written). */
  target: string;
  /** Whose credentials: a user's bearer token, or something that is not one. */
  credential: Credential;
  headers: Record<string, string>;
  body?: { contentType?: string; text?: string; bytes?: number[] };
}

export type Credential =
  | { kind: 'none' }
  | { kind: 'user'; user: 'A' | 'B'; scheme: 'Bearer' | 'bearer' }
  /** A user's token made invalid: cut, its signature changed, re-signed with alg none. */
  | { kind: 'forged'; user: 'A' | 'B'; how: 'truncated' | 'tampered' | 'alg-none' | 'other-scheme' }
  | { kind: 'garbage'; header: string };

/** `arbitrary` one time in `n`, otherwise nothing. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const ref = (r: FixtureRef) => `{{${r}}}`;
const refOf = (field: string) => fc.constantFrom(...FIXTURE_REFS.filter((r) => r.endsWith(`.${field}`))).map(ref);

/** Characters Node refuses in a header value are sent as their UTF-8 bytes, as a browser would; CR, LF and NUL are dropped. */
export function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- exactly the characters a header value cannot hold
  return Buffer.from(text, 'utf8').toString('latin1').replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}

function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    // a lone surrogate has no UTF-8 form: send the bytes an encoder that does not check would
    return '%ed%a0%80';
  }
}

/** The fixtures an operation's `{id}` names, by the collection it is in; other parameters (a client id) name none. */
function fixtureFields(op: Operation, param: Parameter): string[] {
  if (param.name !== 'id') return [];
  if (op.path.includes('/uploads/')) return ['uploadId'];
  if (op.path.includes('/sessions/')) return ['sessionId'];
  return ['fileId', 'trashedId'];
}

/** A path parameter: a real id (the caller's or another user's), one valid by the schema, or a hostile one. */
function pathValue(op: Operation, param: Parameter): fc.Arbitrary<string> {
  const fields = fixtureFields(op, param);
  return fc.oneof(
    ...(fields.length > 0 ? [{ weight: 4, arbitrary: fc.oneof(...fields.map(refOf)) }] : []),
    { weight: 3, arbitrary: validValue(param.schema).map((v) => encode(String(v))) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_RAW) },
    { weight: 2, arbitrary: hostileText.map(encode) },
  );
}

function queryValue(param: Parameter): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: validValue(param.schema).map((v) => encode(String(v))) },
    { weight: 2, arbitrary: hostileValue(param.schema).map((v) => encode(typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_RAW) },
    // cursors as the API writes them (base64url of JSON), with hostile content
    { weight: 1, arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')) },
  );
}

const queryString = (op: Operation): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.tuple(...op.query.map((p) => fc.option(queryValue(p), { freq: 2 }).map((v) => (v === null ? [] : [`${p.name}=${v}`])))),
      // a repeated or unknown parameter, or a query that is not name=value at all
      sometimes(fc.oneof(fc.constantFrom('limit=1&limit=2', 'cursor=a&cursor=b', 'zzz=1', '=', '&&', 'a', '%', '%zz=1', 'q'), fc.constantFrom(...op.query.map((p) => `${p.name}[]=1`), 'x[y]=1')), 4),
    )
    .map(([parts, extra]) => {
      const all = [...parts.flat(), ...(extra ? [extra] : [])];
      return all.length > 0 ? `?${all.join('&')}` : '';
    });

/** Values that mean something to a header of this name (tus, If-Match, Idempotency-Key, Last-Event-ID). */
function knownHeaderValues(name: string): string[] {
  switch (name.toLowerCase()) {
    case 'tus-resumable':
      return ['1.0.0', '1.0.0', '0.2.2', ''];
    case 'upload-length':
    case 'upload-offset':
      return ['0', '1', '64', '65', '-1', '1e3', '999999999999999', '9999999999999999999', ' 1', '0x10'];
    case 'upload-metadata':
      return [`filename ${Buffer.from('a.txt').toString('base64')}`, `filename ${Buffer.from('../../x').toString('base64')}`, 'filename', 'filename !!!', `filename ${Buffer.from('\u0000').toString('base64')}`, 'a b c,,', `filename ${'A'.repeat(4000)}`];
    case 'if-match':
      return ['*', '"1"', 'W/"1"', '"2"', '"abc"', '"99999999999"', '"-1"'];
    default:
      return [];
  }
}

function headerValue(param: Parameter): fc.Arbitrary<string> {
  const known = knownHeaderValues(param.name);
  return fc.oneof(
    ...(known.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...known) }] : []),
    { weight: 2, arbitrary: validValue(param.schema).map((v) => headerSafe(String(v))) },
    { weight: 2, arbitrary: hostileText.map(headerSafe) },
  );
}

const credential: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('user' as const), user: fc.constantFrom('A' as const, 'A' as const, 'B' as const), scheme: fc.constantFrom('Bearer' as const, 'Bearer' as const, 'bearer' as const) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forged' as const), user: fc.constantFrom('A' as const, 'B' as const), how: fc.constantFrom('truncated' as const, 'tampered' as const, 'alg-none' as const, 'other-scheme' as const) }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom('Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ..', 'Basic', `Basic ${Buffer.from('%:x').toString('base64')}`, `Basic ${Buffer.from('a:%zz').toString('base64')}`, 'Basic !!!', 'Basic ====', 'Digest x', 'Bearer eyJ.eyJ.x'),
        hostileText.map((t) => `Bearer ${headerSafe(t)}`),
        hostileText.map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
      )
      .map((header) => ({ kind: 'garbage' as const, header })),
  },
);

const boundary = 'fuzzBoundary7MA4YWxkTrZu0gW';
function multipart(filename: string | null, content: string, close: boolean, field = 'file'): string {
  const disposition = filename === null ? `form-data; name="${field}"` : `form-data; name="${field}"; filename="${filename}"`;
  return `--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: text/plain\r\n\r\n${content}\r\n${close ? `--${boundary}--\r\n` : ''}`;
}

/** multipart/form-data bodies: a good one, one cut before its closing boundary or inside its headers, odd names and parts. */
const multipartBody = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom('a.txt', 'report.pdf', 'x'), hostileText.map(headerSafe), fc.constantFrom('../../etc/passwd', 'a/b', 'CON', '.', '..', '', ' ', 'a\\b')), fc.string({ maxLength: 200 }), fc.boolean())
    .map(([name, content, close]) => ({ contentType: `multipart/form-data; boundary=${boundary}`, text: multipart(name, content, close) })),
  fc.constantFrom(
    multipart('a.txt', 'x', true).slice(0, 30),
    multipart('a.txt', 'hello', true).slice(0, -10),
    multipart(null, 'not a file', true),
    multipart('a.txt', 'x', true, 'other'),
    multipart('a.txt', 'x', false) + multipart('b.txt', 'y', true),
    `--${boundary}--\r\n`,
    '',
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n`,
  ).map((text) => ({ contentType: `multipart/form-data; boundary=${boundary}`, text })),
  fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="unterminated', 'multipart/mixed; boundary=x').map((contentType) => ({ contentType, text: multipart('a.txt', 'x', true) })),
);

function jsonBody(schema: JsonSchema): fc.Arbitrary<string> {
  const knownFields = fc.record({ email: refOf('email'), password: refOf('password') }, { requiredKeys: [] });
  return fc.oneof(
    { weight: 3, arbitrary: validValue(schema).map((v) => JSON.stringify(v) ?? '') },
    // the fixtures' own e-mail addresses and passwords, so sign-in reaches its success path too
    { weight: 2, arbitrary: fc.tuple(validValue(schema), knownFields).map(([v, known]) => JSON.stringify(v && typeof v === 'object' && !Array.isArray(v) ? { ...v, ...known } : v) ?? '') },
    { weight: 3, arbitrary: hostileValue(schema).map((v) => JSON.stringify(v) ?? 'undefined') },
    // truncated, not JSON, or JSON of a kind a parser can choke on
    { weight: 2, arbitrary: fc.tuple(validValue(schema), fc.nat()).map(([v, n]) => { const s = JSON.stringify(v) ?? ''; return s.slice(0, s.length > 0 ? n % s.length : 0); }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', 'nul', '{"a":1,}', "{'a':1}", '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '[' .repeat(5000), `{"a":"${'x'.repeat(20_000)}"}`, '1e999999', '"\\ud800"', '{"email":"\\u0000","password":"\\u0000"}') },
  );
}

function bodyFor(op: Operation): fc.Arbitrary<CaseSpec['body'] | undefined> {
  const declared = Object.entries(op.body);
  const wrong = fc.record({
    contentType: fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'a/b/c', '', '*/*', 'application/json, text/plain', 'application/offset+octet-stream'),
    text: fc.oneof(fc.constant('{}'), fc.string({ maxLength: 50 }), fc.constant('a=1&b=%zz')),
  });
  const variants: fc.Arbitrary<CaseSpec['body'] | undefined>[] = [wrong];
  for (const [type, schema] of declared) {
    if (type.startsWith('application/json')) variants.push(jsonBody(schema).map((text) => ({ contentType: type, text })), jsonBody(schema).map((text) => ({ contentType: type, text })));
    else if (type === 'multipart/form-data') variants.push(multipartBody, multipartBody);
    else if (type === 'application/x-www-form-urlencoded') {
      variants.push(
        fc.oneof(validValue(schema), hostileValue(schema)).map((v) => ({
          contentType: type,
          text: v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${encode(k)}=${encode(typeof x === 'string' ? x : JSON.stringify(x) ?? '')}`).join('&') : encode(String(v)),
        })),
        fc.constantFrom('%zz=1', 'grant_type=client_credentials&client_id=%', 'grant_type=client_credentials&grant_type=x', '=&=&', 'a'.repeat(20_000)).map((text) => ({ contentType: type, text })),
      );
    } else variants.push(fc.uint8Array({ maxLength: 100 }).map((b) => ({ contentType: type, bytes: [...b] })));
  }
  // a body where none is declared, or none where one is: only where a body can go
  if (op.method === 'GET' || op.method === 'HEAD') return fc.constant(undefined);
  return fc.oneof({ weight: declared.length > 0 ? 1 : 3, arbitrary: fc.constant(undefined) }, { weight: declared.length > 0 ? 6 : 1, arbitrary: fc.oneof(...variants) });
}

/** A header of up to 70,000 bytes: past the sidecar's limits, Node's 16 KiB, or neither. */
const padding = sometimes(fc.constantFrom(1_000, 4_500, 8_500, 15_000, 17_000, 70_000).map((n) => 'p'.repeat(n)), 10);

/** Extra headers: an Origin, a refresh cookie (the caller's, or not one), odd Accept and Content-Encoding. */
const extraHeaders = fc.record(
  {
    origin: fc.constantFrom('{{origin}}', 'https://evil.example', 'null', ''),
    cookie: fc.oneof(fc.constantFrom('strata_refresh={{A.cookie}}', 'strata_refresh={{B.cookie}}', 'strata_refresh=', 'strata_refresh=%zz', 'strata_refresh=a.b'), hostileText.map((t) => `strata_refresh=${headerSafe(t)}`)),
    accept: fc.constantFrom('application/json', 'text/html', 'application/xml', '*/*', ''),
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x'),
  },
  { requiredKeys: [] },
);

/**
 * A well-formed request: a user's own token and ids, parameters and body valid by the schema,
 * the operation's headers with values that mean something. Hostile requests mostly stop at the
 * first check; these reach the routes' deeper paths (a sign-in that succeeds, an upload that
 * completes), where hostile content in valid places can still break something.
 */
function wellFormed(op: Operation): fc.Arbitrary<CaseSpec> {
  return fc.constantFrom('A' as const, 'B' as const).chain((user) => {
    const own = (field: string) => fc.constant(ref(`${user}.${field}` as FixtureRef));
    const pathArb = fc.tuple(
      ...op.pathParams.map((p) =>
        fixtureFields(op, p).length > 0 ? fc.oneof(fc.oneof(...fixtureFields(op, p).map(own)), validValue(p.schema).map((v) => encode(String(v)))) : validValue(p.schema).map((v) => encode(String(v))),
      ),
    );
    const query = fc.tuple(...op.query.map((p) => fc.option(validValue(p.schema).map((v) => `${p.name}=${encode(String(v))}`), { freq: 2 })));
    const headers = fc.record(Object.fromEntries(op.headers.map((h) => [h.name.toLowerCase(), knownHeaderValues(h.name).length > 0 ? fc.constantFrom(...knownHeaderValues(h.name).slice(0, 3)) : validValue(h.schema).map((v) => headerSafe(String(v)))])), {
      requiredKeys: op.headers.filter((h) => h.required || knownHeaderValues(h.name).length > 0).map((h) => h.name.toLowerCase()),
    });
    const [type, schema] = Object.entries(op.body)[0] ?? [];
    const body: fc.Arbitrary<CaseSpec['body'] | undefined> =
      type === undefined ? fc.constant(undefined)
      : type.startsWith('application/json') ? fc.oneof(validValue(schema!), fc.tuple(validValue(schema!), fc.record({ email: own('email'), password: own('password') }, { requiredKeys: [] })).map(([v, k]) => (v && typeof v === 'object' ? { ...v, ...k } : v))).map((v) => ({ contentType: type, text: JSON.stringify(v) ?? '' }))
      : type === 'multipart/form-data' ? fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 200 })).map(([name, content]) => ({ contentType: `multipart/form-data; boundary=${boundary}`, text: multipart(headerSafe(name).replaceAll('"', ''), content, true) }))
      : fc.uint8Array({ maxLength: 100 }).map((b) => ({ contentType: type, bytes: [...b] }));
    return fc.record({ path: pathArb, query, headers, body }).map(({ path, query: q, headers: h, body: b }) => {
      const parts = q.filter((x): x is string => x !== null);
      return {
        target: op.pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, path[i]!), op.path) + (parts.length > 0 ? `?${parts.join('&')}` : ''),
        credential: { kind: 'user' as const, user, scheme: 'Bearer' as const },
        headers: { ...h, ...(op.secured ? {} : { origin: '{{origin}}' }) },
        ...(b ? { body: b } : {}),
      };
    });
  });
}

/** Every request the fuzz sends to `op`: one in three well-formed, the rest with hostile parts. */
export function requestsFor(op: Operation): fc.Arbitrary<CaseSpec> {
  return fc.oneof({ weight: 2, arbitrary: hostile(op) }, { weight: 1, arbitrary: wellFormed(op) });
}

function hostile(op: Operation): fc.Arbitrary<CaseSpec> {
  const path = fc.tuple(...op.pathParams.map((p) => pathValue(op, p))).map((values) => op.pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i]!), op.path));
  const declaredHeaders = fc.record(Object.fromEntries(op.headers.map((h) => [h.name.toLowerCase(), headerValue(h)])), { requiredKeys: [] });
  return fc
    .record({
      path,
      query: op.query.length > 0 ? queryString(op) : sometimes(fc.constantFrom('?', '?%', '?a=%zz', '?x=1'), 5).map((q) => q ?? ''),
      credential,
      declared: declaredHeaders,
      extra: fc.option(extraHeaders, { freq: 2 }),
      pad: padding,
      body: bodyFor(op),
    })
    .map(({ path: p, query, credential: c, declared, extra, pad, body }) => ({
      target: p + query,
      credential: c,
      headers: { ...(extra ?? {}), ...(pad ? { 'x-fuzz-padding': pad } : {}), ...declared },
      ...(body ? { body } : {}),
    }));
}
