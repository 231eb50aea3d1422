import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, sha256 } from './support.js';
import { TusClient, fileBytes, sha256Of, spawnReplica } from './tus.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const MiB = 1024 * 1024;
/** Size of the kill-during-chunk file; FILES_TUS_TEST_MIB=2048 runs the 2 GiB case. */
const BIG = Number(process.env.FILES_TUS_TEST_MIB ?? 256) * MiB;

async function stagedOrCommitted(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) names.push(b.name);
  return names;
}

describe('resumable uploads (tus 1.0) through the gateway', () => {
  it('creates, resumes after a wrong offset, completes, and the file has the right bytes', async () => {
    const user = await Client.user(stack);
    const tus = new TusClient(stack.gatewayUrl, user.accessToken!);
    const options = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, { method: 'OPTIONS', headers: { authorization: `Bearer ${user.accessToken}` } });
    expect(options.status).toBe(204);
    expect(options.headers.get('tus-version')).toBe('1.0.0');
    expect(options.headers.get('tus-extension')).toContain('termination');

    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3 * MiB)]);
    const created = await tus.create(bytes.length, 'scan.pdf');
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toMatch(/^\/api\/v1\/uploads\/[0-9a-f-]{36}$/);
    expect(await tus.offset(location)).toBe(0);

    expect((await tus.patch(location, 0, bytes.subarray(0, 1000), undefined, 'application/octet-stream')).status).toBe(415);
    const first = await tus.patch(location, 0, bytes.subarray(0, MiB));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(MiB));
    const wrong = await tus.patch(location, 0, bytes.subarray(0, MiB));
    expect(wrong.status).toBe(409);
    expect(await tus.offset(location)).toBe(MiB);
    const tooMuch = await tus.patch(location, MiB, Buffer.concat([bytes.subarray(MiB), Buffer.from('x')]));
    expect(tooMuch.status).toBe(413);

    const other = await Client.user(stack);
    expect((await new TusClient(stack.gatewayUrl, other.accessToken!).head(location)).status).toBe(404);
    expect((await new TusClient(stack.gatewayUrl, other.accessToken!).patch(location, MiB, bytes.subarray(MiB))).status).toBe(404);

    const last = await tus.patch(location, await tus.offset(location), bytes.subarray(await tus.offset(location)));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(bytes.length));
    const fileId = last.headers.get('x-file-id')!;
    const file = await user.call('GET', `/api/v1/files/${fileId}`);
    expect(file.json).toMatchObject({ name: 'scan.pdf', size: bytes.length, sha256: sha256(bytes), contentType: 'application/pdf' });
    const content = await user.call('GET', `/api/v1/files/${fileId}/content`);
    expect(sha256(content.bytes)).toBe(sha256(bytes));
    expect(await tus.offset(location)).toBe(bytes.length);
  });

  it('terminates an upload and deletes its staged bytes', async () => {
    const user = await Client.user(stack);
    const tus = new TusClient(stack.gatewayUrl, user.accessToken!);
    const location = (await tus.create(2 * MiB, 'dropped.bin')).headers.get('location')!;
    expect((await tus.patch(location, 0, randomBytes(MiB))).status).toBe(204);
    expect(await stagedOrCommitted(`${user.userId}/`)).toHaveLength(1);
    expect((await tus.terminate(location)).status).toBe(204);
    expect((await tus.head(location)).status).toBe(404);
    expect(await stagedOrCommitted(`${user.userId}/`)).toEqual([]);
    expect((await user.call('GET', '/api/v1/files')).json.items).toEqual([]);
  });

  it('refuses a hostile name, a missing length and a wrong tus version', async () => {
    const user = await Client.user(stack);
    const tus = new TusClient(stack.gatewayUrl, user.accessToken!);
    expect((await tus.create(10, '../../etc/passwd')).status).toBe(422);
    expect((await tus.create(10, 'rtl\u202Etxt.exe')).status).toBe(422);
    const noLength = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}`, 'tus-resumable': '1.0.0' } });
    expect(noLength.status).toBe(400);
    const oldVersion = await fetch(`${stack.gatewayUrl}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${user.accessToken}`, 'tus-resumable': '0.2.2', 'upload-length': '10' } });
    expect(oldVersion.status).toBe(412);
  });
});

describe('a resumable upload survives a kill of the server process mid-chunk and a change of replica', () => {
  const replicas: { kill: () => Promise<void> }[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.kill();
  });

  it(`uploads ${BIG / MiB} MiB through replica A, killed (SIGKILL) mid-chunk; replica B resumes from the staged blocks`, async () => {
    const user = await Client.user(stack);
    const a = await spawnReplica(stack);
    replicas.push(a);
    const tus = new TusClient(a.url, user.accessToken!);
    const created = await tus.create(BIG, 'big.bin');
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;

    // one PATCH for the whole file; the process dies when about 40% has been sent
    let killed: Promise<void> | undefined;
    const cut = Math.floor(BIG * 0.4);
    const attempt = tus.patch(
      location,
      0,
      fileBytes(0, BIG, (sent) => {
        if (sent >= cut && !killed) killed = a.kill();
      }),
    );
    await expect(attempt).rejects.toThrow();
    await killed;

    const b = await spawnReplica(stack);
    replicas.push(b);
    tus.base = b.url;
    const offset = await tus.offset(location);
    // the kill came mid-chunk: some bytes were staged, not all that were sent, and the offset is exactly what is staged
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(BIG);

    // the client connection breaks this time, on replica B
    const controller = new AbortController();
    const cut2 = Math.floor((BIG - offset) / 2);
    const second = tus.patch(location, offset, fileBytes(offset, BIG, (sent) => sent >= cut2 && controller.abort()), controller.signal);
    await expect(second).rejects.toThrow();
    // the replica may still be staging what it received: the offset settles
    let resumeAt = await tus.offset(location);
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const again = await tus.offset(location);
      if (again === resumeAt) break;
      resumeAt = again;
    }
    expect(resumeAt).toBeGreaterThanOrEqual(offset);

    // and the last part goes through the gateway (yet another replica, the stack's own)
    tus.base = stack.gatewayUrl;
    const last = await tus.patch(location, resumeAt, fileBytes(resumeAt, BIG));
    expect(last.status).toBe(204);
    const fileId = last.headers.get('x-file-id')!;
    const file = await user.call('GET', `/api/v1/files/${fileId}`);
    const expected = await sha256Of(0, BIG);
    expect(file.json).toMatchObject({ name: 'big.bin', size: BIG, sha256: expected });

    // the stored bytes, read back from Blob Storage, are the file's bytes
    const blobs = (await stagedOrCommitted(`${user.userId}/${fileId}/`));
    expect(blobs).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    const download = await container.getBlockBlobClient(blobs[0]!).download();
    for await (const chunk of download.readableStreamBody as AsyncIterable<Buffer>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(expected);
  }, 300_000);
});
