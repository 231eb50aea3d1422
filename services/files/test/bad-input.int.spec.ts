import type {} from '@strata/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, eventually, rawMultipart, sha256 } from './support.js';
import { TusClient } from './tus.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const filesPort = stack.apps.files!.appPort;
const filesUrl = `http://127.0.0.1:${filesPort}`;
/** What the files sidecar adds to every call the gateway forwards (the app answers nothing else). */
const VIA_GATEWAY = { 'dapr-caller-app-id': 'gateway', 'x-strata-client-address': '203.0.113.7', 'dapr-api-token': stack.appApiToken };
const MiB = 1024 * 1024;

const b64 = (text: string) => Buffer.from(text).toString('base64url');

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
}

/** The files service's log lines about one request (the stack logs each app to a file). */
function logOf(requestId: string): { level: number; msg?: string }[] {
  return readFileSync(join(stack.runDir, 'logs', 'files.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(requestId))
    .map((line) => JSON.parse(line) as { level: number; msg?: string });
}

/** Writes a request by hand and closes the connection before the body is whole. */
async function cutShort(head: string, body: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(filesPort, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body, () => {
        // give the service the bytes, then drop the connection as a crashed client would
        setImmediate(() => {
          socket.destroy();
          resolve();
        });
      });
    });
    socket.on('error', reject);
  });
}

function expectProblem(res: { status: number; headers: Headers }, status: number, what: string) {
  expect(res.status, what).toBe(status);
  expect(res.headers.get('content-type'), what).toContain('application/problem+json');
}

