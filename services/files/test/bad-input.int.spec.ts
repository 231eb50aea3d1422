import type {} from '@strata/testing';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, rawMultipart } from './support.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const filesUrl = `http://127.0.0.1:${stack.apps.files!.appPort}`;
/** What the gateway's sidecar adds to every call it forwards. */
const VIA_GATEWAY = { 'dapr-caller-app-id': 'gateway', 'x-strata-client-address': '203.0.113.7' };

const b64 = (text: string) => Buffer.from(text).toString('base64url');

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
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
    direct = new Client(filesUrl);
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
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, 'name=x', { 'content-type': 'text/plain' }), 400, 'rename as text');
    expectProblem(await call('PATCH', `/api/v1/files/${fileId}`, '{"name":', {}), 400, 'truncated JSON');

    const { body, contentType } = rawMultipart('filename="keyed.txt"', Buffer.from('keyed'));
    for (const key of ['has space', 'k'.repeat(201), '', 'tab\there']) {
      expectProblem(await call('POST', '/api/v1/files', body, { 'content-type': contentType, 'idempotency-key': key }), 400, `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`);
    }
    await expectUnchanged();
  });

  it('declares in the OpenAPI document every status it answered above', async () => {
    const doc = (await (await fetch(`${filesUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
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
