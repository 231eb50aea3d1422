/**
 * Bulk actions and ZIP downloads through the public gateway: every action on files and folders
 * with a result per item, failures reported per item as the single routes answer them, another
 * user's ids (404 per item, nothing of theirs changed), the item limit and malformed bodies (400,
 * nothing changed); ZIPs read back by yauzl and by Info-ZIP's unzip, names and sha256 checked.
 */
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client, mkdir, put, rawRequest, sha256 } from './support.js';
import { readZip } from './zip-reader.js';

const stack = inject('stack');
const run = promisify(execFile);

type Json = Record<string, unknown>;

const file = (f: Json) => ({ kind: 'file', id: f.id as string });
const folder = (f: Json) => ({ kind: 'folder', id: f.id as string });

/** What a user's drive looks like: every folder and file, live or trashed, for "nothing changed" checks. */
async function snapshot(client: Client) {
  const [files, trash, folders, starred] = await Promise.all([
    client.call('GET', '/api/v1/files?limit=200&sort=name'),
    client.call('GET', '/api/v1/trash?limit=200'),
    client.call('GET', '/api/v1/folders/root/children?limit=200'),
    client.call('GET', '/api/v1/starred?limit=200'),
  ]);
  return { files: files.json, trash: trash.json, folders: folders.json, starred: starred.json };
}

