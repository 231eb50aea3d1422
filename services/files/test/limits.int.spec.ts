import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type startFilesInstance as Start, startFilesInstance } from './instance.js';
import { Client } from './support.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const LIMIT = 64 * 1024;
const QUOTA = 200 * 1024;

async function blobCount(prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of container.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) n++;
  return n;
}

describe('size limit and quota (an instance with small limits)', () => {
  let instance: Awaited<ReturnType<typeof Start>>;
  beforeAll(async () => {
    // small blocks, so a refused upload has staged blocks that must be dropped
    instance = await startFilesInstance(stack, { MAX_UPLOAD_BYTES: String(LIMIT), QUOTA_BYTES: String(QUOTA), BLOCK_BYTES: String(64 * 1024) });
  });
  afterAll(async () => instance?.close());

  it('takes a file of exactly the limit and refuses one byte more with 413, storing nothing', async () => {
    const user = await Client.user(stack);
    const direct = new Client(instance.url);
    direct.accessToken = user.accessToken;

    const exact = await direct.upload('exact.bin', randomBytes(LIMIT));
    expect(exact.status).toBe(201);
    const over = await direct.upload('over.bin', randomBytes(LIMIT + 1));
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ type: 'https://strata.dev/problems/file-too-large', status: 413, limitBytes: LIMIT });
    expect((await direct.call('GET', '/api/v1/files')).json.items).toMatchObject([{ name: 'exact.bin' }]);
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ files: 1, bytes: LIMIT });
    expect(await blobCount(`${user.userId}/`)).toBe(1);
  });

  it('refuses an upload beyond the quota with a clear problem', async () => {
    const user = await Client.user(stack);
    const direct = new Client(instance.url);
    direct.accessToken = user.accessToken;
    for (let i = 0; i < 3; i++) expect((await direct.upload(`f${i}.bin`, randomBytes(LIMIT))).status).toBe(201);
    const over = await direct.upload('one-too-many.bin', randomBytes(LIMIT));
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ type: 'https://strata.dev/problems/quota-exceeded', title: 'Storage quota exceeded', quotaBytes: QUOTA, usedBytes: 3 * LIMIT });
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ files: 3, bytes: 3 * LIMIT, quotaBytes: QUOTA });
    expect(await blobCount(`${user.userId}/`)).toBe(3);
  });
});