describe('bad input is a 4xx problem and changes nothing', () => {
  let user: Client;
  let direct: Client;
  let fileId: string;
  /** The user's activity trail, newest first, as the deliberate (valid) calls of these tests leave it. */
  const trail = ['FileUploaded'];
  /** Every answer the files app gave in these tests, to hold against the statuses its routes declare. */
  const answered: { method: string; path: string; status: number }[] = [];
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await direct.call(method, path, body, { ...VIA_GATEWAY, ...headers });
    answered.push({ method, path: path.split('?')[0]!, status: res.status });
    return res;
  };

  beforeAll(async () => {
    user = await Client.user(stack);
    direct = Client.direct(stack, 'files');
    direct.accessToken = user.accessToken;
    direct.userId = user.userId;
    const { body, contentType } = rawMultipart('filename="kept.txt"', Buffer.from('kept'));
    const up = await call('POST', '/api/v1/files', body, { 'content-type': contentType });
    expect(up.status).toBe(201);
    fileId = up.json.id as string;
  });

  /** The user's files, trail and blobs are as the first upload left them. */
  async function expectUnchanged() {
    const list = await call('GET', '/api/v1/files');
    expect((list.json.items as { id: string }[]).map((f) => f.id)).toEqual([fileId]);
    const events = (await call('GET', '/api/v1/activity')).json.items as { type: string }[];
    expect(events.map((e) => e.type)).toEqual(trail);
    expect(await blobsUnder(`${user.userId}/`)).toHaveLength(1);
    expect((await call('GET', `/api/v1/files/${fileId}`)).json).toMatchObject({ name: 'kept.txt', revision: 1 });
  }

  it('refuses garbage list cursors with 400', async () => {
    const id = randomUUID();
    const cursors = [
      '%ff%ff',
      '%ff'.repeat(300),
      '!!!!',
      b64('nope'),
      b64('{"a":1}'),
      b64('[1,"x"]'),
      b64(`["x","${'-'.repeat(36)}"]`),
      b64(`["x","${id}"]`),
      b64(`["2026-02-31T00:00:00.000Z","${id}"]`),
      b64(`["1","${id.toUpperCase()}"]`),
      'A'.repeat(5000),
    ];
    for (const cursor of cursors) {
      expectProblem(await call('GET', `/api/v1/files?cursor=${cursor}`), 400, `cursor ${cursor.slice(0, 40)}`);
    }
    // well-formed, but for another sort order, or holding what no name holds
    expectProblem(await call('GET', `/api/v1/files?sort=size&cursor=${b64(`["x","${id}"]`)}`), 400, 'size cursor');
    expectProblem(await call('GET', `/api/v1/files?sort=size&cursor=${b64(`["2026-01-01T00:00:00.000Z","${id}"]`)}`), 400, 'timestamp cursor for size');
    expectProblem(await call('GET', `/api/v1/files?sort=name&cursor=${b64(`["a\\u0000","${id}"]`)}`), 400, 'NUL in a name cursor');
    for (const cursor of [b64(`1|${'-'.repeat(36)}`), b64(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`), b64(`2026-01-01T00:00:00.000Z|${id}|x`), '%ff']) {
      expectProblem(await call('GET', `/api/v1/trash?cursor=${cursor}`), 400, `trash cursor ${cursor}`);
    }
    expectProblem(await call('GET', '/api/v1/activity?cursor=99999999999999999999'), 400, 'activity cursor');
    // a cursor the API gave out still works
    expect((await call('GET', `/api/v1/files?sort=size&cursor=${b64(`["0","${id}"]`)}`)).status).toBe(200);
    await expectUnchanged();
  });

  it('refuses malformed percent-encoding, control characters and oversized query strings', async () => {
    for (const query of ['q=%00', 'q=%0A', 'q=%ZZ', 'q=%ED%A0%80', 'q=%', `q=${'a'.repeat(300)}`, 'sort=%00', 'limit=%00', `x=${'a'.repeat(12_000)}`]) {
      expectProblem(await call('GET', `/api/v1/files?${query}`), 400, query.slice(0, 30));
    }
    expectProblem(await call('GET', '/api/v1/usage?x=%ZZ'), 400, 'usage with an undecodable query');
    expectProblem(await call('GET', `/api/v1/files/${fileId}/content?version=99999999999`), 400, 'version past integer');
    // past Node's header limit the connection itself refuses the request, before any route
    expect((await direct.call('GET', `/api/v1/files?q=${'a'.repeat(20_000)}`)).status).toBe(431);
    expect((await call('GET', `/api/v1/files?q=${encodeURIComponent('100%')}`)).status).toBe(200);
    await expectUnchanged();
  });

  it('refuses ids that are not canonical UUIDs on every route that takes one', async () => {
    const bad = ['%00', `${fileId}%00`, '%0A', 'urn:uuid:00000000-0000-0000-0000-000000000000', fileId.toUpperCase(), 'not-an-id', '-'.repeat(36)];
    const routes: [string, (id: string) => string, unknown?][] = [
      ['GET', (id) => `/api/v1/files/${id}`],
      ['PATCH', (id) => `/api/v1/files/${id}`, { name: 'renamed.txt' }],
      ['DELETE', (id) => `/api/v1/files/${id}`],
      ['GET', (id) => `/api/v1/files/${id}/content`],
      ['GET', (id) => `/api/v1/files/${id}/versions`],
      ['POST', (id) => `/api/v1/files/${id}/restore`],
      ['DELETE', (id) => `/api/v1/trash/${id}`],
      ['GET', (id) => `/api/v1/files/${id}/grants`],
      ['POST', (id) => `/api/v1/files/${id}/grants`, { clientId: 'partner-x' }],
      ['DELETE', (id) => `/api/v1/files/${id}/grants/partner-x`],
      ['PUT', (id) => `/api/v1/files/${id}/star`],
      ['DELETE', (id) => `/api/v1/files/${id}/star`],
      ['GET', (id) => `/api/v1/folders/${id}`],
      ['PATCH', (id) => `/api/v1/folders/${id}`, { name: 'renamed' }],
      ['DELETE', (id) => `/api/v1/folders/${id}`],
      ['POST', (id) => `/api/v1/folders/${id}/restore`],
      ['GET', (id) => `/api/v1/folders/${id}/children`],
      ['PUT', (id) => `/api/v1/folders/${id}/star`],
      ['DELETE', (id) => `/api/v1/folders/${id}/star`],
    ];
    for (const [method, path, body] of routes) {
      for (const id of bad) expectProblem(await call(method, path(id), body), 400, `${method} ${path(id)}`);
    }
    const tus = { 'tus-resumable': '1.0.0' };
    for (const id of bad) {
      expect((await call('HEAD', `/api/v1/uploads/${id}`, undefined, tus)).status, `HEAD upload ${id}`).toBe(400);
      expectProblem(await call('DELETE', `/api/v1/uploads/${id}`, undefined, tus), 400, `DELETE upload ${id}`);
      expectProblem(
        await call('PATCH', `/api/v1/uploads/${id}`, Buffer.from('x'), { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
        400,
        `PATCH upload ${id}`,
      );
    }
    // the router refuses what does not percent-decode before any route runs (Fastify's own 400 body)
    expect((await call('GET', '/api/v1/files/%ZZ')).status).toBe(400);
    await expectUnchanged();
  });

  it('refuses a multipart body that is cut, malformed or holds two files, and keeps none of its bytes', async () => {
    const boundary = 'strata-hostile-boundary';
    const type = `multipart/form-data; boundary=${boundary}`;
    const part = (name: string, filename: string, bytes: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${bytes}`;
    const cases: [string, string, string, number, string][] = [
      ['cut before the closing boundary', type, part('file', 'a.txt', 'hello'), 400, 'incomplete-body'],
      ['cut after a delimiter', type, `${part('file', 'a.txt', 'hello')}\r\n--${boundary}`, 400, 'incomplete-body'],
      ['no boundary in the content type', 'multipart/form-data', `${part('file', 'a.txt', 'hello')}\r\n--${boundary}--\r\n`, 400, 'malformed-body'],
      ['another boundary in the body', type, `${part('file', 'a.txt', 'hello').replaceAll(boundary, 'other')}\r\n--other--\r\n`, 400, 'incomplete-body'],
      ['not multipart at all', type, 'garbage', 400, 'incomplete-body'],
      ['no file part', type, `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--${boundary}--\r\n`, 400, 'bad-request'],
      ['a file in another part', type, `${part('upload', 'a.txt', 'hello')}\r\n--${boundary}--\r\n`, 400, 'bad-request'],
      ['two file parts', type, `${part('file', 'a.txt', 'hello')}\r\n${part('file', 'b.txt', 'second')}\r\n--${boundary}--\r\n`, 400, 'malformed-body'],
      ['a file, then another file part', type, `${part('file', 'a.txt', 'hello')}\r\n${part('extra', 'b.txt', 'second')}\r\n--${boundary}--\r\n`, 400, 'malformed-body'],
      [
        'oversized part headers',
        type,
        `--${boundary}\r\nX-Padding: ${'p'.repeat(100_000)}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--${boundary}--\r\n`,
        400,
        'bad-request',
      ],
    ];
    for (const [what, contentType, body, status, problem] of cases) {
      for (const [method, path] of [
        ['POST', '/api/v1/files'],
        ['PUT', `/api/v1/files/${fileId}/content`],
      ] as const) {
        const res = await call(method, path, Buffer.from(body), { 'content-type': contentType });
        expectProblem(res, status, `${method} ${what}`);
        expect(res.json.type, `${method} ${what}`).toBe(`https://strata.dev/problems/${problem}`);
      }
      // through the gateway (whose own handling is being rewritten): some 4xx, never a 5xx
      const viaGateway = await user.call('POST', '/api/v1/files', Buffer.from(body), { 'content-type': contentType });
      expect(viaGateway.status, `gateway: ${what}`).toBeGreaterThanOrEqual(400);
      expect(viaGateway.status, `gateway: ${what}`).toBeLessThan(500);
    }
    // a field after the file is fine
    const withField = `${part('file', 'field-after.txt', 'hello')}\r\n--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--${boundary}--\r\n`;
    const ok = await call('POST', '/api/v1/files', Buffer.from(withField), { 'content-type': type });
    expect(ok.status).toBe(201);
    expect((await call('DELETE', `/api/v1/files/${ok.json.id as string}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/trash/${ok.json.id as string}`)).status).toBe(204);
    trail.unshift('FilePurged', 'FileTrashed', 'FileUploaded');
    await expectUnchanged();
  });

  it('drops the staged blocks of a multipart upload whose connection closes mid-body, and logs no error', async () => {
    const boundary = 'strata-cut-boundary';
    const requestId = randomUUID();
    // past one 4 MiB block: at least one block is staged before the cut
    const partial = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      randomBytes(6 * MiB),
    ]);
    await cutShort(
      `POST /api/v1/files HTTP/1.1\r\nHost: files\r\nAuthorization: Bearer ${user.accessToken}\r\nDapr-Api-Token: ${stack.appApiToken}\r\nX-Request-Id: ${requestId}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${partial.length + 10 * MiB}\r\n\r\n`,
      partial,
    );
    // the client is gone and reads no answer: the service's log tells what it made of the request
    await eventually('the cut upload refused', async () => (logOf(requestId).some((l) => l.msg === 'upload refused; its staged blocks were dropped') ? true : undefined));
    expect(await blobsUnder(`${user.userId}/`)).toHaveLength(1);
    await expectUnchanged();
    expect(logOf(requestId).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('keeps the bytes of a tus PATCH cut short and resumes from them, and refuses wrong offsets and types', async () => {
    const tus = new TusClient(filesUrl, user.accessToken!, { 'dapr-api-token': stack.appApiToken });
    const bytes = randomBytes(3 * MiB);
    const created = await tus.create(bytes.length, 'resumed.bin');
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const requestId = randomUUID();
    await cutShort(
      `PATCH ${location} HTTP/1.1\r\nHost: files\r\nAuthorization: Bearer ${user.accessToken}\r\nDapr-Api-Token: ${stack.appApiToken}\r\nX-Request-Id: ${requestId}\r\nTus-Resumable: 1.0.0\r\n` +
        `Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: ${bytes.length}\r\n\r\n`,
      bytes.subarray(0, MiB),
    );
    await eventually('the cut chunk stored', async () => (logOf(requestId).some((l) => l.msg?.startsWith('upload chunk cut short')) ? true : undefined));
    // bytes that arrived were staged (tus keeps them), never more than arrived
    const offset = await tus.offset(location);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(MiB);

    const wrongOffset = await tus.patch(location, offset + 1, bytes.subarray(offset + 1));
    expectProblem(wrongOffset, 409, 'wrong Upload-Offset');
    expect(wrongOffset.headers.get('upload-offset')).toBe(String(offset));
    expectProblem(await tus.patch(location, offset, bytes.subarray(offset, offset + 1000), undefined, 'text/plain'), 415, 'text/plain chunk');
    // a body of a type nobody parses is the wrong type whatever its size
    expectProblem(await tus.patch(location, offset, bytes.subarray(offset), undefined, 'text/plain'), 415, 'a large text/plain chunk');
    expectProblem(await tus.patch(location, offset, bytes.subarray(offset, offset + 1000), undefined, 'application/json'), 400, 'a JSON chunk');
    const noOffset = await fetch(`${filesUrl}${location}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.accessToken}`, 'dapr-api-token': stack.appApiToken, 'tus-resumable': '1.0.0', 'content-type': 'application/offset+octet-stream', 'upload-offset': 'ten' },
      body: bytes.subarray(offset),
    });
    expectProblem(noOffset, 400, 'Upload-Offset not a number');
    expect(await tus.offset(location)).toBe(offset);

    // a chunk without Content-Length that goes past Upload-Length: refused when it does, the bytes before it kept
    async function* tooLong() {
      yield bytes.subarray(offset);
      yield Buffer.from('one byte too many');
    }
    expectProblem(await tus.patch(location, offset, tooLong()), 413, 'a chunked body past Upload-Length');
    expect(await tus.offset(location)).toBe(offset);

    const last = await tus.patch(location, offset, bytes.subarray(offset));
    expect(last.status).toBe(204);
    const resumedId = last.headers.get('x-file-id')!;
    expect((await call('GET', `/api/v1/files/${resumedId}`)).json).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
    expect((await call('DELETE', `/api/v1/files/${resumedId}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/trash/${resumedId}`)).status).toBe(204);
    trail.unshift('FilePurged', 'FileTrashed', 'FileUploaded');
    await eventually('the purged blob deleted', async () => ((await blobsUnder(`${user.userId}/`)).length === 1 ? true : undefined));
    // a cut chunk is the client's doing: a 4xx in the log, not an error
    expect(logOf(requestId).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('refuses bad tus creation headers, If-Match and Idempotency-Key', async () => {
    const create = (headers: Record<string, string>) => call('POST', '/api/v1/uploads', undefined, { 'tus-resumable': '1.0.0', ...headers });
    const name = `filename ${Buffer.from('x.bin').toString('base64')}`;
    expectProblem(await create({ 'upload-length': 'ten', 'upload-metadata': name }), 400, 'Upload-Length not a number');
    expectProblem(await create({ 'upload-length': '-1', 'upload-metadata': name }), 400, 'negative Upload-Length');
    expectProblem(await create({ 'upload-length': '1'.repeat(40), 'upload-metadata': name }), 400, 'huge Upload-Length');
    expectProblem(await create({ 'upload-length': '10', 'upload-metadata': 'filename !!!' }), 400, 'metadata not base64');
    expectProblem(await create({ 'upload-length': '10', 'upload-metadata': `filename ${'A'.repeat(5000)}` }), 400, 'oversized metadata');
    expectProblem(await create({ 'upload-length': '10', 'upload-metadata': `filename ${Buffer.from('a\u0000b').toString('base64')}` }), 422, 'NUL in the name');
    expect((await call('GET', '/api/v1/usage')).json).toMatchObject({ reservedBytes: 0 });

    for (const ifMatch of ['garbage', '"abc"', 'W/"1" junk', '"99999999999"']) {
      expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, { name: 'renamed.txt' }, { 'if-match': ifMatch }), 412, `If-Match ${ifMatch}`);
    }
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, { name: 'renamed.txt' }, { 'if-match': `"${'1'.repeat(200)}"` }), 400, 'oversized If-Match');
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, '<name>x</name>', { 'content-type': 'application/xml' }), 415, 'rename as XML');
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, 'name=x', { 'content-type': 'text/plain' }), 415, 'rename as text');
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, '{"name":', {}), 400, 'truncated JSON');

    const { body, contentType } = rawMultipart('filename="keyed.txt"', Buffer.from('keyed'));
    for (const key of ['has space', 'k'.repeat(201), '', 'tab\there']) {
      expectProblem(await call('POST', '/api/v1/files', body, { 'content-type': contentType, 'idempotency-key': key }), 400, `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`);
    }
    await expectUnchanged();
  });

  it('declares in the OpenAPI document every status it answered above', async () => {
    const doc = (await (await fetch(`${filesUrl}/openapi.json`, { headers: { 'dapr-api-token': stack.appApiToken } })).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const templates = Object.keys(doc.paths).map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
    const undeclared = new Set<string>();
    expect(answered.length).toBeGreaterThan(100);
    for (const { method, path, status } of answered) {
      const template = templates.find((t) => t.pattern.test(path))?.template;
      if (!template) throw new Error(`no route in the document for ${path}`);
      if (!doc.paths[template]?.[method.toLowerCase()]?.responses[String(status)]) undeclared.add(`${method} ${template} ${status}`);
    }
    expect([...undeclared]).toEqual([]);
  });
});
