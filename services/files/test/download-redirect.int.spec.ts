/**
 * Downloads by valet key: files answers GET /files/{id}/content with a 307 to a read-only SAS URL
 * of exactly that version's blob, and Azurite (real) serves the bytes. What must work (the bytes,
 * a Range, the Azure SDK on the URL, the forced headers, the versioned variant, the proxied path
 * on request and by setting) beside what must not (a write with the SAS, another blob's path, a
 * tampered signature, an expired URL, another user, a trashed file, the gateway keeping it).
 */
import type {} from '@strata/testing';
import { BlobClient, BlockBlobClient, RestError } from '@azure/storage-blob';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { contentDisposition } from '../src/routes/content.js';
import { startFilesInstance } from './instance.js';
import { Client, sha256 } from './support.js';

const stack = inject('stack');
const azurite = new URL(/BlobEndpoint=([^;]+)/.exec(stack.blobConnectionString)![1]!);

/** A deterministic body large enough for several Azurite reads. */
const BYTES = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 31 + 7) & 0xff));
const HTML = Buffer.from('<!doctype html><html><body><script>parent.stolen = document.cookie</script></body></html>');

async function redirectOf(client: Client, path: string, init: RequestInit = {}) {
  const res = await fetch(`${client.base}${path}`, {
    redirect: 'manual',
    ...init,
    headers: { authorization: `Bearer ${client.accessToken!}`, ...(init.headers as Record<string, string> | undefined) },
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, location: res.headers.get('location') };
}

/** The location of a 307, checked to be one. */
async function sasOf(client: Client, path: string): Promise<string> {
  const res = await redirectOf(client, path);
  expect(res.status, `${path}: ${res.body.toString()}`).toBe(307);
  expect(res.location).toBeTruthy();
  return res.location!;
}

describe('downloads by redirect to a read-only SAS URL', () => {
  let owner: Client;
  let other: Client;
  let fileId: string;
  let secondId: string;
  let htmlId: string;
  let fileName: string;

  beforeAll(async () => {
    owner = await Client.user(stack);
    other = await Client.user(stack);
    const up = await owner.upload('Résumé "final" <1>.bin', BYTES);
    expect(up.status).toBe(201);
    fileId = up.json.id as string;
    fileName = up.json.name as string;
    htmlId = (await owner.upload('page.html', HTML, { type: 'text/html' })).json.id as string;
    secondId = (await owner.upload('second.txt', Buffer.from('another blob of the same user'))).json.id as string;
  });

  it('answers 307 through the gateway, unchanged and uncached, with a URL of Azurite as clients reach it', async () => {
    const res = await redirectOf(owner, `/api/v1/files/${fileId}/content`);
    expect(res.status).toBe(307);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-cache')).toBeNull();
    expect(res.headers.get('x-file-version')).toBe('1');
    expect(res.body.length).toBe(0);
    const url = new URL(res.location!);
    expect(url.origin).toBe(azurite.origin);
    expect(url.pathname).toMatch(new RegExp(`^${azurite.pathname}/strata-files/${owner.userId}/${fileId}/[0-9a-f-]{36}$`));
    const q = url.searchParams;
    expect([q.get('sp'), q.get('sr')]).toEqual(['r', 'b']);
    const lifetime = new Date(q.get('se')!).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(250_000);
    expect(lifetime).toBeLessThanOrEqual(300_000);
    // HEAD is redirected the same way (307 keeps the method)
    const head = await redirectOf(owner, `/api/v1/files/${fileId}/content`, { method: 'HEAD' });
    expect(head.status).toBe(307);
    const properties = await fetch(head.location!, { method: 'HEAD' });
    expect([properties.status, properties.headers.get('content-length')]).toEqual([200, String(BYTES.length)]);
  });

  it('serves the right bytes, a Range, and the forced headers, to plain fetch and to the Azure SDK', async () => {
    const location = await sasOf(owner, `/api/v1/files/${fileId}/content`);
    const whole = await fetch(location);
    expect(whole.status).toBe(200);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(BYTES));
    // an attachment, with the exact name in RFC 5987 form and an ASCII fallback
    expect(whole.headers.get('content-type')).toBe('application/octet-stream');
    // (the name as stored: FormData sends the quotes percent-encoded)
    expect(whole.headers.get('content-disposition')).toBe(contentDisposition(fileName));
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment; filename="R_sum_ [^"]*<1>\.bin"; filename\*=UTF-8''R%C3%A9sum%C3%A9%20.*%3C1%3E\.bin$/);
    expect(whole.headers.get('cache-control')).toBe('private, no-store');
    // HTML is never served as HTML, whatever the blob was stored with
    const page = await fetch(await sasOf(owner, `/api/v1/files/${htmlId}/content`));
    expect(page.headers.get('content-type')).toBe('application/octet-stream');
    expect(page.headers.get('content-disposition')).toBe(`attachment; filename="page.html"; filename*=UTF-8''page.html`);
    expect(Buffer.from(await page.arrayBuffer())).toEqual(HTML);
    const text = await fetch(await sasOf(owner, `/api/v1/files/${secondId}/content`));
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');

    const range = await fetch(location, { headers: { range: 'bytes=1048570-1048599' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 1048570-1048599/${BYTES.length}`);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(BYTES.subarray(1048570, 1048600));
    // (a suffix range, bytes=-5, is not tried: Azurite 3.35 answers it with Content-Length NaN; Azure serves it)

    const sdk = new BlobClient(location);
    expect(sha256(await sdk.downloadToBuffer())).toBe(sha256(BYTES));
    const part = await sdk.download(100, 50);
    const chunks: Buffer[] = [];
    for await (const chunk of part.readableStreamBody!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(BYTES.subarray(100, 150));
    expect(part.contentDisposition).toMatch(/^attachment; /);
  });

  it('is followed by a client that just fetches (the Authorization header stays on the API\'s origin)', async () => {
    const res = await owner.call('GET', `/api/v1/files/${fileId}/content`);
    expect(res.status).toBe(200);
    expect(sha256(res.bytes)).toBe(sha256(BYTES));
    const ranged = await owner.call('GET', `/api/v1/files/${fileId}/content`, undefined, { range: 'bytes=0-9' });
    expect([ranged.status, ranged.bytes]).toEqual([206, BYTES.subarray(0, 10)]);
    // the generated client follows too
    const { data, response } = await owner.api.GET('/api/v1/files/{id}/content', { params: { path: { id: fileId } }, parseAs: 'arrayBuffer' });
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(data as ArrayBuffer))).toBe(sha256(BYTES));
  });

  it('is read-only: a write or a delete with the SAS is refused and the blob is unchanged', async () => {
    const location = await sasOf(owner, `/api/v1/files/${fileId}/content`);
    const put = await fetch(location, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
    expect(put.status).toBe(403);
    await expect(new BlockBlobClient(location).upload('overwritten', 11)).rejects.toMatchObject({ statusCode: 403 });
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(403);
    const staged = await fetch(`${location}&comp=block&blockid=${Buffer.from('0001').toString('base64')}`, { method: 'PUT', body: 'x' });
    expect(staged.status).toBe(403);
    expect(sha256(Buffer.from(await (await fetch(location)).arrayBuffer()))).toBe(sha256(BYTES));
  });

  it('names only that blob: another blob, another container or a tampered signature is refused by Blob Storage', async () => {
    const location = new URL(await sasOf(owner, `/api/v1/files/${fileId}/content`));
    const secondBlob = new URL(await sasOf(owner, `/api/v1/files/${secondId}/content`));
    const elsewhere = (pathname: string) => `${location.origin}${pathname}${location.search}`;
    // the same user's other file
    expect((await fetch(elsewhere(secondBlob.pathname))).status).toBe(403);
    // the container's listing, another container, a sibling name
    expect((await fetch(`${location.origin}${azurite.pathname}/strata-files${location.search}&restype=container&comp=list`)).status).toBe(403);
    expect((await fetch(elsewhere(location.pathname.replace('/strata-files/', '/other-container/')))).status).toBe(403);
    expect((await fetch(elsewhere(`${location.pathname}x`))).status).toBe(403);
    // widened permissions, a later expiry, another forced header: the signature no longer matches
    for (const [name, value] of [['sp', 'rw'], ['se', new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')], ['rsct', 'text/html'], ['rscd', 'inline']] as const) {
      const tampered = new URL(location);
      tampered.searchParams.set(name, value);
      expect((await fetch(tampered)).status, name).toBe(403);
    }
    const badSig = new URL(location);
    badSig.searchParams.set('sig', Buffer.alloc(32, 1).toString('base64'));
    expect((await fetch(badSig)).status).toBe(403);
    expect((await fetch(location)).status).toBe(200);
  });

  it("never issues a SAS for A's blob to B: 404, no Location, on the latest and the versioned variant", async () => {
    for (const path of [`/api/v1/files/${fileId}/content`, `/api/v1/files/${fileId}/content?version=1`, `/api/v1/files/${fileId}/content?redirect=true`]) {
      const res = await redirectOf(other, path);
      expect(res.status, path).toBe(404);
      expect(res.location, path).toBeNull();
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.toString()).not.toContain('sig=');
    }
    const anonymous = await fetch(`${owner.base}/api/v1/files/${fileId}/content`, { redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([401, null]);
  });

  it('gives no redirect for a trashed file (the gateway kept no earlier one), and one again once restored', async () => {
    const id = (await owner.upload('to-trash.txt', Buffer.from('soon in the trash'))).json.id as string;
    expect((await redirectOf(owner, `/api/v1/files/${id}/content`)).status).toBe(307);
    expect((await owner.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    for (const path of [`/api/v1/files/${id}/content`, `/api/v1/files/${id}/content?version=1`]) {
      const res = await redirectOf(owner, path);
      expect([res.status, res.location]).toEqual([404, null]);
    }
    expect((await owner.call('POST', `/api/v1/files/${id}/restore`)).status).toBe(200);
    expect((await fetch(await sasOf(owner, `/api/v1/files/${id}/content`))).status).toBe(200);
  });

  it('points at exactly the version asked for', async () => {
    const id = (await owner.upload('versions.txt', Buffer.from('version one'))).json.id as string;
    expect((await owner.upload('versions.txt', Buffer.from('version two!'), { method: 'PUT', path: `/api/v1/files/${id}/content` })).status).toBe(200);
    const v1 = await sasOf(owner, `/api/v1/files/${id}/content?version=1`);
    const latest = await sasOf(owner, `/api/v1/files/${id}/content`);
    expect(new URL(v1).pathname).not.toBe(new URL(latest).pathname);
    expect(await (await fetch(v1)).text()).toBe('version one');
    expect(await (await fetch(latest)).text()).toBe('version two!');
    expect((await redirectOf(owner, `/api/v1/files/${id}/content?version=3`)).status).toBe(404);
  });

  it('keeps the proxied path for clients that ask (?redirect=false), and the ETag check before any redirect', async () => {
    const res = await redirectOf(owner, `/api/v1/files/${fileId}/content?redirect=false`);
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(sha256(BYTES));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('etag')).toBe(`"${sha256(BYTES)}"`);
    const cached = await redirectOf(owner, `/api/v1/files/${fileId}/content`, { headers: { 'if-none-match': `"${sha256(BYTES)}"` } });
    expect([cached.status, cached.location]).toEqual([304, null]);
    const bad = await redirectOf(owner, `/api/v1/files/${fileId}/content?redirect=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('a download by link (GET /files/{id}/content/link, what the UI navigates to)', () => {
  it('gives the owner the same kind of URL as JSON, never cached, and nobody else anything', async () => {
    const owner = await Client.user(stack);
    const other = await Client.user(stack);
    const id = (await owner.upload('linked.txt', Buffer.from('by link'))).json.id as string;
    const res = await owner.call('GET', `/api/v1/files/${id}/content/link`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { url, expiresAt, version, size } = res.json as { url: string; expiresAt: string; version: number; size: number };
    expect([version, size]).toEqual([1, 7]);
    expect(new Date(expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    expect(new URL(url).searchParams.get('se')).toBe(new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'));
    const got = await fetch(url);
    expect([got.status, await got.text(), got.headers.get('content-disposition')]).toEqual([200, 'by link', `attachment; filename="linked.txt"; filename*=UTF-8''linked.txt`]);

    const theirs = await other.call('GET', `/api/v1/files/${id}/content/link`);
    expect([theirs.status, theirs.text.includes('sig=')]).toEqual([404, false]);
    expect((await owner.call('GET', `/api/v1/files/${id}/content/link?version=2`)).status).toBe(404);
    expect((await owner.call('GET', `/api/v1/files/${id}/content/link?version=zero`)).status).toBe(400);
    // the gateway keeps none: after the trash, no link
    expect((await owner.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    expect((await owner.call('GET', `/api/v1/files/${id}/content/link`)).status).toBe(404);
  });
});

describe('the settings of downloads by redirect', () => {
  let short: Awaited<ReturnType<typeof startFilesInstance>>;
  let proxied: Awaited<ReturnType<typeof startFilesInstance>>;
  let viaGateway: Client;
  let fileId: string;
  const direct = (instance: { url: string }) => {
    const client = new Client(instance.url);
    client.accessToken = viaGateway.accessToken;
    return client;
  };

  beforeAll(async () => {
    short = await startFilesInstance(stack, { DOWNLOAD_SAS_TTL_SECONDS: '2' });
    proxied = await startFilesInstance(stack, { DOWNLOAD_REDIRECT: 'false' });
    viaGateway = await Client.user(stack);
    fileId = (await viaGateway.upload('expiring.bin', BYTES.subarray(0, 4096))).json.id as string;
  });
  afterAll(async () => {
    await short?.close();
    await proxied?.close();
  });

  it('a short SAS lifetime: the URL works at once, then Blob Storage refuses it (403)', async () => {
    const location = await sasOf(direct(short), `/api/v1/files/${fileId}/content`);
    expect(new Date(new URL(location).searchParams.get('se')!).getTime() - Date.now()).toBeLessThanOrEqual(2_000);
    expect((await fetch(location)).status).toBe(200);
    await sleep(3_500);
    const expired = await fetch(location);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/AuthenticationFailed|AuthorizationFailure|expire/i);
    await expect(new BlobClient(location).downloadToBuffer()).rejects.toBeInstanceOf(RestError);
  });

  it('DOWNLOAD_REDIRECT=false streams the bytes and issues no SAS, whatever the client asks', async () => {
    const client = direct(proxied);
    for (const path of [`/api/v1/files/${fileId}/content`, `/api/v1/files/${fileId}/content?redirect=true`]) {
      const res = await redirectOf(client, path);
      expect([res.status, res.location], path).toEqual([200, null]);
      expect(res.body).toEqual(BYTES.subarray(0, 4096));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const link = await client.call('GET', `/api/v1/files/${fileId}/content/link`);
    expect(link.status).toBe(409);
    expect(link.json.type).toMatch(/\/redirects-off$/);
  });
});
