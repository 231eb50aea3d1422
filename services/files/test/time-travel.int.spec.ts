/**
 * Time travel through the public gateway: the drive as of any moment equal to the drive as it
 * was listed at that moment (a randomized history of uploads, versions added, restored, named
 * and deleted, renames, moves, stars, trash, restores and purges, every listing and each file's
 * versions recorded as it happened), a folder restored to a moment as one command, and what must
 * not work (another user's ids, bad moments).
 */
import type {} from '@strata/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';

const stack = inject('stack');

type Json = Record<string, unknown>;
type Entry = { kind: 'folder' | 'file'; id: string; name: string } & Json;

async function ok(client: Client, method: string, path: string, body?: unknown, status = 200): Promise<Json> {
  const res = await client.call(method, path, body);
  expect(res.status, `${method} ${path}: ${res.text}`).toBe(status);
  return res.json;
}

async function mkdir(client: Client, name: string, parentId: string | null = null): Promise<string> {
  return (await ok(client, 'POST', '/api/v1/folders', { name, parentId }, 201)).id as string;
}

async function put(client: Client, name: string, folderId: string | null, body = `content of ${name}`): Promise<string> {
  const res = await client.upload(name, Buffer.from(body), folderId ? { path: `/api/v1/files?folderId=${folderId}` } : {});
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

const q = (asOf?: string) => (asOf ? `&asOf=${encodeURIComponent(asOf)}` : '');

/** Every page of a listing, with the answer's own fields beside the items (asOf left out). */
async function all(client: Client, path: string, asOf?: string): Promise<{ items: Entry[]; rest: Json[] }> {
  const items: Entry[] = [];
  const rest: Json[] = [];
  let cursor: string | null = null;
  do {
    const page = await ok(client, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}${q(asOf)}`);
    if (asOf) expect(page.asOf).toBeDefined();
    const { items: got, nextCursor, asOf: _shown, ...others } = page;
    items.push(...(got as Entry[]));
    rest.push(others);
    cursor = nextCursor as string | null;
  } while (cursor);
  return { items, rest };
}

/** What the drive looks like now (or at `asOf`): every folder's children with breadcrumbs, the flat list in two sorts, each file alone. */
async function snapshot(client: Client, folderIds: string[], fileIds: string[], asOf?: string) {
  const out: Record<string, unknown> = {};
  for (const sort of ['name', '-updatedAt']) out[`files:${sort}`] = await all(client, `/api/v1/files?sort=${sort}`, asOf);
  out['files:root'] = await all(client, '/api/v1/files?folder=root&sort=size', asOf);
  out['children:root'] = await all(client, '/api/v1/folders/root/children?sort=name', asOf);
  for (const id of folderIds) {
    const res = await client.call('GET', `/api/v1/folders/${id}/children?sort=-createdAt&limit=7${q(asOf)}`);
    out[`children:${id}`] = res.status === 200 ? await all(client, `/api/v1/folders/${id}/children?sort=-createdAt`, asOf) : res.status;
  }
  for (const id of fileIds) {
    const res = await client.call('GET', `/api/v1/files/${id}${asOf ? `?asOf=${encodeURIComponent(asOf)}` : ''}`);
    if (res.status !== 200) out[`file:${id}`] = res.status;
    // its versions as GET /files/{id}/versions listed them then: GET /files/{id}?asOf= shows them beside the file
    else if (!asOf) out[`file:${id}`] = { ...res.json, versions: (await ok(client, 'GET', `/api/v1/files/${id}/versions`)).items };
    else {
      // in the trash then: the live route answered 404 at that moment
      const { trashedAt, asOf: _shown, ...info } = res.json;
      out[`file:${id}`] = trashedAt === null ? info : 404;
    }
  }
  return out;
}

/** A deterministic random sequence (mulberry32), so that a failure can be replayed with its seed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('time travel: the drive as of a moment', () => {
  it('equals the drive as it was listed at that moment, after a random history', async () => {
    const a = await Client.user(stack);
    const seed = Number(process.env.TIME_TRAVEL_SEED ?? Date.now() % 100_000);
    const rnd = random(seed);
    const pick = <T>(list: T[]): T | undefined => list[Math.floor(rnd() * list.length)];
    const folders: string[] = [];
    const files: string[] = [];
    const purged = new Set<string>();
    const moments: { at: string; folders: string[]; files: string[]; seen: Record<string, unknown> }[] = [];
    const before = new Date().toISOString();
    await sleep(5);
    let n = 0;
    for (let step = 0; step < 36; step++) {
      const live = files.filter((f) => !purged.has(f));
      const op = step < 4 ? 'mkdir' : step < 8 ? 'put' : pick(['mkdir', 'put', 'put', 'version', 'restoreVersion', 'label', 'deleteVersion', 'rename', 'move', 'moveFolder', 'star', 'trash', 'restore', 'purge', 'trashFolder', 'restoreFolder'])!;
      const target = pick([null, ...folders]) ?? null;
      const file = pick(live);
      const folder = pick(folders);
      // each operation may be refused (a name taken, a cycle, not in the trash): the log only holds what was done
      if (op === 'mkdir') folders.push(await mkdir(a, `dir ${++n}`, target).catch(() => undefined as never));
      else if (op === 'put') files.push(await put(a, `file ${++n}.txt`, target, 'x'.repeat(Math.floor(rnd() * 50))).catch(() => undefined as never));
      else if (op === 'version' && file) await a.upload('v', Buffer.from(`version ${++n}`), { method: 'PUT', path: `/api/v1/files/${file}/content` });
      else if (op === 'restoreVersion' && file) await a.call('POST', `/api/v1/files/${file}/versions/${1 + Math.floor(rnd() * 2)}/restore`);
      else if (op === 'label' && file) await a.call('PATCH', `/api/v1/files/${file}/versions/1`, { label: rnd() < 0.7 ? `label ${++n}` : null });
      else if (op === 'deleteVersion' && file) await a.call('DELETE', `/api/v1/files/${file}/versions/${1 + Math.floor(rnd() * 2)}`);
      else if (op === 'rename' && file) await a.call('PATCH', `/api/v1/files/${file}`, { name: `renamed ${++n}.txt` });
      else if (op === 'move' && file) await a.call('PATCH', `/api/v1/files/${file}`, { folderId: target });
      else if (op === 'moveFolder' && folder) await a.call('PATCH', `/api/v1/folders/${folder}`, { parentId: target, name: `moved ${++n}` });
      else if (op === 'star' && file) await a.call(rnd() < 0.5 ? 'PUT' : 'DELETE', `/api/v1/files/${file}/star`);
      else if (op === 'trash' && file) await a.call('DELETE', `/api/v1/files/${file}`);
      else if (op === 'restore' && file) await a.call('POST', `/api/v1/files/${file}/restore`);
      else if (op === 'purge' && file) {
        await a.call('DELETE', `/api/v1/files/${file}`);
        if ((await a.call('DELETE', `/api/v1/trash/${file}`)).status === 204) purged.add(file);
      } else if (op === 'trashFolder' && folder) await a.call('DELETE', `/api/v1/folders/${folder}`);
      else if (op === 'restoreFolder' && folder) await a.call('POST', `/api/v1/folders/${folder}/restore`);
      folders.splice(0, folders.length, ...folders.filter(Boolean));
      files.splice(0, files.length, ...files.filter(Boolean));
      if (step % 3 === 2) {
        // a moment between two operations: what the drive showed then
        await sleep(3);
        const at = new Date().toISOString();
        await sleep(3);
        moments.push({ at, folders: [...folders], files: [...files], seen: await snapshot(a, folders, files) });
        await sleep(3);
      }
    }
    expect(files.length, `seed ${seed}`).toBeGreaterThan(3);
    for (const { at, seen, ...ids } of moments) {
      expect(await snapshot(a, ids.folders, ids.files, at), `seed ${seed}, as of ${at}`).toEqual(seen);
    }
    // before the account had anything, the drive is empty; a moment after now is now
    expect((await ok(a, 'GET', `/api/v1/files?asOf=${encodeURIComponent(before)}`)).items).toEqual([]);
    expect((await ok(a, 'GET', `/api/v1/folders/root/children?asOf=1970-01-01T00:00:00Z`)).items).toEqual([]);
    const later = await ok(a, 'GET', `/api/v1/files?sort=name&limit=200&asOf=2999-01-01T00:00:00Z`);
    expect(later.items).toEqual((await ok(a, 'GET', '/api/v1/files?sort=name&limit=200')).items);
    expect(Date.parse(later.asOf as string)).toBeLessThanOrEqual(Date.now());
  });

  it('gives user B a 404 on A’s ids as of any moment, and takes no bad moment', async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    const folder = await mkdir(a, 'private');
    const file = await put(a, 'secret.txt', folder);
    const at = encodeURIComponent(new Date().toISOString());
    for (const path of [`/api/v1/files/${file}?asOf=${at}`, `/api/v1/folders/${folder}/children?asOf=${at}`, `/api/v1/files?folder=${folder}&asOf=${at}`]) {
      const res = await b.call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      expect((await a.call('GET', path)).status, path).toBe(200);
    }
    expect((await ok(b, 'GET', `/api/v1/files?asOf=${at}`)).items).toEqual([]);
    const restoreB = await b.call('POST', `/api/v1/folders/${folder}/restore-to`, { asOf: new Date().toISOString() });
    expect(restoreB.status).toBe(404);

    for (const bad of ['yesterday', '2026-12-01', '2026-12-01T10:00:00', '2026-02-30T00:00:00Z', '%ZZ', 'x'.repeat(65)]) {
      for (const path of [`/api/v1/files?asOf=${bad}`, `/api/v1/files/${file}?asOf=${bad}`, `/api/v1/folders/root/children?asOf=${bad}`]) {
        const res = await a.call('GET', path);
        expect(res.status, `${path}: ${res.text}`).toBe(400);
        expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      }
      const res = await a.call('POST', `/api/v1/folders/${folder}/restore-to`, { asOf: bad });
      expect(res.status, `restore-to ${bad}: ${res.text}`).toBe(400);
    }
    for (const body of [{}, { asOf: 5 }, { asOf: null }, { asOf: new Date().toISOString(), extra: 1 }]) {
      expect((await a.call('POST', `/api/v1/folders/${folder}/restore-to`, body)).status, JSON.stringify(body)).toBe(400);
    }
    // nothing changed by any of it
    expect((await ok(a, 'GET', `/api/v1/folders/${folder}/children`)).items).toHaveLength(1);
  });
});

describe('time travel: a folder restored to a moment', () => {
  it('brings back names, places and trash state of then as one command, trashes what came later, reports what was purged', async () => {
    const a = await Client.user(stack);
    const x = await mkdir(a, 'Project');
    const sub = await mkdir(a, 'drafts', x);
    const old = await mkdir(a, 'old', x);
    const kept = await put(a, 'plan.txt', x);
    const swapA = await put(a, 'a.txt', sub);
    const swapB = await put(a, 'b.txt', sub);
    const doomed = await put(a, 'doomed.txt', sub);
    const binned = await put(a, 'binned.txt', x);
    expect((await a.call('DELETE', `/api/v1/files/${binned}`)).status).toBe(204);
    const outside = await mkdir(a, 'Elsewhere');
    await sleep(5);
    const then = new Date().toISOString();
    await sleep(5);
    const seen = await all(a, `/api/v1/folders/${x}/children?sort=name`);
    const seenSub = await all(a, `/api/v1/folders/${sub}/children?sort=name`);

    // afterwards: renames (a swap of two names), a move out, a folder trashed, new things, a purge, a restore from the trash
    await ok(a, 'PATCH', `/api/v1/folders/${x}`, { name: 'Project (renamed)' });
    await ok(a, 'PATCH', `/api/v1/files/${swapA}`, { name: 'tmp.txt' });
    await ok(a, 'PATCH', `/api/v1/files/${swapB}`, { name: 'a.txt' });
    await ok(a, 'PATCH', `/api/v1/files/${swapA}`, { name: 'b.txt' });
    await ok(a, 'PATCH', `/api/v1/files/${kept}`, { folderId: outside });
    await ok(a, 'PATCH', `/api/v1/folders/${sub}`, { parentId: old });
    expect((await a.call('DELETE', `/api/v1/folders/${old}`)).status).toBe(204);
    const newer = await put(a, 'newer.txt', x);
    const newDir = await mkdir(a, 'new dir', x);
    await put(a, 'inside new dir.txt', newDir);
    // in the trash with `old`: purged from there
    expect((await a.call('DELETE', `/api/v1/trash/${doomed}`)).status).toBe(204);
    expect((await a.call('POST', `/api/v1/files/${binned}/restore`)).status).toBe(200);

    const key = `restore-${Date.now()}`;
    const res = await a.call('POST', `/api/v1/folders/${x}/restore-to`, { asOf: then }, { 'idempotency-key': key });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ folder: { id: x, name: 'Project' }, asOf: new Date(then).toISOString(), notRestored: [{ kind: 'file', id: doomed, name: 'doomed.txt', reason: 'purged' }] });
    expect(res.json.trashed).toBe(3); // newer.txt, new dir (with what it holds), binned.txt (in the trash then)
    expect(res.json.changed as number).toBeGreaterThanOrEqual(5);

    // now as it was then, but for the purged file
    const strip = (e: Entry) => ({ kind: e.kind, id: e.id, name: e.name, parent: e.parentId ?? e.folderId });
    expect((await all(a, `/api/v1/folders/${x}/children?sort=name`)).items.map(strip)).toEqual(seen.items.map(strip));
    expect((await all(a, `/api/v1/folders/${sub}/children?sort=name`)).items.map(strip)).toEqual(seenSub.items.filter((e) => e.id !== doomed).map(strip));
    const trash = (await ok(a, 'GET', '/api/v1/trash?limit=200')).items as Entry[];
    expect(trash.map((t) => t.id)).toEqual(expect.arrayContaining([newer, binned]));
    expect(((await ok(a, 'GET', '/api/v1/trash/folders')).items as Entry[]).map((f) => f.id)).toContain(newDir);
    expect((await a.call('GET', `/api/v1/folders/${old}`)).status).toBe(200);

    // again with the key: the first answer; again without: nothing more to do
    const replay = await a.call('POST', `/api/v1/folders/${x}/restore-to`, { asOf: then }, { 'idempotency-key': key });
    expect(replay.json).toEqual(res.json);
    const again = await ok(a, 'POST', `/api/v1/folders/${x}/restore-to`, { asOf: then });
    expect(again).toMatchObject({ changed: 0, trashed: 0 });

    // the history has the restore too: as of a moment after it, the folder is as it was then
    const restoredAt = new Date().toISOString();
    expect((await all(a, `/api/v1/folders/${x}/children?sort=name`, restoredAt)).items.map(strip)).toEqual(seen.items.map(strip));
    // a moment before the folder existed: nothing to restore to
    const early = await a.call('POST', `/api/v1/folders/${x}/restore-to`, { asOf: '2020-01-01T00:00:00Z' });
    expect(early.status, early.text).toBe(409);
    expect(early.headers.get('content-type')).toContain('application/problem+json');
  });
});
