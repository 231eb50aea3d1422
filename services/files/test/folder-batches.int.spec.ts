/**
 * A folder's trash and restore in batches (src/folder-operations.ts): a folder of 1,000 files
 * trashed and restored through the gateway, each batch its own transaction; and a files process
 * killed with SIGKILL in the middle of a trash, after which readers see the folder marked
 * `pending: "trash"` (never half trashed unmarked), and the jobs carry the operation on to its end.
 */
import pg from 'pg';
import type {} from '@strata/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startFilesInstance } from './instance.js';
import { Client, eventually, mkdir, put } from './support.js';
import { spawnReplica } from './tus.js';

const stack = inject('stack');
const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2, application_name: 'folder-batches-test' });
afterAll(() => db.end());

/**
 * Files seeded at the files app's own port (as its sidecar calls it), six at a time: the uploads
 * are not what these tests are about; the trash and the restore go through the gateway. Bytes no
 * reader extracts text from, so insights skips them at once.
 */
async function seed(a: Client, count: number, folderOf: (i: number) => string) {
  const direct = Client.direct(stack, 'files');
  direct.accessToken = a.accessToken;
  const queue = Array.from({ length: count }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const res = await direct.upload(`file-${String(i).padStart(4, '0')}.bin`, Buffer.from([0, 1, 2, 3, 0xfe, i & 0xff, i >> 8]), { path: `/api/v1/files?folderId=${folderOf(i)}` });
        expect(res.status, res.text).toBe(201);
      }
    }),
  );
}

/** How many transactions the files' FileTrashed events of a folder's trash were stored in. */
async function transactionsOf(folderId: string): Promise<{ events: number; transactions: number }> {
  const { rows } = await db.query<{ events: string; transactions: string }>(
    `select count(*) as events, count(distinct tx_order) as transactions from files.events where type = 'FileTrashed' and data->>'withFolderId' = $1`,
    [folderId],
  );
  return { events: Number(rows[0]!.events), transactions: Number(rows[0]!.transactions) };
}

/** A live file in a folder that is in the trash: what a reader must never see, operation or not. */
async function liveFilesInTrashedFolders(ownerId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `select count(*) as n from files.files f join files.folders d on d.folder_id = f.folder_id where f.owner_id = $1 and f.status = 'active' and d.status = 'trashed'`,
    [ownerId],
  );
  return Number(rows[0]!.n);
}

/** No operation of the folder's left: over, whether it was answered at once or accepted (202) and carried on. */
async function over(folderId: string): Promise<void> {
  await eventually('the folder operation over', async () => ((await db.query(`select 1 from files.folder_operations where folder_id = $1`, [folderId])).rows.length === 0 ? true : undefined), 120_000);
}

/** A folder operation's answer: done (`done`), or accepted and going on (202, the folder marked `pending`), then waited out. */
async function answered(res: { status: number; text: string; json: Record<string, unknown> }, folderId: string, done: number, pending: 'trash' | 'restore'): Promise<void> {
  expect([done, 202], res.text).toContain(res.status);
  if (res.status === 202) expect(res.json).toMatchObject({ id: folderId, pending });
  await over(folderId);
}

const countTrashedWith = async (folderId: string) =>
  Number((await db.query<{ n: string }>(`select count(*) as n from files.files where trashed_with = $1 and status = 'trashed'`, [folderId])).rows[0]!.n);

