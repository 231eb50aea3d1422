import type {} from '@strata/testing';
import { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINER } from '@strata/contracts';
import { EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../src/db/schema.js';
import type { JobReport } from '../src/jobs/jobs.js';
import { fileList, projections } from '../src/projections/index.js';
import { fileDecider, fileStream } from '../src/streams.js';
import { FakeClock, type startFilesInstance as Start, startFilesInstance } from './instance.js';
import { Client, eventually, sha256 } from './support.js';

const stack = inject('stack');
const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
const DAY = 86_400_000;
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2, application_name: 'files-versions-test' });
const db = kyselyFromPool(pool) as Kysely<Database>;
afterAll(async () => db.destroy());

async function blobsOf(ownerId: string, fileId: string) {
  const out: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${ownerId}/${fileId}/` })) out.push(blob.name);
  return out.sort();
}
const download = async (user: Client, id: string, version?: number) => (await user.call('GET', `/api/v1/files/${id}/content?redirect=false${version ? `&version=${version}` : ''}`)).text;
const versions = async (user: Client, id: string) => (await user.call('GET', `/api/v1/files/${id}/versions`)).json.items as { version: number; sha256: string; label: string | null; restoredFrom: number | null }[];

describe('versions through the gateway: restore, name, delete', () => {
  it('restores an old version as a new current one that shares its blob; usage counts the bytes once', async () => {
    const a = await Client.user(stack);
    const id = (await a.upload('notes.txt', Buffer.from('one'))).json.id as string;
    expect((await a.upload('notes.txt', Buffer.from('two-two'), { method: 'PUT', path: `/api/v1/files/${id}/content` })).status).toBe(200);
    expect(await blobsOf(a.userId!, id)).toHaveLength(2);

    const restored = await a.call('POST', `/api/v1/files/${id}/versions/1/restore`);
    expect(restored.status).toBe(200);
    expect(restored.json).toMatchObject({ id, version: 3, size: 3, sha256: sha256(Buffer.from('one')) });
    expect(restored.headers.get('etag')).toBe(`"${restored.json.revision as number}"`);
    expect(await download(a, id)).toBe('one');
    expect(await versions(a, id)).toMatchObject([
      { version: 1, restoredFrom: null, label: null },
      { version: 2, restoredFrom: null },
      { version: 3, restoredFrom: 1, sha256: sha256(Buffer.from('one')) },
    ]);
    // no copy: still two blobs
    expect(await blobsOf(a.userId!, id)).toHaveLength(2);
    // three versions, 10 bytes stored (3 + 7): the restore added none; the old versions hold 7 the current one does not share
    expect((await a.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 10, files: 1, versions: 3, oldVersions: 2, versionBytes: 7 });

    // a stale If-Match is refused, and changes nothing
    const stale = await a.call('POST', `/api/v1/files/${id}/versions/2/restore`, undefined, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect((await a.call('GET', `/api/v1/files/${id}`)).json).toMatchObject({ version: 3 });

    const activity = (await a.call('GET', '/api/v1/activity?limit=1')).json.items;
    expect(activity).toMatchObject([{ type: 'FileVersionRestored', fileId: id, details: { version: 3, restoredFrom: 1, size: 3 } }]);
    expect(JSON.stringify(activity)).not.toContain('blobName');
  });

  it('deletes an old version, never the current one; a blob two versions share goes only with the last of them', async () => {
    const a = await Client.user(stack);
    const id = (await a.upload('plan.txt', Buffer.from('alpha'))).json.id as string;
    await a.upload('plan.txt', Buffer.from('beta-beta'), { method: 'PUT', path: `/api/v1/files/${id}/content` });
    expect((await a.call('POST', `/api/v1/files/${id}/versions/1/restore`)).status).toBe(200);
    const blobs = await blobsOf(a.userId!, id);
    expect(blobs).toHaveLength(2);

    const current = await a.call('DELETE', `/api/v1/files/${id}/versions/3`);
    expect(current.status).toBe(409);
    expect(current.headers.get('content-type')).toContain('application/problem+json');
    expect(current.json).toMatchObject({ type: 'https://strata.dev/problems/version-current', status: 409, version: 3 });
    expect(current.json.detail).toMatch(/current version/);

    // version 1's blob is version 3's too: the version goes, the blob stays, the usage is unchanged
    expect((await a.call('DELETE', `/api/v1/files/${id}/versions/1`)).status).toBe(204);
    expect((await versions(a, id)).map((v) => v.version)).toEqual([2, 3]);
    expect(await blobsOf(a.userId!, id)).toEqual(blobs);
    expect(await download(a, id, 3)).toBe('alpha');
    expect((await a.call('GET', `/api/v1/files/${id}/content?redirect=false&version=1`)).status).toBe(404);
    expect((await a.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 14, versions: 2, oldVersions: 1, versionBytes: 9 });
    expect((await a.call('DELETE', `/api/v1/files/${id}/versions/1`)).status).toBe(404);

    // a new version, then the restored one deleted: now its blob goes
    await a.upload('plan.txt', Buffer.from('gamma'), { method: 'PUT', path: `/api/v1/files/${id}/content` });
    expect((await a.call('DELETE', `/api/v1/files/${id}/versions/3`)).status).toBe(204);
    // of the first two blobs only version 2's is left (beside version 4's)
    const left = await blobsOf(a.userId!, id);
    expect(left).toHaveLength(2);
    expect(left.filter((b) => blobs.includes(b))).toHaveLength(1);
    expect((await versions(a, id)).map((v) => v.version)).toEqual([2, 4]);
    expect((await a.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 14, versions: 2, oldVersions: 1, versionBytes: 9 });
    const trail = (await a.call('GET', '/api/v1/activity?limit=1')).json.items;
    expect(trail).toMatchObject([{ type: 'FileVersionDeleted', fileId: id, actor: `user:${a.userId}`, details: { version: 3, reason: 'user', bytes: 5 } }]);

    // purged, the file's last blobs go and the usage is back to nothing
    expect((await a.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    expect((await a.call('DELETE', `/api/v1/trash/${id}`)).status).toBe(204);
    expect(await blobsOf(a.userId!, id)).toEqual([]);
    expect((await a.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 0, files: 0, versions: 0, oldVersions: 0, versionBytes: 0 });
  });

  it('purges a file whose versions share a blob: each blob deleted once, the usage back to zero', async () => {
    const a = await Client.user(stack);
    const id = (await a.upload('x.txt', Buffer.from('first'))).json.id as string;
    await a.upload('x.txt', Buffer.from('second!'), { method: 'PUT', path: `/api/v1/files/${id}/content` });
    expect((await a.call('POST', `/api/v1/files/${id}/versions/1/restore`)).status).toBe(200);
    expect((await a.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 12, versions: 3 });
    expect((await a.call('DELETE', `/api/v1/files/${id}`)).status).toBe(204);
    expect((await a.call('DELETE', `/api/v1/trash/${id}`)).status).toBe(204);
    expect(await blobsOf(a.userId!, id)).toEqual([]);
    const usage = (await a.call('GET', '/api/v1/usage')).json;
    expect(usage).toMatchObject({ bytes: 0, files: 0, versions: 0, byContentType: [] });
  });

  it('names versions within limits; a bad label is a 400 and changes nothing', async () => {
    const a = await Client.user(stack);
    const id = (await a.upload('contract.txt', Buffer.from('draft'))).json.id as string;
    await a.upload('contract.txt', Buffer.from('signed'), { method: 'PUT', path: `/api/v1/files/${id}/content` });

    const named = await a.call('PATCH', `/api/v1/files/${id}/versions/1`, { label: 'Café draft' });
    expect(named.status).toBe(200);
    expect(named.json).toMatchObject({ version: 1, label: 'Café draft' });
    expect((await versions(a, id)).map((v) => v.label)).toEqual(['Café draft', null]);

    const bad: unknown[] = [{ label: '' }, { label: ' padded' }, { label: 'in\u202Evoice' }, { label: 'a\u0000b' }, { label: 'x'.repeat(101) }, { label: ['a', 'b'] }, { label: { text: 'x' } }, {}, { label: 'ok', extra: 1 }];
    for (const body of bad) {
      const res = await a.call('PATCH', `/api/v1/files/${id}/versions/1`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type'), JSON.stringify(body)).toContain('application/problem+json');
    }
    expect((await a.call('PATCH', `/api/v1/files/${id}/versions/9`, { label: 'nope' })).status).toBe(404);
    for (const n of ['0', 'abc', '-1', '99999999999']) expect((await a.call('PATCH', `/api/v1/files/${id}/versions/${n}`, { label: 'x' })).status, n).toBe(400);
    expect((await versions(a, id)).map((v) => v.label)).toEqual(['Café draft', null]);

    const cleared = await a.call('PATCH', `/api/v1/files/${id}/versions/1`, { label: null });
    expect(cleared.json).toMatchObject({ version: 1, label: null });
    expect((await a.call('GET', '/api/v1/activity?limit=1')).json.items).toMatchObject([{ type: 'FileVersionLabelled', details: { version: 1, label: null } }]);
  });

  it("answers 404 to user B on A's versions, live or trashed, and changes nothing", async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    const live = (await a.upload('mine.txt', Buffer.from('v1'))).json.id as string;
    await a.upload('mine.txt', Buffer.from('v2'), { method: 'PUT', path: `/api/v1/files/${live}/content` });
    const trashed = (await a.upload('old.txt', Buffer.from('v1'))).json.id as string;
    await a.upload('old.txt', Buffer.from('v2'), { method: 'PUT', path: `/api/v1/files/${trashed}/content` });
    expect((await a.call('DELETE', `/api/v1/files/${trashed}`)).status).toBe(204);
    for (const id of [live, trashed]) {
      for (const [method, path, body] of [
        ['POST', `/api/v1/files/${id}/versions/1/restore`],
        ['PATCH', `/api/v1/files/${id}/versions/1`, { label: 'theirs' }],
        ['DELETE', `/api/v1/files/${id}/versions/1`],
        ['GET', `/api/v1/files/${id}/versions`],
      ] as [string, string, unknown?][]) {
        const res = await b.call(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
      // A's own trashed file is not changed through these routes either
      if (id === trashed) expect((await a.call('POST', `/api/v1/files/${id}/versions/1/restore`)).status).toBe(404);
    }
    expect(await versions(a, live)).toMatchObject([{ version: 1, label: null }, { version: 2 }]);
    expect((await a.call('GET', `/api/v1/files/${live}`)).json).toMatchObject({ version: 2 });
    expect((await b.call('GET', '/api/v1/account/retention')).json).toEqual({ keepLast: null, keepDays: null, updatedAt: null });
  });

  it('keeps a retention policy per user, within limits', async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    expect((await a.call('GET', '/api/v1/account/retention')).json).toEqual({ keepLast: null, keepDays: null, updatedAt: null });
    for (const body of [{ keepLast: 0 }, { keepLast: 1001 }, { keepDays: 0 }, { keepDays: 3651 }, { keepLast: 1.5 }, { keepLast: 'many' }, { keepForever: true }, []]) {
      const res = await a.call('PUT', '/api/v1/account/retention', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const set = await a.call('PUT', '/api/v1/account/retention', { keepLast: 3, keepDays: 30 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ keepLast: 3, keepDays: 30, updatedAt: expect.any(String) });
    expect((await a.call('GET', '/api/v1/account/retention')).json).toMatchObject({ keepLast: 3, keepDays: 30 });
    expect((await b.call('GET', '/api/v1/account/retention')).json).toMatchObject({ keepLast: null, keepDays: null });
    // the whole policy each time: what is left out is no rule
    expect((await a.call('PUT', '/api/v1/account/retention', { keepDays: 7 })).json).toMatchObject({ keepLast: null, keepDays: 7 });
    expect((await a.call('PUT', '/api/v1/account/retention', {})).json).toEqual({ keepLast: null, keepDays: null, updatedAt: null });
    expect((await a.call('GET', '/api/v1/account/retention')).json).toEqual({ keepLast: null, keepDays: null, updatedAt: null });
  });
});

describe('the retention job, driven by a fake clock', () => {
  const clock = new FakeClock();
  let instance: Awaited<ReturnType<typeof Start>>;
  let user: Client;
  const runJobs = () =>
    eventually<JobReport>('the jobs lock', async () => {
      const report = await instance.app.jobs.runAll();
      return report === 'locked' ? undefined : report;
    });

  beforeAll(async () => {
    // tiers stay out of the way: the file is read back after a hundred days
    instance = await startFilesInstance(stack, { TIER_COOL_AFTER_DAYS: '3000', TIER_ARCHIVE_AFTER_DAYS: '3650' }, clock);
    const viaGateway = await Client.user(stack);
    user = new Client(instance.url);
    user.accessToken = viaGateway.accessToken;
    user.userId = viaGateway.userId;
  });
  afterAll(async () => instance?.close());

  it('deletes what the policy lets go: never the current or a named version, blobs only when no version holds them', async () => {
    clock.set(new Date());
    const id = (await user.upload('log.txt', Buffer.from('v1'))).json.id as string;
    for (const text of ['v2-', 'v3--', 'v4---']) {
      clock.advance(DAY);
      expect((await user.upload('log.txt', Buffer.from(text), { method: 'PUT', path: `/api/v1/files/${id}/content` })).status).toBe(200);
    }
    clock.advance(DAY);
    // version 5 restores version 1 (they share a blob); version 2 is named
    expect((await user.call('POST', `/api/v1/files/${id}/versions/1/restore`)).status).toBe(200);
    expect((await user.call('PATCH', `/api/v1/files/${id}/versions/2`, { label: 'keep me' })).status).toBe(200);
    const before = await blobsOf(user.userId!, id);
    expect(before).toHaveLength(4);

    // no policy: nothing goes, however old
    clock.advance(100 * DAY);
    expect(await runJobs()).toMatchObject({ versionsDeleted: 0 });
    expect((await versions(user, id)).map((v) => v.version)).toEqual([1, 2, 3, 4, 5]);

    // keep the last 2, or what is younger than 50 days: versions 1 and 3 go (2 is named; 4 and 5 are the last two)
    expect((await user.call('PUT', '/api/v1/account/retention', { keepLast: 2, keepDays: 50 })).status).toBe(200);
    expect(await runJobs()).toMatchObject({ versionsDeleted: 2 });
    expect((await versions(user, id)).map((v) => [v.version, v.label])).toEqual([
      [2, 'keep me'],
      [4, null],
      [5, null],
    ]);
    // version 1's blob is version 5's: kept; version 3's is gone
    const after = await blobsOf(user.userId!, id);
    expect(after).toHaveLength(3);
    expect(before.filter((b) => !after.includes(b))).toHaveLength(1);
    expect(await download(user, id, 5)).toBe('v1');
    expect((await user.call('GET', '/api/v1/usage')).json).toMatchObject({ bytes: 2 + 3 + 5, versions: 3, oldVersions: 2, versionBytes: 3 + 5 });
    const trail = (await user.call('GET', '/api/v1/activity?limit=2')).json.items;
    expect(trail).toMatchObject([
      { type: 'FileVersionDeleted', actor: 'system', details: { version: 3, reason: 'retention', bytes: 4 } },
      { type: 'FileVersionDeleted', actor: 'system', details: { version: 1, reason: 'retention', bytes: 0 } },
    ]);

    // again: nothing more to do
    expect(await runJobs()).toMatchObject({ versionsDeleted: 0 });

    // keep 1: version 4 goes; the named one and the current stay
    expect((await user.call('PUT', '/api/v1/account/retention', { keepLast: 1 })).status).toBe(200);
    expect(await runJobs()).toMatchObject({ versionsDeleted: 1 });
    expect((await versions(user, id)).map((v) => v.version)).toEqual([2, 5]);
    expect(await blobsOf(user.userId!, id)).toHaveLength(2);

    // the read model rebuilt from the log equals the live one
    const rows = async () => ({
      files: await db.selectFrom('files.files').selectAll().where('owner_id', '=', user.userId!).execute(),
      versions: await db.selectFrom('files.versions').selectAll().where('owner_id', '=', user.userId!).orderBy('version').execute(),
      usage: await db.selectFrom('files.usage').selectAll().where('owner_id', '=', user.userId!).execute(),
      usageByType: await db.selectFrom('files.usage_by_type').selectAll().where('owner_id', '=', user.userId!).orderBy('content_type').execute(),
    });
    const live = await rows();
    const files = commandHandler({ store: new EventStore({ db, schema: 'files' }), db, decider: fileDecider, streamOf: fileStream, projections });
    await files.rebuild(fileList);
    expect(await rows()).toEqual(live);
  });
});
