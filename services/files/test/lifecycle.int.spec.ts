import type {} from '@strata/testing';
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { describe, expect, inject, it } from 'vitest';
import { Client, sha256 } from './support.js';

const stack = inject('stack');
const { blobConnectionString } = stack;
const container = BlobServiceClient.fromConnectionString(blobConnectionString).getContainerClient(BLOB_CONTAINER);

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);

describe('a file from upload to purge, through the gateway', () => {
  it('upload → list → download → new version → rename → trash → restore → trash → purge', async () => {
    const alice = await Client.user(stack);

    const up = await alice.upload('Quarterly report.pdf', PDF, { type: 'text/html' });
    expect(up.status).toBe(201);
    const file = up.json as { id: string; revision: number };
    expect(up.json).toMatchObject({ name: 'Quarterly report.pdf', size: PDF.length, sha256: sha256(PDF), contentType: 'application/pdf', version: 1 });
    expect(up.headers.get('location')).toBe(`/api/v1/files/${file.id}`);

    const list = await alice.call('GET', '/api/v1/files');
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ items: [{ id: file.id, name: 'Quarterly report.pdf' }], nextCursor: null });

    // the proxied path's own answer (ETag = sha256, nosniff); a download by redirect is download-redirect.int.spec.ts
    const down = await alice.call('GET', `/api/v1/files/${file.id}/content?redirect=false`);
    expect(down.status).toBe(200);
    expect(sha256(down.bytes)).toBe(sha256(PDF));
    expect(down.headers.get('etag')).toBe(`"${sha256(PDF)}"`);
    expect(down.headers.get('content-type')).toBe('application/pdf');
    expect(down.headers.get('x-content-type-options')).toBe('nosniff');
    expect(down.headers.get('content-disposition')).toBe(`attachment; filename="Quarterly report.pdf"; filename*=UTF-8''Quarterly%20report.pdf`);

    const part = await alice.call('GET', `/api/v1/files/${file.id}/content?redirect=false`, undefined, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${PDF.length}`);
    expect(part.bytes.equals(PDF.subarray(100, 200))).toBe(true);
    const notModified = await alice.call('GET', `/api/v1/files/${file.id}/content`, undefined, { 'if-none-match': `"${sha256(PDF)}"` });
    expect(notModified.status).toBe(304);
    const beyond = await alice.call('GET', `/api/v1/files/${file.id}/content?redirect=false`, undefined, { range: `bytes=${PDF.length}-` });
    expect(beyond.status).toBe(416);
    // by redirect (the default) a Range works too: Blob Storage answers it (Azurite 3.35 answers a
    // Range past the end with the whole blob, where Azure says 416)
    const redirectedPart = await alice.call('GET', `/api/v1/files/${file.id}/content`, undefined, { range: 'bytes=100-199' });
    expect([redirectedPart.status, redirectedPart.bytes.equals(PDF.subarray(100, 200))]).toEqual([206, true]);

    const v2bytes = Buffer.from('plain text, second version\n');
    const v2 = await alice.upload('ignored.txt', v2bytes, { method: 'PUT', path: `/api/v1/files/${file.id}/content` });
    expect(v2.status).toBe(200);
    expect(v2.json).toMatchObject({ id: file.id, name: 'Quarterly report.pdf', version: 2, size: v2bytes.length, contentType: 'text/plain', sha256: sha256(v2bytes) });
    const versions = await alice.call('GET', `/api/v1/files/${file.id}/versions`);
    expect((versions.json.items as { version: number; sha256: string }[]).map((v) => [v.version, v.sha256])).toEqual([
      [1, sha256(PDF)],
      [2, sha256(v2bytes)],
    ]);
    const old = await alice.call('GET', `/api/v1/files/${file.id}/content?version=1`);
    expect(sha256(old.bytes)).toBe(sha256(PDF));
    const latest = await alice.call('GET', `/api/v1/files/${file.id}/content`);
    expect(latest.text).toBe(v2bytes.toString());

    const got = await alice.call('GET', `/api/v1/files/${file.id}`);
    const etag = got.headers.get('etag')!;
    const renamed = await alice.call('PATCH', `/api/v1/files/${file.id}`, { name: 'Q3 — final.pdf' }, { 'if-match': etag });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'Q3 — final.pdf' });
    expect(renamed.headers.get('etag')).not.toBe(etag);
    const stale = await alice.call('PATCH', `/api/v1/files/${file.id}`, { name: 'stale.pdf' }, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');

    expect((await alice.call('DELETE', `/api/v1/files/${file.id}`)).status).toBe(204);
    expect((await alice.call('GET', `/api/v1/files/${file.id}`)).status).toBe(404);
    expect((await alice.call('GET', '/api/v1/files')).json.items).toEqual([]);
    const trash = await alice.call('GET', '/api/v1/trash');
    expect(trash.json.items).toMatchObject([{ id: file.id, name: 'Q3 — final.pdf' }]);

    const restored = await alice.call('POST', `/api/v1/files/${file.id}/restore`);
    expect(restored.status).toBe(200);
    expect((await alice.call('GET', `/api/v1/files/${file.id}`)).status).toBe(200);

    expect((await alice.call('DELETE', `/api/v1/files/${file.id}`)).status).toBe(204);
    const usageBefore = await alice.call('GET', '/api/v1/usage');
    expect(usageBefore.json).toMatchObject({ bytes: PDF.length + v2bytes.length, files: 1, versions: 2 });
    // one immutable blob per version, named by ids and never by the file's name
    const blobs = await blobsUnder(`${alice.userId}/${file.id}/`);
    expect(blobs).toHaveLength(2);
    expect(blobs.every((b) => /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(b))).toBe(true);
    expect((await alice.call('DELETE', `/api/v1/trash/${file.id}`)).status).toBe(204);
    expect(await blobsUnder(`${alice.userId}/${file.id}/`)).toEqual([]);
    expect((await alice.call('GET', '/api/v1/trash')).json.items).toEqual([]);
    expect((await alice.call('POST', `/api/v1/files/${file.id}/restore`)).status).toBe(404);
    expect((await alice.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, files: 0, versions: 0, byContentType: [] });

    const activity = await alice.call('GET', '/api/v1/activity');
    const types = (activity.json.items as { type: string; actor: string; address: string | null }[]).map((a) => a.type);
    expect(types).toEqual(['FilePurged', 'FileTrashed', 'FileRestored', 'FileTrashed', 'FileRenamed', 'FileVersionAdded', 'FileUploaded']);
    expect(activity.json.items).toEqual(expect.arrayContaining([expect.objectContaining({ actor: `user:${alice.userId}`, address: expect.any(String) })]));
  });

  it('two renames with the same If-Match: one 200, one 412', async () => {
    const bob = await Client.user(stack);
    const { json } = await bob.upload('a.txt', Buffer.from('hello'));
    const id = json.id as string;
    const etag = (await bob.call('GET', `/api/v1/files/${id}`)).headers.get('etag')!;
    const results = await Promise.all([
      bob.call('PATCH', `/api/v1/files/${id}`, { name: 'one.txt' }, { 'if-match': etag }),
      bob.call('PATCH', `/api/v1/files/${id}`, { name: 'two.txt' }, { 'if-match': etag }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
  });

  it('an Idempotency-Key makes a retried upload return the first result and store nothing twice', async () => {
    const carol = await Client.user(stack);
    const bytes = randomBytes(10_000);
    const headers = { 'idempotency-key': `k-${Date.now()}` };
    const first = await carol.upload('once.bin', bytes, { headers });
    const second = await carol.upload('once.bin', bytes, { headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const concurrent = await Promise.all([1, 2, 3].map(() => carol.upload('race.bin', bytes, { headers: { 'idempotency-key': 'race' } })));
    expect(new Set(concurrent.map((r) => r.json.id)).size).toBe(1);
    expect((await carol.call('GET', '/api/v1/usage')).json).toMatchObject({ files: 2, versions: 2, bytes: 20_000 });
    // the losers of the race wrote their blobs, then dropped them
    expect(await blobsUnder(`${carol.userId}/`)).toHaveLength(2);
  });
});