describe('a folder trashed and restored in batches', () => {
  it('trashes a folder with 1,000 files inside and restores them all, 100 files per transaction', async () => {
    const a = await Client.user(stack);
    const big = await mkdir(a, 'Big');
    const sub = await mkdir(a, 'Sub', big.id as string);
    await seed(a, 1000, (i) => (i % 10 === 0 ? (sub.id as string) : (big.id as string)));
    const before = await a.call('GET', '/api/v1/usage');
    expect(before.json.files).toBe(1000);

    let started = performance.now();
    const trashed = await a.call('DELETE', `/api/v1/folders/${big.id}`);
    // on a loaded machine a folder of 1,000 may take longer than FOLDER_OPERATION_ANSWER_MS: then a 202, and it goes on
    await answered(trashed, big.id as string, 204, 'trash');
    const trashMs = performance.now() - started;
    expect((await a.call('GET', '/api/v1/folders/root/children')).json.items).toEqual([]);
    expect((await a.call('GET', '/api/v1/files')).json.items).toEqual([]);
    expect((await a.call('GET', `/api/v1/folders/${big.id}`)).status).toBe(404);
    const trashFolders = await a.call('GET', '/api/v1/trash/folders');
    expect(trashFolders.json.items).toEqual([expect.objectContaining({ id: big.id, pending: null })]);
    expect(await countTrashedWith(big.id as string)).toBe(1000);
    // one transaction per batch of 100 files (the folders went in the last), not one for all
    expect(await transactionsOf(big.id as string)).toEqual({ events: 1000, transactions: 10 });
    const ops = await db.query(`select * from files.folder_operations where owner_id = $1`, [a.userId]);
    expect(ops.rows).toEqual([]);

    started = performance.now();
    const restored = await a.call('POST', `/api/v1/folders/${big.id}/restore`);
    await answered(restored, big.id as string, 200, 'restore');
    const restoreMs = performance.now() - started;
    expect(restored.json).toMatchObject({ id: big.id, name: 'Big', parentId: null });
    expect((await a.call('GET', `/api/v1/folders/${big.id}`)).json).toMatchObject({ id: big.id, name: 'Big', parentId: null, pending: null });
    const inBig = await a.call('GET', `/api/v1/files?folder=${big.id}&limit=200`);
    expect(inBig.json.items).toHaveLength(200);
    expect(await countTrashedWith(big.id as string)).toBe(0);
    expect((await a.call('GET', '/api/v1/trash')).json.items).toEqual([]);
    expect((await a.call('GET', `/api/v1/folders/${sub.id}`)).json).toMatchObject({ parentId: big.id, pending: null });
    expect((await a.call('GET', '/api/v1/usage')).json).toEqual(before.json);
    const { rows } = await db.query<{ n: string }>(`select count(*) as n from files.files where owner_id = $1 and status = 'active'`, [a.userId]);
    expect(Number(rows[0]!.n)).toBe(1000);
    console.info(`folder of 1,000 files in batches of 100: trashed in ${Math.round(trashMs)} ms, restored in ${Math.round(restoreMs)} ms`);
  }, 600_000);

  it('marks a folder whose trash was cut by a SIGKILL as pending, and the jobs finish it', async () => {
    const a = await Client.user(stack);
    const box = await mkdir(a, 'Box');
    const inner = await mkdir(a, 'Inner', box.id as string);
    await seed(a, 300, (i) => (i % 3 === 0 ? (inner.id as string) : (box.id as string)));
    const before = await a.call('GET', '/api/v1/usage');

    // a replica of its own, in small batches so that the kill lands in the middle
    const replica = await spawnReplica(stack, { FOLDER_BATCH_SIZE: '5' });
    const client = new Client(replica.url, undefined, { 'dapr-api-token': stack.appApiToken });
    client.accessToken = a.accessToken;
    const cut = client.call('DELETE', `/api/v1/folders/${box.id}`).then(
      (res) => res.status,
      () => 'cut' as const,
    );
    await eventually('some batches committed', async () => ((await countTrashedWith(box.id as string)) >= 30 ? true : undefined), 60_000);
    await replica.kill();
    expect(await cut).toBe('cut');

    const trashedSoFar = await countTrashedWith(box.id as string);
    expect(trashedSoFar).toBeGreaterThan(0);
    expect(trashedSoFar).toBeLessThan(300);
    const [op] = (await db.query(`select kind, done from files.folder_operations where folder_id = $1`, [box.id])).rows as { kind: string; done: number }[];
    expect(op?.kind).toBe('trash');
    // what readers see meanwhile: the folder there, marked, and never a live file in a trashed folder
    const folder = await a.call('GET', `/api/v1/folders/${box.id}`);
    expect(folder.json).toMatchObject({ id: box.id, pending: 'trash' });
    const root = await a.call('GET', '/api/v1/folders/root/children');
    expect(root.json.items).toEqual([expect.objectContaining({ id: box.id, kind: 'folder', pending: 'trash' })]);
    expect(await liveFilesInTrashedFolders(a.userId!)).toBe(0);

    // the jobs of another replica carry it on once it has been still for a while
    const other = await startFilesInstance(stack, { FOLDER_OPERATION_STALE_SECONDS: '1' });
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      // the stack's own files may hold the jobs' lock for a round (and may finish it itself)
      const report = await eventually('a round of jobs', async () => {
        const r = await other.app.jobs.runAll();
        return r === 'locked' ? undefined : r;
      }, 60_000);
      const rows = (await db.query(`select 1 from files.folder_operations where folder_id = $1`, [box.id])).rows;
      expect(rows).toEqual([]);
      expect(report.folderOperations).toBeLessThanOrEqual(1);
    } finally {
      await other.close();
    }
    expect(await countTrashedWith(box.id as string)).toBe(300);
    expect((await a.call('GET', `/api/v1/folders/${box.id}`)).status).toBe(404);
    expect((await a.call('GET', '/api/v1/files')).json.items).toEqual([]);
    expect(await liveFilesInTrashedFolders(a.userId!)).toBe(0);
    // every file was trashed once, with the time the user asked, whichever process wrote it
    const { rows: times } = await db.query<{ n: string; at: string }>(
      `select count(*) as n, count(distinct data->>'trashedAt') as at from files.events where type = 'FileTrashed' and data->>'withFolderId' = $1`,
      [box.id],
    );
    expect(times[0]).toEqual({ n: '300', at: '1' });

    // 300 files may outlast FOLDER_OPERATION_ANSWER_MS on a loaded machine: a 202, then waited out
    await answered(await a.call('POST', `/api/v1/folders/${box.id}/restore`), box.id as string, 200, 'restore');
    expect((await a.call('GET', `/api/v1/folders/${box.id}`)).json).toMatchObject({ pending: null });
    expect(await countTrashedWith(box.id as string)).toBe(0);
    expect((await a.call('GET', '/api/v1/usage')).json).toEqual(before.json);
  }, 600_000);
  it('answers 202 when a folder operation outlasts FOLDER_OPERATION_ANSWER_MS, and carries it on in the same process', async () => {
    const a = await Client.user(stack);
    const box = await mkdir(a, 'Slow');
    const inner = await mkdir(a, 'Inner', box.id as string);
    await seed(a, 60, (i) => (i % 4 === 0 ? (inner.id as string) : (box.id as string)));
    const before = await a.call('GET', '/api/v1/usage');
    // no time to wait at all, and 13 batches: every operation here outlasts the answer
    const replica = await spawnReplica(stack, { FOLDER_OPERATION_ANSWER_MS: '0', FOLDER_BATCH_SIZE: '5' });
    try {
      const client = new Client(replica.url, undefined, { 'dapr-api-token': stack.appApiToken });
      client.accessToken = a.accessToken;
      const trashed = await client.call('DELETE', `/api/v1/folders/${box.id}`);
      expect(trashed.status, trashed.text).toBe(202);
      expect(trashed.json).toMatchObject({ id: box.id, name: 'Slow', pending: 'trash' });
      // the same process goes on batch by batch (its heartbeat keeps the jobs off it), well before it would be stale
      await eventually('the trash over', async () => ((await countTrashedWith(box.id as string)) === 60 && (await db.query(`select 1 from files.folder_operations where folder_id = $1`, [box.id])).rows.length === 0 ? true : undefined), 25_000);
      expect((await a.call('GET', '/api/v1/trash/folders')).json.items).toEqual([expect.objectContaining({ id: box.id, pending: null })]);
      expect(await liveFilesInTrashedFolders(a.userId!)).toBe(0);

      const restored = await client.call('POST', `/api/v1/folders/${box.id}/restore`);
      expect(restored.status, restored.text).toBe(202);
      expect(restored.json).toMatchObject({ id: box.id, pending: 'restore' });
      await eventually('the restore over', async () => ((await countTrashedWith(box.id as string)) === 0 && (await db.query(`select 1 from files.folder_operations where folder_id = $1`, [box.id])).rows.length === 0 ? true : undefined), 25_000);
      expect((await a.call('GET', `/api/v1/folders/${box.id}`)).json).toMatchObject({ pending: null, parentId: null });
      expect((await a.call('GET', '/api/v1/usage')).json).toEqual(before.json);

      // POST /bulk says so per item: ok, 202
      const bulk = await client.call('POST', '/api/v1/bulk', { action: 'trash', items: [{ kind: 'folder', id: box.id }] });
      expect(bulk.status, bulk.text).toBe(200);
      expect(bulk.json.results).toEqual([{ kind: 'folder', id: box.id, ok: true, status: 202 }]);
      await over(box.id as string);
      expect(await countTrashedWith(box.id as string)).toBe(60);
    } finally {
      await replica.kill();
    }
  }, 300_000);

  /** The row a process that died right after starting a folder's trash leaves: nothing of it done. */
  const leftPending = (ownerId: string, folderId: string) =>
    db.query(`insert into files.folder_operations (folder_id, owner_id, kind, metadata, requested_at) values ($1, $2, 'trash', '{}', now())`, [folderId, ownerId]);

  it('finishes a pending trash before a restore-to, which then brings the folder back as it was', async () => {
    const a = await Client.user(stack);
    const top = await mkdir(a, 'Top');
    const inner = await mkdir(a, 'Inner', top.id as string);
    await seed(a, 3, () => inner.id as string);
    const then = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await leftPending(a.userId!, inner.id as string);

    const res = await a.call('POST', `/api/v1/folders/${top.id}/restore-to`, { asOf: then });
    expect(res.status, res.text).toBe(200);
    // the trash was carried to its end first, then undone by the restore-to: nothing left to undo it later
    expect((await db.query(`select 1 from files.folder_operations where owner_id = $1`, [a.userId!])).rows).toHaveLength(0);
    const children = await a.call('GET', `/api/v1/folders/${inner.id}/children`);
    expect(children.status, children.text).toBe(200);
    expect((children.json.items as unknown[]).length).toBe(3);
    expect(await liveFilesInTrashedFolders(a.userId!)).toBe(0);
  });

  it('keeps both when a name in a folder being restored was taken between two batches', async () => {
    const a = await Client.user(stack);
    const box = await mkdir(a, 'Box');
    const sub = await mkdir(a, 'Sub', box.id as string);
    const first = (await put(a, 'a.txt', box.id as string)).id as string;
    await put(a, 'b.txt', box.id as string);
    const lone = (await put(a, 'lone.txt', box.id as string)).id as string;
    await put(a, 'inside.txt', sub.id as string);
    expect((await a.call('DELETE', `/api/v1/folders/${box.id}`)).status).toBe(204);
    // Box back alone (what restoring one file inside does): live, while the rest still waits in the
    // trash with it, as between the first batch of Box's restore and the next
    expect((await a.call('POST', `/api/v1/files/${lone}/restore`)).status).toBe(200);
    const upload = (await put(a, 'A.TXT', box.id as string)).id as string;
    const made = await mkdir(a, 'sub', box.id as string);
    await db.query(`insert into files.folder_operations (folder_id, owner_id, kind, metadata, requested_at) values ($1, $2, 'restore', '{}', now())`, [box.id, a.userId]);
    // any folder operation settles what is pending in the drive first
    const other = await mkdir(a, 'Other');
    expect((await a.call('DELETE', `/api/v1/folders/${other.id}`)).status).toBe(204);
    expect((await db.query(`select 1 from files.folder_operations where owner_id = $1`, [a.userId!])).rows).toHaveLength(0);

    const children = await a.call('GET', `/api/v1/folders/${box.id}/children`);
    expect(children.status, children.text).toBe(200);
    const items = children.json.items as { kind: string; id: string; name: string }[];
    expect(items.map((i) => `${i.kind} ${i.name}`).sort()).toEqual(['file A.TXT', 'file a (2).txt', 'file b.txt', 'file lone.txt', 'folder Sub (2)', 'folder sub'].sort());
    expect(items.find((i) => i.name === 'A.TXT')!.id).toBe(upload);
    expect(items.find((i) => i.name === 'a (2).txt')!.id).toBe(first);
    expect(items.find((i) => i.name === 'sub')!.id).toBe(made.id);
    expect(items.find((i) => i.name === 'Sub (2)')!.id).toBe(sub.id);
    const inside = await a.call('GET', `/api/v1/folders/${sub.id}/children`);
    expect((inside.json.items as { name: string }[]).map((i) => i.name)).toEqual(['inside.txt']);
  });

  it('ends a pending trash whose folder has left the drive meanwhile, and the next trash goes on', async () => {
    const a = await Client.user(stack);
    const gone = await mkdir(a, 'Gone');
    const next = await mkdir(a, 'Next');
    expect((await a.call('DELETE', `/api/v1/folders/${gone.id}`)).status).toBe(204);
    await leftPending(a.userId!, gone.id as string);
    // a trash first settles what is pending in the drive: that one has nothing left to do
    const res = await a.call('DELETE', `/api/v1/folders/${next.id}`);
    expect(res.status, res.text).toBe(204);
    expect((await db.query(`select 1 from files.folder_operations where owner_id = $1`, [a.userId!])).rows).toHaveLength(0);
  });
});
