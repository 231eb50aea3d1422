import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { FileEventTypes } from '@strata/contracts';
import { EventStore, commandHandler, kyselyFromPool, runRequestedRebuilds } from '@strata/event-store';
import type {} from '@strata/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../src/db/schema.js';
import { pastReadable } from '../src/plugins/core.js';
import type { FileEvent } from '../src/domain/file/file.js';
import { folderProjections, linkProjections, projections, shareProjections } from '../src/projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream, linkDecider, linkStream, shareDecider, shareStream } from '../src/streams.js';
import { startFilesInstance } from './instance.js';
import { Client, eventually } from './support.js';
import { TusClient } from './tus.js';

const stack = inject('stack');
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4, application_name: 'files-read-models-test' });
const db = kyselyFromPool(pool) as Kysely<Database>;
const store = new EventStore({ db, schema: 'files' });
// the service's own command path, here in the test process: its rebuild locks out the stack's writers too
const files = commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections });
const folders = commandHandler({ store, db, decider: folderDecider, streamOf: folderStream, projections: folderProjections });
const sharing = commandHandler({ store, db, decider: shareDecider, streamOf: shareStream, projections: shareProjections });
const linking = commandHandler({ store, db, decider: linkDecider, streamOf: linkStream, projections: linkProjections });
afterAll(async () => db.destroy());

