import type {} from '@strata/testing';
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import pg from 'pg';
import { type DetailedError, Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeClock, type startFilesInstance as Start, startFilesInstance } from './instance.js';
import { Client, sha256 } from './support.js';
import { TusClient } from './tus.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const KiB = 1024;
const QUOTA = 1024 * KiB;
const BLOCK = 64 * KiB;

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix, includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
}

/** A whole upload as a user's tus client makes it; resolves to the upload URL, or to the error the client gave up with. */
function tusUpload(base: string, token: string, bytes: Buffer, name: string, options: { uploadUrl?: string } = {}) {
  return new Promise<{ url: string | null; error?: DetailedError }>((resolve) => {
    const upload: Upload = new Upload(bytes, {
      ...(options.uploadUrl ? { uploadUrl: options.uploadUrl } : { endpoint: `${base}/api/v1/uploads` }),
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: name },
      chunkSize: 256 * KiB,
      retryDelays: [],
      onSuccess: () => resolve({ url: upload.url }),
      onError: (error) => resolve({ url: upload.url, error: error as DetailedError }),
    });
    upload.start();
  });
}

async function userOn(instanceUrl: string) {
  const viaGateway = await Client.user(stack);
  const direct = new Client(instanceUrl);
  direct.accessToken = viaGateway.accessToken;
  direct.userId = viaGateway.userId;
  return { direct, tus: new TusClient(instanceUrl, viaGateway.accessToken!) };
}