describe('POST /bulk', () => {
  it('stars, moves, trashes, restores and purges files and folders, with a result per item', async () => {
    const a = await Client.user(stack);
    const docs = await mkdir(a, 'Docs');
    const target = await mkdir(a, 'Target');
    const inner = await mkdir(a, 'Inner', docs.id as string);
    const f1 = await put(a, 'one.txt');
    const f2 = await put(a, 'two.txt', docs.id as string);
    await put(a, 'deep.txt', inner.id as string);

    const star = await a.call('POST', '/api/v1/bulk', { action: 'star', items: [file(f1), folder(docs)] });
    expect(star.status, star.text).toBe(200);
    expect(star.json.results).toEqual([
      { kind: 'file', id: f1.id, ok: true, status: 200 },
      { kind: 'folder', id: docs.id, ok: true, status: 200 },
    ]);
    expect(((await a.call('GET', '/api/v1/starred')).json.items as Json[]).map((e) => e.id)).toEqual([docs.id, f1.id]);
    const unstar = await a.call('POST', '/api/v1/bulk', { action: 'unstar', items: [file(f1), folder(docs)] });
    expect((unstar.json.results as Json[]).every((r) => r.ok)).toBe(true);
    expect((await a.call('GET', '/api/v1/starred')).json.items).toEqual([]);

    // a move of a file and a folder, and one into itself that the folder route refuses (409 folder-cycle)
    const move = await a.call('POST', '/api/v1/bulk', { action: 'move', items: [file(f1), folder(docs), folder(target)], targetFolderId: target.id });
    expect(move.status, move.text).toBe(200);
    const [m1, m2, m3] = move.json.results as Json[];
    expect(m1).toEqual({ kind: 'file', id: f1.id, ok: true, status: 200 });
    expect(m2).toEqual({ kind: 'folder', id: docs.id, ok: true, status: 200 });
    expect(m3).toMatchObject({ kind: 'folder', id: target.id, ok: false, status: 409 });
    expect(m3!.detail).toMatch(/into itself/);
    const inTarget = await a.call('GET', `/api/v1/folders/${target.id}/children`);
    expect((inTarget.json.items as Json[]).map((e) => e.name)).toEqual(['Docs', 'one.txt']);
    // to the root again
    const back = await a.call('POST', '/api/v1/bulk', { action: 'move', items: [file(f1)], targetFolderId: null });
    expect((back.json.results as Json[])[0]).toMatchObject({ ok: true, status: 200 });
    expect((await a.call('GET', `/api/v1/files/${f1.id}`)).json.folderId).toBeNull();

    // trash: a file, a folder with everything inside; the second time the file is not found (as DELETE answers)
    const trash = await a.call('POST', '/api/v1/bulk', { action: 'trash', items: [file(f1), folder(docs), file(f1)] });
    expect(trash.json.results).toEqual([
      { kind: 'file', id: f1.id, ok: true, status: 204 },
      { kind: 'folder', id: docs.id, ok: true, status: 204 },
      { kind: 'file', id: f1.id, ok: false, status: 404, detail: 'No such file.' },
    ]);
    expect((await a.call('GET', '/api/v1/files')).json.items).toEqual([]);
    expect(((await a.call('GET', '/api/v1/trash/folders')).json.items as Json[]).map((f) => f.id)).toEqual([docs.id]);

    const restore = await a.call('POST', '/api/v1/bulk', { action: 'restore', items: [folder(docs), file(f2)] });
    expect(restore.json.results).toEqual([
      { kind: 'folder', id: docs.id, ok: true, status: 200 },
      // it came back with its folder: no longer in the trash, as POST /files/{id}/restore would say
      { kind: 'file', id: f2.id, ok: false, status: 409, detail: 'The file is not in the trash.' },
    ]);
    expect((await a.call('GET', `/api/v1/folders/${docs.id}`)).json).toMatchObject({ parentId: target.id, pending: null });
    expect((await a.call('GET', '/api/v1/files?sort=name')).json.items).toHaveLength(2);

    // purge: only what is in the trash; folders are not purged
    const purge = await a.call('POST', '/api/v1/bulk', { action: 'purge', items: [file(f1), file(f2), folder(docs)] });
    const [p1, p2, p3] = purge.json.results as Json[];
    expect(p1).toEqual({ kind: 'file', id: f1.id, ok: true, status: 204 });
    expect(p2).toEqual({ kind: 'file', id: f2.id, ok: false, status: 404, detail: 'No such file in the trash.' });
    expect(p3).toEqual({ kind: 'folder', id: docs.id, ok: false, status: 404, detail: 'No such folder in the trash.' });
    expect((await a.call('GET', `/api/v1/files/${f1.id}`)).status).toBe(404);
    expect((await a.call('GET', '/api/v1/trash')).json.items).toEqual([]);
    // a folder in the trash is not purged: no route purges one
    await a.call('POST', '/api/v1/bulk', { action: 'trash', items: [folder(docs)] });
    const folderPurge = await a.call('POST', '/api/v1/bulk', { action: 'purge', items: [folder(docs)] });
    expect((folderPurge.json.results as Json[])[0]).toMatchObject({ kind: 'folder', id: docs.id, ok: false, status: 409 });
    expect((await a.call('GET', '/api/v1/trash')).json.items).toHaveLength(2);
  });

  it("gives user B a 404 per item on A's ids and changes nothing of A's", async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    const aFolder = await mkdir(a, 'Private');
    const aFile = await put(a, 'secret.txt', aFolder.id as string);
    const aTrashed = await put(a, 'gone.txt');
    expect((await a.call('DELETE', `/api/v1/files/${aTrashed.id}`)).status).toBe(204);
    const bFile = await put(b, 'mine.txt');
    const before = await snapshot(a);

    for (const action of ['star', 'unstar', 'trash', 'restore', 'purge'] as const) {
      const res = await b.call('POST', '/api/v1/bulk', { action, items: [file(aFile), folder(aFolder), file(aTrashed)] });
      expect(res.status, res.text).toBe(200);
      for (const r of res.json.results as Json[]) expect(r, action).toMatchObject({ ok: false, status: 404 });
    }
    // A's things moved into B's root, and B's own file into A's folder: 404 each
    const move = await b.call('POST', '/api/v1/bulk', { action: 'move', items: [file(aFile), folder(aFolder)], targetFolderId: null });
    for (const r of move.json.results as Json[]) expect(r).toMatchObject({ ok: false, status: 404 });
    const into = await b.call('POST', '/api/v1/bulk', { action: 'move', items: [file(bFile)], targetFolderId: aFolder.id });
    expect((into.json.results as Json[])[0]).toMatchObject({ ok: false, status: 404, detail: 'No such folder.' });
    expect((await b.call('GET', `/api/v1/files/${bFile.id}`)).json.folderId).toBeNull();
    // and a ZIP of them
    const zip = await b.call('POST', '/api/v1/zip', { items: [file(aFile)] });
    expect(zip.status).toBe(404);
    expect(zip.headers.get('content-type')).toContain('application/problem+json');
    expect(await snapshot(a)).toEqual(before);
  });

  it('refuses malformed bodies and too many items with a 400, and changes nothing', async () => {
    const a = await Client.user(stack);
    const f = await put(a, 'keep.txt');
    const target = await mkdir(a, 'T');
    const before = await snapshot(a);
    const items = [file(f)];
    const bodies: [string, unknown][] = [
      ['no action', { items }],
      ['an unknown action', { action: 'delete', items }],
      ['no items', { action: 'trash', items: [] }],
      ['items not a list', { action: 'trash', items: file(f) }],
      ['an item of another kind', { action: 'trash', items: [{ kind: 'link', id: f.id }] }],
      ['an id that is not a UUID', { action: 'trash', items: [{ kind: 'file', id: '../etc' }] }],
      ['an upper-case id', { action: 'trash', items: [{ kind: 'file', id: (f.id as string).toUpperCase() }] }],
      ['an extra member', { action: 'trash', items, force: true }],
      ['an extra member in an item', { action: 'trash', items: [{ ...file(f), name: 'x' }] }],
      ['a move without its target', { action: 'move', items }],
      ['a target for a trash', { action: 'trash', items, targetFolderId: target.id }],
      ['onClash for a star', { action: 'star', items, onClash: 'replace' }],
      ['a bad target id', { action: 'move', items, targetFolderId: 'root' }],
      ['one item too many', { action: 'trash', items: Array.from({ length: 1001 }, () => file(f)) }],
      ['not JSON', '{"action": "trash", "items": ['],
      ['null', 'null'],
    ];
    for (const [what, body] of bodies) {
      const res = await a.call('POST', '/api/v1/bulk', body);
      expect(res.status, `${what}: ${res.text}`).toBe(400);
      expect(res.headers.get('content-type'), what).toContain('application/problem+json');
    }
    for (const [what, body] of [
      ['no items', { items: [] }],
      ['an action', { action: 'trash', items }],
      ['one item too many', { items: Array.from({ length: 1001 }, () => file(f)) }],
    ] as const) {
      expect((await a.call('POST', '/api/v1/zip', body)).status, what).toBe(400);
    }
    // without a token, nothing at all
    const anonymous = new Client(stack.gatewayUrl);
    expect((await anonymous.call('POST', '/api/v1/bulk', { action: 'trash', items })).status).toBe(401);
    expect((await anonymous.call('POST', '/api/v1/zip', { items })).status).toBe(401);
    expect(await snapshot(a)).toEqual(before);
  });
});

