import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeClock, type startFilesInstance as Start, startFilesInstance } from './instance.js';
import { openEventStream } from '@strata/testing/client';
import { Client, eventually } from './support.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Each of a file's blobs as Azurite tells it (the name ends with the version id). */
async function blobsOf(ownerId: string, fileId: string) {
  const out: { name: string; accessTier: string | undefined; archiveStatus: string | undefined }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${ownerId}/${fileId}/` })) {
    const properties = await container.getBlockBlobClient(blob.name).getProperties();
    out.push({ name: blob.name, accessTier: properties.accessTier, archiveStatus: properties.archiveStatus });
  }
  return out;
}

describe('archived files come back: a download starts their rehydration, the job sees them hot', () => {
  const clock = new FakeClock();
  let instance: Awaited<ReturnType<typeof Start>>;
  /** Calls the instance this test drives the clock of. */
  let user: Client;
  /** The same user through the gateway (to the stack's own files, on the real clock). */
  let viaGateway: Client;
  let other: Client;
  /*
   * The stack's own files replica runs the jobs every minute on the real clock, and would find the
   * pending rehydration too (Azurite says hot at once). The test holds the jobs' lock, which that
   * replica takes for each round, and calls the two jobs itself on its clock.
   */
  const jobsLock = new pg.Client({ connectionString: stack.databaseUrl, application_name: 'files-rehydration-test' });
  const tierJob = () => instance.app.jobs.applyTiers();
  const rehydrationJob = () => instance.app.jobs.watchRehydrations();
  const activity = async (fileId: string) => {
    const items = (await user.call('GET', '/api/v1/activity?limit=200')).json.items as { fileId: string; type: string; actor: string; details: Record<string, unknown> }[];
    return items.filter((e) => e.fileId === fileId);
  };
  const typesOf = async (fileId: string) => (await activity(fileId)).map((e) => e.type).reverse();

  beforeAll(async () => {
    await jobsLock.connect();
    await jobsLock.query(`select pg_advisory_lock(hashtext('strata.files.jobs'))`);
    instance = await startFilesInstance(stack, { REHYDRATE_RETRY_AFTER_SECONDS: '120', REHYDRATE_PRIORITY: 'Standard' }, clock);
    viaGateway = await Client.user(stack);
    user = new Client(instance.url);
    user.accessToken = viaGateway.accessToken;
    user.userId = viaGateway.userId;
    const otherViaGateway = await Client.user(stack);
    other = new Client(instance.url);
    other.accessToken = otherViaGateway.accessToken;
  });
  afterAll(async () => {
    await instance?.close();
    await jobsLock.end();
  });

  it('answers 202 with Retry-After, records one request, and serves the bytes once the job has read the blob back hot', async () => {
    clock.set(new Date());
    const bytes = Buffer.from('cold storage, warm again');
    const id = (await user.upload('cold.txt', bytes)).json.id as string;
    clock.advance(92 * DAY);
    await tierJob();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Archive', rehydrating: false, rehydrationRequestedAt: null });
    expect((await blobsOf(user.userId!, id)).map((b) => b.accessTier)).toEqual(['Archive']);

    // someone else cannot read it, nor make it come back
    expect((await other.call('GET', `/api/v1/files/${id}/content`)).status).toBe(404);
    expect((await viaGateway.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ rehydrating: false });
    expect(await typesOf(id)).toEqual(['FileUploaded', 'FileTierChanged']);

    // the owner's live stream at the gateway: both events reach it, as their published contracts
    const live = await openEventStream(stack.gatewayUrl, viaGateway.accessToken!);
    const requestedAt = clock.now().toISOString();
    const first = await user.call('GET', `/api/v1/files/${id}/content`);
    expect(first.status).toBe(202);
    expect(first.headers.get('retry-after')).toBe('120');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.headers.get('content-disposition')).toBeNull();
    expect(first.json).toEqual({ id, version: 1, state: 'rehydrating', requestedAt, priority: 'Standard', retryAfterSeconds: 120 });
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Archive', rehydrating: true, rehydrationRequestedAt: requestedAt });
    const listed = (await user.call('GET', '/api/v1/files?limit=200')).json.items as { id: string; rehydrating: boolean }[];
    expect(listed.find((f) => f.id === id)).toMatchObject({ rehydrating: true });

    // What Azurite 3.35 does with the Set Blob Tier: it answers 202 as Azure does, but moves the
    // tier to Hot at once and never reports archiveStatus (Azure keeps Archive and
    // rehydrate-pending-to-hot for hours). The file stays "rehydrating" until the job has looked.
    expect(await blobsOf(user.userId!, id)).toMatchObject([{ accessTier: 'Hot', archiveStatus: undefined }]);

    // a second download while pending asks for nothing more; through the gateway the 202 and its
    // Retry-After reach the client (the stack's own files replica: its default of 900 s)
    clock.advance(10 * 60_000);
    const again = await viaGateway.call('GET', `/api/v1/files/${id}/content`);
    expect(again.status).toBe(202);
    expect(again.headers.get('retry-after')).toBe('900');
    expect(again.json).toMatchObject({ state: 'rehydrating', requestedAt });
    expect((await user.call('GET', `/api/v1/files/${id}/content`)).status).toBe(202);
    expect((await typesOf(id)).filter((t) => t === 'FileRehydrationRequested')).toHaveLength(1);

    // The job reads the tier back rather than trusting the request: with the blob archived again
    // behind its back (as a lost request leaves it), it records nothing and asks again.
    await container.getBlockBlobClient(`${(await blobsOf(user.userId!, id))[0]!.name}`).setAccessTier('Archive');
    clock.advance(1 * HOUR);
    expect(await rehydrationJob()).toBe(0);
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ rehydrating: true });
    expect((await user.call('GET', `/api/v1/files/${id}/content`)).status).toBe(202);
    expect((await blobsOf(user.userId!, id)).map((b) => b.accessTier)).toEqual(['Hot']);

    clock.advance(1 * HOUR);
    const rehydratedAt = clock.now().toISOString();
    expect(await rehydrationJob()).toBe(1);
    const trail = await activity(id);
    expect(trail[0]).toMatchObject({ type: 'FileRehydrated', actor: 'system', details: { requestedAt, rehydratedAt } });
    expect(trail.find((e) => e.type === 'FileRehydrationRequested')).toMatchObject({ actor: `user:${user.userId}`, details: { priority: 'Standard', requestedAt } });
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Hot', rehydrating: false, rehydrationRequestedAt: null });

    const seen = await eventually('both events on the live stream', async () => {
      const mine = live.events.map((e) => JSON.parse(e.data) as { type: string; data: { fileId: string } }).filter((e) => e.data.fileId === id);
      return mine.length >= 2 ? mine : undefined;
    });
    await live.close();
    expect(seen).toMatchObject([
      { type: 'FileRehydrationRequested', data: { fileId: id, ownerId: user.userId, priority: 'Standard', requestedAt } },
      { type: 'FileRehydrated', data: { fileId: id, ownerId: user.userId, requestedAt, rehydratedAt } },
    ]);

    const download = await user.call('GET', `/api/v1/files/${id}/content`);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(bytes)).toBe(true);
    const throughGateway = await viaGateway.call('GET', `/api/v1/files/${id}/content`);
    expect(throughGateway.status).toBe(200);
    expect(throughGateway.bytes.equals(bytes)).toBe(true);
    expect(await rehydrationJob()).toBe(0);

    // read at the rehydration: the tier job counts the file's age from then, not from its upload
    clock.advance(30 * DAY);
    await tierJob();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Hot' });
    clock.advance(62 * DAY);
    await tierJob();
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Archive' });
    expect((await blobsOf(user.userId!, id)).map((b) => b.accessTier)).toEqual(['Archive']);
  });

  it('keeps an older version archived beside a new hot one, and brings it back when it is downloaded', async () => {
    clock.set(new Date());
    const first = Buffer.from('version one, archived');
    const second = Buffer.from('version two, written hot');
    const id = (await user.upload('versions.txt', first)).json.id as string;
    clock.advance(92 * DAY);
    await tierJob();
    expect((await user.upload('versions.txt', second, { method: 'PUT', path: `/api/v1/files/${id}/content` })).status).toBe(200);
    expect((await user.call('GET', `/api/v1/files/${id}/versions`)).json.items).toMatchObject([
      { version: 1, tier: 'Archive' },
      { version: 2, tier: 'Hot' },
    ]);
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Hot', rehydrating: false });

    // cooling the file leaves the archived blob archived: warming it would be a rehydration
    clock.advance(32 * DAY);
    await tierJob();
    expect((await user.call('GET', `/api/v1/files/${id}/versions`)).json.items).toMatchObject([
      { version: 1, tier: 'Archive' },
      { version: 2, tier: 'Cool' },
    ]);
    const tiers = async () => Object.fromEntries((await blobsOf(user.userId!, id)).map((b) => [b.accessTier, true]));
    expect(await tiers()).toEqual({ Archive: true, Cool: true });

    expect((await user.call('GET', `/api/v1/files/${id}/content`)).text).toBe(second.toString());
    const old = await user.call('GET', `/api/v1/files/${id}/content?version=1`);
    expect(old.status).toBe(202);
    expect(old.json).toMatchObject({ version: 1, state: 'rehydrating' });
    expect((await user.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ tier: 'Cool', rehydrating: true });

    clock.advance(1 * HOUR);
    expect(await rehydrationJob()).toBe(1);
    expect((await user.call('GET', `/api/v1/files/${id}/versions`)).json.items).toMatchObject([
      { version: 1, tier: 'Hot' },
      { version: 2, tier: 'Cool' },
    ]);
    const back = await user.call('GET', `/api/v1/files/${id}/content?version=1`);
    expect(back.status).toBe(200);
    expect(back.bytes.equals(first)).toBe(true);
  });
});