describe('resumable uploads reserve their length against the quota', () => {
  const clock = new FakeClock();
  let small: Awaited<ReturnType<typeof Start>>;
  let db: pg.Client;
  beforeAll(async () => {
    small = await startFilesInstance(stack, { QUOTA_BYTES: String(QUOTA), BLOCK_BYTES: String(BLOCK), UPLOAD_EXPIRY_HOURS: '1' }, clock);
    db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await small?.close();
  });

  it('refuses at creation an upload that would not fit beside an open one, and frees the bytes on termination and on completion', async () => {
    clock.set(new Date());
    const { direct, tus } = await userOn(small.url);
    const open = await tus.create(600 * KiB, 'first.bin');
    expect(open.status).toBe(201);
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, files: 0, reservedBytes: 600 * KiB, quotaBytes: QUOTA });

    // what must not work: a second upload that only fits if the open one is forgotten
    const bytes = randomBytes(600 * KiB);
    const refused = await tusUpload(small.url, direct.accessToken!, bytes, 'second.bin');
    expect(refused.error?.originalResponse?.getStatus()).toBe(413);
    expect(JSON.parse(refused.error!.originalResponse!.getBody())).toMatchObject({
      type: 'https://strata.dev/problems/quota-exceeded',
      quotaBytes: QUOTA,
      usedBytes: 0,
      reservedBytes: 600 * KiB,
    });
    expect(refused.url).toBeNull();
    // nor through the other upload path: the reservation holds against multipart uploads too
    const multipart = await direct.upload('third.bin', bytes);
    expect(multipart.status).toBe(413);
    expect(multipart.json).toMatchObject({ type: 'https://strata.dev/problems/quota-exceeded', reservedBytes: 600 * KiB });
    expect(await blobsUnder(`${direct.userId}/`)).toEqual([]);

    expect((await tus.terminate(open.headers.get('location')!)).status).toBe(204);
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, reservedBytes: 0 });

    const accepted = await tusUpload(small.url, direct.accessToken!, bytes, 'second.bin');
    expect(accepted.error).toBeUndefined();
    const fileId = (await tus.head(new URL(accepted.url!).pathname)).headers.get('x-file-id')!;
    expect((await direct.call('GET', `/api/v1/files/${fileId}`)).json).toMatchObject({ name: 'second.bin', size: bytes.length, sha256: sha256(bytes) });
    // completed: its bytes are used now, no longer reserved
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 600 * KiB, files: 1, reservedBytes: 0 });
    expect((await tus.create(400 * KiB, 'fits.bin')).status).toBe(201);
    expect((await tus.create(25 * KiB, 'does-not.bin')).status).toBe(413);
  });

  it('frees the bytes of an upload that expired', async () => {
    clock.set(new Date());
    const { direct, tus } = await userOn(small.url);
    const stale = await tus.create(900 * KiB, 'stale.bin');
    expect(stale.status).toBe(201);
    expect((await tus.create(200 * KiB, 'waits.bin')).status).toBe(413);
    clock.advance(61 * 60_000);
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ reservedBytes: 0 });
    expect((await tus.head(stale.headers.get('location')!)).status).toBe(404);
    expect((await tus.create(200 * KiB, 'waits.bin')).status).toBe(201);
  });

  it('does not let concurrent creations that together exceed the quota all through', async () => {
    clock.set(new Date());
    const { direct, tus } = await userOn(small.url);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => tus.create(300 * KiB, `racer-${i}.bin`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 201, 201, 413, 413, 413, 413, 413]);
    expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ reservedBytes: 900 * KiB });
  });

  it('ends an upload whose completion is refused for quota: later requests hear 410 and its blocks are gone', async () => {
    clock.set(new Date());
    // the quota was lowered while the upload was open: it was created on a replica that still had the old one
    const roomy = await startFilesInstance(stack, { QUOTA_BYTES: String(10 * QUOTA), BLOCK_BYTES: String(BLOCK) }, clock);
    try {
      const { direct, tus } = await userOn(roomy.url);
      const bytes = randomBytes(2 * QUOTA);
      const created = await tus.create(bytes.length, 'too-big-now.bin');
      expect(created.status).toBe(201);
      const location = created.headers.get('location')!;
      const fileId = created.headers.get('x-file-id')!;
      expect((await tus.patch(location, 0, bytes.subarray(0, QUOTA))).status).toBe(204);
      expect(await blobsUnder(`${direct.userId}/${fileId}/`)).toHaveLength(1);

      const onSmall = new TusClient(small.url, direct.accessToken!);
      const last = await onSmall.patch(location, QUOTA, bytes.subarray(QUOTA));
      expect(last.status).toBe(413);
      expect(await last.json()).toMatchObject({ type: 'https://strata.dev/problems/quota-exceeded', quotaBytes: QUOTA });

      // final: answered from the upload's record, on either replica, without a blob to read
      expect(await blobsUnder(`${direct.userId}/`)).toEqual([]);
      for (const client of [onSmall, tus]) {
        const head = await client.head(location);
        expect(head.status).toBe(410);
        const patch = await client.patch(location, QUOTA, bytes.subarray(QUOTA));
        expect(patch.status).toBe(410);
        expect(await patch.json()).toMatchObject({ type: 'https://strata.dev/problems/upload-failed', status: 410, reason: 'quota-exceeded' });
      }
      // a real client resuming it gives up at once instead of retrying
      const resumed = await tusUpload(roomy.url, direct.accessToken!, bytes, 'too-big-now.bin', { uploadUrl: `${roomy.url}${location}` });
      expect(resumed.error?.originalResponse?.getStatus()).toBe(410);

      const { rows } = await db.query<{ failure: string | null; failed: boolean; completed: boolean }>(
        'select failure, failed_at is not null as failed, completed_at is not null as completed from files.uploads where upload_id = $1',
        [location.split('/').at(-1)],
      );
      expect(rows).toEqual([{ failure: 'quota-exceeded', failed: true, completed: false }]);
      expect((await direct.call('GET', `/api/v1/files/${fileId}`)).status).toBe(404);
      expect((await direct.call('GET', '/api/v1/activity')).json.items).toEqual([]);
      expect((await direct.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, files: 0, reservedBytes: 0 });

      // giving it up still works, and forgets it
      expect((await tus.terminate(location)).status).toBe(204);
      expect((await tus.head(location)).status).toBe(404);
    } finally {
      await roomy.close();
    }
  });
});