describe('POST /zip', () => {
  it('streams files and folders at the paths the UI shows, read back whole by yauzl and by unzip', async () => {
    const a = await Client.user(stack);
    const docs = await mkdir(a, 'Docs');
    const q1 = await mkdir(a, 'Q1 été', docs.id as string);
    await mkdir(a, 'Empty', docs.id as string);
    const other = await mkdir(a, 'Other');
    const contents: Record<string, string> = {};
    const add = async (name: string, folderId: string | undefined, path: string) => {
      const body = `${path}\n`.repeat(1 + path.length * 37);
      contents[path] = sha256(Buffer.from(body));
      return put(a, name, folderId, body);
    };
    await add('a.txt', docs.id as string, 'Docs/a.txt');
    await add('report:final?.pdf', q1.id as string, 'Docs/Q1 été/report_final_.pdf');
    const topA = await add('a.txt', other.id as string, 'a.txt');
    const topB = await add('A.TXT', undefined, 'A (2).TXT');
    // in a folder named too: once, in its folder
    const inDocs = (await a.call('GET', `/api/v1/files?folder=${docs.id}`)).json.items as Json[];
    const trashed = await put(a, 'trashed.txt', docs.id as string);
    expect((await a.call('DELETE', `/api/v1/files/${trashed.id}`)).status).toBe(204);

    const res = await fetch(`${stack.gatewayUrl}/api/v1/zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [folder(docs), file(topA), file(topB), file(inDocs[0]!)] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="strata-\d{4}-\d\d-\d\d\.zip"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    const direct = await fetch(`http://127.0.0.1:${stack.apps.files!.appPort}/api/v1/zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json', 'dapr-api-token': stack.appApiToken },
      body: JSON.stringify({ items: [folder(docs), file(topA), file(topB), file(inDocs[0]!)] }),
    });
    // files says the exact length (stored members); Dapr's invocation passes the answer on chunked
    const directBytes = Buffer.from(await direct.arrayBuffer());
    expect(Number(direct.headers.get('content-length'))).toBe(directBytes.length);

    const dir = await mkdtemp(join(tmpdir(), 'strata-zip-'));
    try {
      const path = join(dir, 'a.zip');
      await writeFile(path, bytes);
      const entries = await readZip(path);
      expect(entries.map((e) => e.name).sort()).toEqual(['A (2).TXT', 'Docs/', 'Docs/Empty/', 'Docs/Q1 été/', 'Docs/Q1 été/report_final_.pdf', 'Docs/a.txt', 'a.txt'].sort());
      for (const e of entries.filter((x) => !x.name.endsWith('/'))) expect(e.sha256, e.name).toBe(contents[e.name]);
      const tested = await run('unzip', ['-t', path]);
      expect(tested.stdout).toContain('No errors detected');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // one folder alone is named after it; a folder in the trash is not found
    const one = await fetch(`${stack.gatewayUrl}/api/v1/zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items: [folder(other)] }),
    });
    expect(one.status).toBe(200);
    expect(one.headers.get('content-disposition')).toMatch(/^attachment; filename="Other\.zip"/);
    await one.arrayBuffer();
    expect((await a.call('DELETE', `/api/v1/folders/${other.id}`)).status).toBe(204);
    const gone = await a.call('POST', '/api/v1/zip', { items: [folder(other), file(topB)] });
    expect(gone.status).toBe(404);
    expect(gone.json.items).toEqual([folder(other)]);
  });
});

describe('POST /zip/links and following a link', () => {
  it('gives a link a browser follows without a token, once, to the same archive POST /zip streams', async () => {
    const a = await Client.user(stack);
    const docs = await mkdir(a, 'Docs');
    await put(a, 'one.txt', docs.id as string);
    const two = await put(a, 'two.txt');
    const items = [folder(docs), file(two)];

    const made = await a.call('POST', '/api/v1/zip/links', { items });
    expect(made.status, made.text).toBe(201);
    expect(made.json.url).toMatch(/^\/api\/v1\/zip\/links\/[0-9a-f-]{36}$/);
    expect(Date.parse(made.json.expiresAt as string)).toBeGreaterThan(Date.now());
    expect(made.headers.get('cache-control')).toBe('no-store');

    // a look first (HEAD, as download managers do) is no download: it leaves the link to the GET
    const look = await fetch(`${stack.gatewayUrl}${made.json.url as string}`, { method: 'HEAD' });
    expect(look.status).toBeGreaterThanOrEqual(400);
    expect(look.status).toBeLessThan(500);
    // a navigation: no Authorization header
    const followed = await fetch(`${stack.gatewayUrl}${made.json.url as string}`);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('application/zip');
    expect(followed.headers.get('content-disposition')).toMatch(/^attachment; filename="strata-\d{4}-\d\d-\d\d\.zip"/);
    const bytes = Buffer.from(await followed.arrayBuffer());
    const posted = await fetch(`${stack.gatewayUrl}/api/v1/zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    const dir = await mkdtemp(join(tmpdir(), 'strata-zip-link-'));
    try {
      const [viaLink, viaPost] = [join(dir, 'link.zip'), join(dir, 'post.zip')];
      await writeFile(viaLink, bytes);
      await writeFile(viaPost, Buffer.from(await posted.arrayBuffer()));
      const [linked, direct] = await Promise.all([readZip(viaLink), readZip(viaPost)]);
      expect(linked.map((e) => [e.name, e.sha256])).toEqual(direct.map((e) => [e.name, e.sha256]));
      expect(linked.map((e) => e.name).sort()).toEqual(['Docs/', 'Docs/one.txt', 'two.txt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // the link is taken by its download
    const again = await fetch(`${stack.gatewayUrl}${made.json.url as string}`);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
  });

  it('checks the items when the link is made and when it is followed; refuses links never made, odd ids, and callers without a token', async () => {
    const a = await Client.user(stack);
    const b = await Client.user(stack);
    const mine = await put(a, 'mine.txt');
    const theirs = await put(b, 'theirs.txt');

    // another user's item: 404 naming it, no link
    const foreign = await a.call('POST', '/api/v1/zip/links', { items: [file(mine), file(theirs)] });
    expect(foreign.status).toBe(404);
    expect(foreign.json.items).toEqual([file(theirs)]);
    expect((await new Client(stack.gatewayUrl).call('POST', '/api/v1/zip/links', { items: [file(mine)] })).status).toBe(401);
    for (const body of [{}, { items: [] }, { items: [{ kind: 'user', id: mine.id }] }, { items: [file(mine)], extra: 1 }]) {
      expect((await a.call('POST', '/api/v1/zip/links', body)).status, JSON.stringify(body)).toBe(400);
    }

    // trashed after the link was made: following it is the 404 that names the item
    const made = await a.call('POST', '/api/v1/zip/links', { items: [file(mine)] });
    expect(made.status).toBe(201);
    expect((await a.call('DELETE', `/api/v1/files/${mine.id}`)).status).toBe(204);
    const gone = await fetch(`${stack.gatewayUrl}${made.json.url as string}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as Json).items).toEqual([file(mine)]);

    // a link never made, and ids that are not ids: 404 and 400, never a 5xx
    const never = await fetch(`${stack.gatewayUrl}/api/v1/zip/links/${crypto.randomUUID()}`);
    expect(never.status).toBe(404);
    for (const id of ['not-an-id', '%27%3B--', 'A0000000-0000-4000-8000-000000000000']) {
      const odd = await fetch(`${stack.gatewayUrl}/api/v1/zip/links/${id}`);
      expect(odd.status, id).toBe(400);
    }
  });

  it('takes a link in no other spelling of its path, and lets no spelling reach past it without a token', async () => {
    const a = await Client.user(stack);
    const mine = await put(a, 'mine.txt');
    const made = await a.call('POST', '/api/v1/zip/links', { items: [file(mine)] });
    expect(made.status, made.text).toBe(201);
    const url = made.json.url as string;
    const id = url.split('/').at(-1)!;
    const raw = (path: string, method = 'GET') => rawRequest(stack.gatewayUrl, method, path);

    // not the link's route (another case, below it, an encoded separator): refused, and the link is not taken
    for (const path of [
      url.toUpperCase(),
      `/API/v1/zip/links/${id}`,
      `/api/v1/ZIP/links/${id}`,
      `${url}/extra`,
      `${url}%2f`,
      `/api/v1/zip/links%2f${id}`,
      `/api/v1/zip/links/${id}%00`,
      `/api/v1/zip/links/${id}\\`,
      `/api/v1/zip/links/%7B${id}%7D`,
    ]) {
      const answer = await raw(path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.type, path).toContain('application/problem+json');
    }
    // a way out of the link's route to a route that needs a token: still needs it
    for (const path of [
      `${url}/../../../files`,
      `/api/v1/zip/links/%2e%2e/%2e%2e/%2e%2e/files`,
      `/api/v1/zip/links/${id}/..%2f..%2f..%2ffiles`,
      `/api/v1/zip/links/.%2e/.%2e/trash`,
      `/api/v1/zip/links/../../../../../v1.0/metadata`,
    ]) {
      const answer = await raw(path);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
      expect(answer.body, path).not.toContain('mine.txt');
    }
    // other methods are no download either
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(url, method);
      expect(answer.status, method).toBeGreaterThanOrEqual(400);
      expect(answer.status, method).toBeLessThan(500);
    }
    // the same path spelt another way (collapsed slashes, a dot segment, a trailing slash) is the same link: it works once
    const followed = await raw(`//api/v1/zip/./links/${id}/`);
    expect(followed.status, followed.body).toBe(200);
    expect(followed.type).toBe('application/zip');
    expect(followed.body).toContain('mine.txt');
    expect((await raw(url)).status).toBe(404);
  });
});