/** `npm run rebuild -w @strata/files -- ...` as an operator runs it, on the stack's database. */
function rebuildCommand(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', fileURLToPath(new URL('../src/db/rebuild.ts', import.meta.url)), ...args],
      { env: { ...process.env, DATABASE_URL: stack.databaseUrl, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Every read model's rows of these owners, in a stable order; the activity trail in its own (newest last). */
async function snapshot(owners: string[]) {
  return {
    files: await db.selectFrom('files.files').selectAll().where('owner_id', 'in', owners).orderBy('file_id').execute(),
    versions: await db.selectFrom('files.versions').selectAll().where('owner_id', 'in', owners).orderBy('file_id').orderBy('version').execute(),
    usage: await db.selectFrom('files.usage').selectAll().where('owner_id', 'in', owners).orderBy('owner_id').execute(),
    usageByType: await db.selectFrom('files.usage_by_type').selectAll().where('owner_id', 'in', owners).orderBy('owner_id').orderBy('content_type').execute(),
    grants: await db.selectFrom('files.grants').selectAll().where('owner_id', 'in', owners).orderBy('file_id').orderBy('client_id').execute(),
    // seq is the table's own numbering, renewed by a rebuild; the order it gives is compared
    activity: await db
      .selectFrom('files.activity')
      .select(['event_id', 'owner_id', 'file_id', 'type', 'actor', 'address', 'user_agent', 'details', 'at'])
      .where('owner_id', 'in', owners)
      .orderBy('seq')
      .execute(),
    // time travel: every state of every file and folder, with the moments it held
    fileHistory: await db.selectFrom('files.file_history').selectAll().where('owner_id', 'in', owners).orderBy('file_id').orderBy('valid_from').execute(),
    folderHistory: await db.selectFrom('files.folder_history').selectAll().where('owner_id', 'in', owners).orderBy('folder_id').orderBy('valid_from').execute(),
    shares: await db.selectFrom('files.shares').selectAll().where('owner_id', 'in', owners).orderBy('share_id').execute(),
    links: await db.selectFrom('files.links').selectAll().where('owner_id', 'in', owners).orderBy('link_id').execute(),
  };
}

/**
 * A file's life as an older release stored it, with the caller's address in the events' data too,
 * projected as it was then. It ends purged: its blob never existed, and no job must look for it.
 */
async function appendLegacy(ownerId: string): Promise<string> {
  const fileId = randomUUID();
  const at = new Date().toISOString();
  const address = '198.51.100.7';
  const uploaded = { fileId, ownerId, name: 'old.txt', via: 'multipart' as const, version: 1, versionId: randomUUID(), blobName: `${ownerId}/${fileId}/v1`, size: 3, contentType: 'text/plain', sha256: 'abc', createdAt: at, address };
  const renamed = { fileId, ownerId, from: 'old.txt', to: 'older.txt', renamedAt: at, address };
  const trashed = { fileId, ownerId, trashedAt: at, address };
  const purged = { fileId, ownerId, purgedAt: at, reason: 'user' as const, blobNames: [uploaded.blobName], bytes: uploaded.size, address };
  const events: FileEvent[] = [
    { type: FileEventTypes.FileUploaded, data: uploaded },
    { type: FileEventTypes.FileRenamed, data: renamed },
    { type: FileEventTypes.FileTrashed, data: trashed },
    { type: FileEventTypes.FilePurged, data: purged },
  ];
  await db.transaction().execute(async (trx) => {
    await store.append(fileStream(fileId), events, { expectedVersion: 'no_stream', metadata: { actor: `user:${ownerId}`, correlationId: 'legacy', address }, transaction: trx });
    for (const event of await store.readStream<FileEvent, Database>(fileStream(fileId), { transaction: trx })) {
      for (const p of projections) if (p.handles.includes(event.type)) await p.evolve(trx, event);
    }
  });
  return fileId;
}

describe('the read models of files', () => {
  it('rebuilt from the log, each equals the live one after a mixed history', async () => {
    const alice = await Client.user(stack);
    const bob = await Client.user(stack);
    const ok = (status: number, expected: number, what: string) => expect(status, what).toBe(expected);

    const a = (await alice.upload('a.txt', Buffer.from('first'))).json.id as string;
    ok((await alice.upload('a.txt', Buffer.from('second, longer'), { method: 'PUT', path: `/api/v1/files/${a}/content` })).status, 200, 'version');
    ok((await alice.call('PATCH', `/api/v1/files/${a}`, { name: 'a-final.txt' })).status, 200, 'rename');
    ok((await alice.call('POST', `/api/v1/files/${a}/grants`, { clientId: 'acme-partner' })).status, 204, 'grant');
    ok((await alice.call('POST', `/api/v1/files/${a}/grants`, { clientId: 'other-partner' })).status, 204, 'grant');
    ok((await alice.call('DELETE', `/api/v1/files/${a}/grants/other-partner`)).status, 204, 'ungrant');

    const b = (await alice.upload('b.pdf', Buffer.from('%PDF-1.7\nb'))).json.id as string;
    ok((await alice.call('DELETE', `/api/v1/files/${b}`)).status, 204, 'trash');
    ok((await alice.call('POST', `/api/v1/files/${b}/restore`)).status, 200, 'restore');
    ok((await alice.call('DELETE', `/api/v1/files/${b}`)).status, 204, 'trash again');
    ok((await alice.call('DELETE', `/api/v1/trash/${b}`)).status, 204, 'purge');

    // shared, then purged: the purge takes the grant with it
    const c = (await alice.upload('c.txt', Buffer.from('shared then gone'))).json.id as string;
    ok((await alice.call('POST', `/api/v1/files/${c}/grants`, { clientId: 'acme-partner' })).status, 204, 'grant');
    ok((await alice.call('DELETE', `/api/v1/files/${c}`)).status, 204, 'trash');
    ok((await alice.call('DELETE', `/api/v1/trash/${c}`)).status, 204, 'purge');

    const tus = new TusClient(stack.gatewayUrl, alice.accessToken!);
    const bytes = Buffer.from('resumable bytes, sent in one go');
    const created = await tus.create(bytes.length, 'd.bin');
    ok(created.status, 201, 'tus creation');
    ok((await tus.patch(created.headers.get('location')!, 0, bytes)).status, 204, 'tus patch');

    // archived, asked back and rehydrated, archived again, then a new (hot) version beside the
    // archived ones: the commands the tier and rehydration jobs and a download send, on the service's command path
    const system = { metadata: { actor: 'system' } };
    const command = (c: Parameters<typeof files.handle>[1]) => files.handle(a, c, system);
    await command({ type: 'ChangeTier', data: { ownerId: alice.userId!, to: 'Cool', now: new Date() } });
    await command({ type: 'ChangeTier', data: { ownerId: alice.userId!, to: 'Archive', now: new Date() } });
    await files.handle(a, { type: 'RequestRehydration', data: { ownerId: alice.userId!, priority: 'High', now: new Date() } }, { metadata: { actor: `user:${alice.userId}` } });
    await command({ type: 'CompleteRehydration', data: { ownerId: alice.userId!, now: new Date() } });
    await command({ type: 'ChangeTier', data: { ownerId: alice.userId!, to: 'Archive', now: new Date() } });
    ok((await alice.upload('a.txt', Buffer.from('third, after the archive'), { method: 'PUT', path: `/api/v1/files/${a}/content` })).status, 200, 'version after archive');

    ok((await bob.upload('bob.txt', Buffer.from('bob'))).status, 201, 'bob upload');

    // shared with bob and by a link, the link used, the role changed; another file shared and
    // linked, then purged: its share and link are revoked with it
    const bobEmail = ((await bob.call('GET', '/api/v1/me')).json as { email: string }).email;
    const shared = await alice.call('POST', '/api/v1/shares', { kind: 'file', id: a, email: bobEmail, role: 'viewer' });
    ok(shared.status, 201, 'share');
    ok((await alice.call('PATCH', `/api/v1/shares/${shared.json.id}`, { role: 'editor' })).status, 200, 'role');
    const link = await alice.call('POST', '/api/v1/links', { kind: 'file', id: a, maxDownloads: 3 });
    ok(link.status, 201, 'link');
    ok((await new Client(stack.gatewayUrl).call('GET', `/api/v1/public/links/${link.json.token}/content`)).status, 200, 'link download');
    const e = (await alice.upload('e.txt', Buffer.from('shared, linked, purged'))).json.id as string;
    ok((await alice.call('POST', '/api/v1/shares', { kind: 'file', id: e, email: bobEmail, role: 'viewer' })).status, 201, 'share');
    ok((await alice.call('POST', '/api/v1/links', { kind: 'file', id: e })).status, 201, 'link');
    ok((await alice.call('DELETE', `/api/v1/files/${e}`)).status, 204, 'trash');
    ok((await alice.call('DELETE', `/api/v1/trash/${e}`)).status, 204, 'purge');
    const legacyOwner = randomUUID();
    await appendLegacy(legacyOwner);

    const owners = [alice.userId!, bob.userId!, legacyOwner];
    const live = await snapshot(owners);
    // the history is all there: what the test compares is not empty
    expect(live.files.map((f) => f.name).sort()).toEqual(['a-final.txt', 'bob.txt', 'd.bin']);
    expect(live.versions).toHaveLength(5);
    expect(live.versions.filter((v) => v.file_id === a).map((v) => v.tier)).toEqual(['Archive', 'Archive', 'Hot']);
    expect(live.files.find((f) => f.file_id === a)).toMatchObject({ tier: 'Hot', rehydrating_since: null, rehydrated_at: expect.any(Date) });
    expect(live.grants.map((g) => [g.file_id, g.client_id])).toEqual([[a, 'acme-partner']]);
    expect(live.usage.find((u) => u.owner_id === alice.userId)).toMatchObject({ files: 2, versions: 4 });
    // 22 before sharing; e's upload, trash and purge; two shares, a role changed, two links, a download, and the share and link e's purge revoked
    expect(live.activity.filter((e) => e.owner_id === alice.userId)).toHaveLength(22 + 3 + 8);
    expect(live.shares.map((x) => [x.item_id, x.role])).toEqual([[a, 'editor']]);
    expect(live.links.map((x) => [x.item_id, x.downloads])).toEqual([[a, 1]]);
    expect(live.activity.filter((e) => e.file_id === a).map((e) => e.type)).toEqual(expect.arrayContaining(['FileRehydrationRequested', 'FileRehydrated']));
    // the address and user agent come from the metadata, never from an old event's data
    expect(live.activity.find((e) => e.owner_id === alice.userId)).toMatchObject({ address: expect.any(String), user_agent: expect.stringContaining('Chrome') });
    for (const entry of live.activity) expect(entry.details).not.toHaveProperty('address');
    expect(live.activity.filter((e) => e.owner_id === legacyOwner).map((e) => e.address)).toEqual(Array(4).fill('198.51.100.7'));
    expect(live.usage.find((u) => u.owner_id === legacyOwner)).toMatchObject({ bytes: '0', files: 0, versions: 0 });

    for (const projection of projections) {
      expect(await files.rebuild(projection), projection.name).toBeGreaterThanOrEqual(projection.name === 'grants' ? 7 : 21);
      expect(await snapshot(owners), projection.name).toEqual(live);
    }
    for (const projection of shareProjections) {
      expect(await sharing.rebuild(projection), projection.name).toBeGreaterThanOrEqual(4);
      expect(await snapshot(owners), projection.name).toEqual(live);
    }
    for (const projection of linkProjections) {
      expect(await linking.rebuild(projection), projection.name).toBeGreaterThanOrEqual(4);
      expect(await snapshot(owners), projection.name).toEqual(live);
    }

    // the operator's command does the same, in its own process
    const all = await rebuildCommand([]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^files: rebuilt from \d+ events in \d+ ms\ngrants: rebuilt from \d+ events in \d+ ms\nactivity: rebuilt from \d+ events in \d+ ms\nfile-history: rebuilt from \d+ events in \d+ ms\nfolders: rebuilt from \d+ events in \d+ ms\nfolder-history: rebuilt from \d+ events in \d+ ms\nshares: rebuilt from \d+ events in \d+ ms\nlinks: rebuilt from \d+ events in \d+ ms\n$/);
    expect(await snapshot(owners)).toEqual(live);
  });

  it('rebuilt from the log after a history of folders (moves, stars, trash with contents, restores, a replace), each equals the live one', async () => {
    const alice = await Client.user(stack);
    const ok = (res: { status: number; text: string }, expected: number, what: string) => expect(res.status, `${what}: ${res.text}`).toBe(expected);
    const mkdir = async (name: string, parentId?: string) => {
      const res = await alice.call('POST', '/api/v1/folders', { name, ...(parentId ? { parentId } : {}) });
      ok(res, 201, `mkdir ${name}`);
      return res.json.id as string;
    };
    const put = async (name: string, folderId: string | null, body: string) => {
      const res = await alice.upload(name, Buffer.from(body), folderId ? { path: `/api/v1/files?folderId=${folderId}` } : {});
      ok(res, 201, `upload ${name}`);
      return res.json.id as string;
    };
    const top = await mkdir('Top');
    const mid = await mkdir('Mid', top);
    const side = await mkdir('Side');
    const f1 = await put('one.txt', mid, 'one');
    const f2 = await put('two.txt', top, 'two');
    await put('ONE.txt', mid, 'kept both');
    ok(await alice.call('PATCH', `/api/v1/folders/${mid}`, { parentId: side, name: 'Middle' }), 200, 'move folder');
    ok(await alice.call('PATCH', `/api/v1/files/${f2}`, { folderId: null }), 200, 'move file');
    ok(await alice.call('PUT', `/api/v1/folders/${side}/star`), 200, 'star folder');
    ok(await alice.call('PUT', `/api/v1/files/${f1}/star`), 200, 'star file');
    ok(await alice.call('DELETE', `/api/v1/files/${f1}`), 204, 'trash file');
    ok(await alice.call('DELETE', `/api/v1/folders/${side}`), 204, 'trash folder with contents');
    await put('one.txt', null, 'a newer one at the root');
    ok(await alice.call('POST', `/api/v1/folders/${side}/restore`), 200, 'restore folder');
    const f3 = await put('three.txt', top, 'three');
    ok(await alice.call('DELETE', `/api/v1/files/${f3}`), 204, 'trash three');
    await put('Three.txt', top, 'new three');
    ok(await alice.call('POST', `/api/v1/files/${f3}/restore?onClash=replace`), 200, 'restore replacing');
    ok(await alice.call('POST', `/api/v1/files/${f1}/restore`), 200, 'restore one into its folder');

    const owners = [alice.userId!];
    const treeSnapshot = async () => ({
      ...(await snapshot(owners)),
      folders: await db.selectFrom('files.folders').selectAll().where('owner_id', 'in', owners).orderBy('folder_id').execute(),
    });
    const live = await treeSnapshot();
    expect(live.folders.map((f) => [f.name, f.status, f.starred_at !== null]).sort()).toEqual([['Middle', 'active', false], ['Side', 'active', true], ['Top', 'active', false]]);
    expect(live.files.map((f) => [f.name, f.folder_id, f.status]).sort()).toEqual(
      [['ONE (2).txt', mid, 'active'], ['Three.txt', top, 'active'], ['one.txt', mid, 'active'], ['one.txt', null, 'active'], ['two.txt', null, 'active']].sort(),
    );
    expect(live.versions.filter((v) => v.owner_id === alice.userId)).toHaveLength(6);

    for (const projection of projections) {
      await files.rebuild(projection);
      expect(await treeSnapshot(), projection.name).toEqual(live);
    }
    for (const projection of folderProjections) {
      expect(await folders.rebuild(projection)).toBeGreaterThanOrEqual(10);
      expect(await treeSnapshot(), projection.name).toEqual(live);
    }
  });

  it('a read model a migration asks for is filled from the log once files is up, once across replicas, not ready and refusing the past until then', async () => {
    // a database from before the history tables: the past of this user's drive is in the log only
    const bob = await Client.user(stack);
    const folder = await bob.call('POST', '/api/v1/folders', { name: 'Old' });
    expect(folder.status, folder.text).toBe(201);
    const file = await bob.upload('old.txt', Buffer.from('old'), { path: `/api/v1/files?folderId=${folder.json.id as string}` });
    expect(file.status, file.text).toBe(201);
    expect((await bob.call('PATCH', `/api/v1/files/${file.json.id as string}`, { name: 'renamed.txt' })).status).toBe(200);
    const owners = [bob.userId!];
    const live = await snapshot(owners);
    expect(live.fileHistory.length).toBeGreaterThanOrEqual(2);
    expect(live.folderHistory.length).toBeGreaterThanOrEqual(1);
    await db.deleteFrom('files.file_history').where('owner_id', '=', bob.userId!).execute();
    await db.deleteFrom('files.folder_history').where('owner_id', '=', bob.userId!).execute();
    // what migration 20261202T150000_history_backfill writes on such a database
    await sql`insert into files.rebuild_request (projection, reason) values ('file-history', 'test'), ('folder-history', 'test') on conflict do nothing`.execute(db);

    // a command in flight on file-history (its shared lock) holds the rebuild back: the replicas
    // are up meanwhile, not ready, and refuse to read the past
    const holder = await pool.connect();
    await holder.query(`select pg_advisory_lock_shared(hashtextextended('strata.event-store.projection.files.file-history', 0))`);
    let held = true;
    const release = async () => {
      if (!held) return;
      held = false;
      await holder.query(`select pg_advisory_unlock_shared(hashtextextended('strata.event-store.projection.files.file-history', 0))`);
      holder.release();
    };
    const replicas = await Promise.all([startFilesInstance(stack), startFilesInstance(stack)]);
    try {
      for (const replica of replicas) {
        const readiness = await replica.app.readiness();
        expect(readiness.ready).toBe(false);
        expect(readiness.checks['read-models']).toEqual({ ok: false, reason: expect.stringContaining('file-history') });
        expect(() => pastReadable(replica.app)).toThrow(expect.objectContaining({ status: 503 }));
      }
      await release();
      for (const replica of replicas) await eventually('the rebuild done', async () => (replica.app.rebuilding.size === 0 ? true : undefined), 60_000);
      // done once: by one replica each, the other found the request gone
      expect(replicas.flatMap((r) => r.app.rebuilt.filter((d) => d.ran).map((d) => d.name)).sort()).toEqual(['file-history', 'folder-history']);
      for (const replica of replicas) {
        expect((await replica.app.readiness()).checks['read-models']).toEqual({ ok: true });
        expect(() => pastReadable(replica.app)).not.toThrow();
      }
      expect(await db.selectFrom('files.rebuild_request' as never).selectAll().execute()).toEqual([]);
      expect(await snapshot(owners)).toEqual(live);
      // a third start finds nothing asked
      const later = await startFilesInstance(stack);
      expect(later.app.rebuilding.size).toBe(0);
      await later.close();
      expect(await snapshot(owners)).toEqual(live);
    } finally {
      await release();
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('a rebuild asked for a read model the service does not have stops the start with its name', async () => {
    const schema = `rebuild_test_${randomUUID().slice(0, 8)}`;
    await sql`create schema ${sql.id(schema)}`.execute(db);
    try {
      await sql`create table ${sql.id(schema, 'rebuild_request')} (projection text primary key, reason text not null, requested_at timestamptz not null default now())`.execute(db);
      await sql`insert into ${sql.id(schema, 'rebuild_request')} (projection, reason) values ('stars', 'test')`.execute(db);
      await expect(runRequestedRebuilds(db as Kysely<unknown>, schema, [{ name: 'files', rebuild: () => Promise.resolve(0) }])).rejects.toThrow(
        `${schema}: a migration asks to rebuild "stars", which this service does not have (it has files)`,
      );
      expect(await runRequestedRebuilds(db as Kysely<unknown>, 'no_such_schema', [])).toEqual([]);
    } finally {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
    }
  });

  it('the rebuild command refuses a read model it does not have, and changes nothing', async () => {
    const wrong = await rebuildCommand(['files', 'stars']);
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toContain('unknown read model "stars"; this service has: files, grants, activity, file-history, folders, folder-history');
    const unset = await rebuildCommand([], { DATABASE_URL: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('DATABASE_URL is not set');
  });
});
