import type {} from '@strata/testing';
import { openEventStream } from '@strata/testing/client';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { Client, eventually, mkdir, put, sha256 } from './support.js';

const stack = inject('stack');
const { gatewayUrl } = stack;

/** A new user signed in through the gateway, with the e-mail others share with. */
async function person(): Promise<Client & { email: string }> {
  const sessions = Client.direct(stack, 'sessions');
  const email = `share-${randomUUID()}@example.test`;
  const { password, id } = await sessions.register(email);
  const login = await sessions.login(email, password);
  expect(login.status, login.text).toBe(200);
  const client = new Client(gatewayUrl) as Client & { email: string };
  client.accessToken = sessions.accessToken;
  client.userId = id;
  client.email = email;
  return client;
}

const share = (owner: Client, kind: 'file' | 'folder', id: string, email: string, role: 'viewer' | 'editor') => owner.call('POST', '/api/v1/shares', { kind, id, email, role });

describe('sharing with other users (issue 16)', () => {
  it('shares a file: B reads it, as editor adds a version attributed to B in A’s activity; A revokes and B gets 404 at once and no more live events', async () => {
    const a = await person();
    const b = await person();
    const file = await put(a, 'plan.txt', undefined, 'version one');
    const fileId = file.id as string;

    // B sees nothing of it before
    expect((await b.call('GET', `/api/v1/files/${fileId}`)).status).toBe(404);

    const created = await share(a, 'file', fileId, b.email, 'viewer');
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ kind: 'file', itemId: fileId, email: b.email, role: 'viewer' });
    const shareId = created.json.id as string;
    expect(Object.keys(created.json).sort()).toEqual(['createdAt', 'email', 'id', 'itemId', 'kind', 'role']);

    // the owner sees who has access
    const list = await a.call('GET', `/api/v1/shares?kind=file&id=${fileId}`);
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([created.json]);

    // B: shared with me, the file, its versions, its content
    const mine = await b.call('GET', '/api/v1/shared-with-me');
    expect(mine.status).toBe(200);
    expect(mine.json.items).toMatchObject([{ id: shareId, kind: 'file', itemId: fileId, name: 'plan.txt', ownerId: a.userId, role: 'viewer' }]);
    expect((await b.call('GET', `/api/v1/files/${fileId}`)).json).toMatchObject({ id: fileId, name: 'plan.txt' });
    expect((await b.call('GET', `/api/v1/files/${fileId}/versions`)).status).toBe(200);
    const bytes = await b.call('GET', `/api/v1/files/${fileId}/content?redirect=false`);
    expect(bytes.status).toBe(200);
    expect(bytes.text).toBe('version one');

    // a viewer cannot write
    expect((await b.upload('plan.txt', Buffer.from('by B'), { method: 'PUT', path: `/api/v1/files/${fileId}/content` })).status).toBe(404);
    expect((await b.call('PATCH', `/api/v1/files/${fileId}`, { name: 'mine.txt' })).status).toBe(404);
    expect((await b.call('DELETE', `/api/v1/files/${fileId}`)).status).toBe(404);
    // nor manage the share, nor share it on
    expect((await b.call('GET', `/api/v1/shares?kind=file&id=${fileId}`)).status).toBe(404);
    expect((await b.call('PATCH', `/api/v1/shares/${shareId}`, { role: 'editor' })).status).toBe(404);
    expect((await b.call('DELETE', `/api/v1/shares/${shareId}`)).status).toBe(404);
    expect((await share(b, 'file', fileId, a.email, 'viewer')).status).toBe(404);

    // A makes B an editor: B adds a version, in A's quota, attributed to B
    const changed = await a.call('PATCH', `/api/v1/shares/${shareId}`, { role: 'editor' });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json.role).toBe('editor');
    const stream = await openEventStream(gatewayUrl, b.accessToken!);
    expect(stream.res.status).toBe(200);
    const v2 = await b.upload('plan.txt', Buffer.from('version two, by B'), { method: 'PUT', path: `/api/v1/files/${fileId}/content` });
    expect(v2.status, v2.text).toBe(200);
    expect(v2.json.version).toBe(2);
    expect((await a.call('GET', `/api/v1/files/${fileId}/content?redirect=false`)).text).toBe('version two, by B');
    expect((await a.call('GET', '/api/v1/usage')).json.bytes).toBe('version one'.length + 'version two, by B'.length);
    expect((await b.call('GET', '/api/v1/usage')).json.bytes).toBe(0);
    const activity = await a.call('GET', '/api/v1/activity');
    const added = (activity.json.items as { type: string; actor: string; fileId: string }[]).find((e) => e.type === 'FileVersionAdded' && e.fileId === fileId);
    expect(added?.actor).toBe(`user:${b.userId}`);
    expect((activity.json.items as { type: string }[]).map((e) => e.type)).toEqual(expect.arrayContaining(['ItemShared', 'ShareRoleChanged']));
    // B hears of it live
    await eventually('FileVersionAdded on B’s stream', async () => stream.events.find((e) => e.event === 'FileVersionAdded' && e.data.includes(fileId)));
    // an editor renames, but does not move the owner's file
    expect((await b.call('PATCH', `/api/v1/files/${fileId}`, { name: 'plan v2.txt' })).status).toBe(200);
    expect((await b.call('PATCH', `/api/v1/files/${fileId}`, { folderId: null })).status).toBe(403);

    // A revokes: B's next read is a 404, at once
    expect((await a.call('DELETE', `/api/v1/shares/${shareId}`)).status).toBe(204);
    for (const path of [`/api/v1/files/${fileId}`, `/api/v1/files/${fileId}/versions`, `/api/v1/files/${fileId}/content`]) {
      expect((await b.call('GET', path)).status, path).toBe(404);
    }
    expect((await b.upload('plan.txt', Buffer.from('too late'), { method: 'PUT', path: `/api/v1/files/${fileId}/content` })).status).toBe(404);
    expect((await b.call('GET', '/api/v1/shared-with-me')).json.items).toEqual([]);
    expect((await a.call('GET', `/api/v1/shares?kind=file&id=${fileId}`)).json.items).toEqual([]);
    // B hears of the revocation, then nothing more of the file
    await eventually('ShareRevoked on B’s stream', async () => stream.events.find((e) => e.event === 'ShareRevoked'));
    const before = stream.events.length;
    expect((await a.call('PATCH', `/api/v1/files/${fileId}`, { name: 'after revoke.txt' })).status).toBe(200);
    // A's own stream carries the rename: once it has, B's would have too
    const aStream = await openEventStream(gatewayUrl, a.accessToken!);
    expect((await a.call('PATCH', `/api/v1/files/${fileId}`, { name: 'after revoke 2.txt' })).status).toBe(200);
    await eventually('the rename on A’s stream', async () => aStream.events.find((e) => e.event === 'FileRenamed' && e.data.includes('after revoke 2.txt')));
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events.slice(before).filter((e) => e.data.includes(fileId))).toEqual([]);
    await stream.close();
    await aStream.close();
  });

  it('shares a folder: everything inside, at any depth; an editor uploads into it and trashes into the owner’s trash; the owner’s folders above stay hidden', async () => {
    const a = await person();
    const b = await person();
    const top = await mkdir(a, 'Private top');
    const team = await mkdir(a, 'Team', top.id as string);
    const deep = await mkdir(a, 'Deep', team.id as string);
    const inside = await put(a, 'inside.txt', deep.id as string, 'deep inside');
    const outside = await put(a, 'outside.txt', top.id as string, 'not shared');

    const created = await share(a, 'folder', team.id as string, b.email, 'editor');
    expect(created.status, created.text).toBe(201);

    expect((await b.call('GET', `/api/v1/folders/${team.id}`)).status).toBe(200);
    const children = await b.call('GET', `/api/v1/folders/${deep.id}/children`);
    expect(children.status, children.text).toBe(200);
    expect((children.json.items as { id: string }[]).map((e) => e.id)).toEqual([inside.id]);
    // the breadcrumbs start at the shared folder: the owner's "Private top" is not named
    expect((children.json.breadcrumbs as { name: string }[]).map((c) => c.name)).toEqual(['Team', 'Deep']);
    expect((await b.call('GET', `/api/v1/files/${inside.id}/content?redirect=false`)).text).toBe('deep inside');
    // nothing outside the shared folder
    expect((await b.call('GET', `/api/v1/files/${outside.id}`)).status).toBe(404);
    expect((await b.call('GET', `/api/v1/folders/${top.id}`)).status).toBe(404);
    expect((await b.call('GET', `/api/v1/folders/${top.id}/children`)).status).toBe(404);

    // an upload into the shared folder is A's file, in A's quota
    const up = await b.upload('from-b.txt', Buffer.from('B wrote this'), { path: `/api/v1/files?folderId=${deep.id}` });
    expect(up.status, up.text).toBe(201);
    const own = await a.call('GET', `/api/v1/folders/${deep.id}/children`);
    expect((own.json.items as { name: string }[]).map((e) => e.name).sort()).toEqual(['from-b.txt', 'inside.txt']);
    expect((await b.call('GET', '/api/v1/files')).json.items).toEqual([]);

    // deleting inside a shared folder goes to the owner's trash
    expect((await b.call('DELETE', `/api/v1/files/${inside.id}`)).status).toBe(204);
    const trash = await a.call('GET', '/api/v1/trash');
    expect((trash.json.items as { id: string }[]).map((f) => f.id)).toContain(inside.id);
    expect(((await b.call('GET', '/api/v1/trash')).json.items as unknown[]).length).toBe(0);
    // and the owner restores it
    expect((await a.call('POST', `/api/v1/files/${inside.id}/restore`)).status).toBe(200);
    expect((await b.call('GET', `/api/v1/files/${inside.id}`)).status).toBe(200);

    // an editor does not move the owner's folders
    expect((await b.call('PATCH', `/api/v1/folders/${deep.id}`, { parentId: null })).status).toBe(403);
    expect((await b.call('PATCH', `/api/v1/folders/${deep.id}`, { name: 'Deeper' })).status).toBe(200);

    // revoked: the whole tree is gone for B at once
    expect((await a.call('DELETE', `/api/v1/shares/${created.json.id}`)).status).toBe(204);
    for (const path of [`/api/v1/folders/${team.id}`, `/api/v1/folders/${deep.id}/children`, `/api/v1/files/${inside.id}`]) {
      expect((await b.call('GET', path)).status, path).toBe(404);
    }
    expect((await b.upload('late.txt', Buffer.from('x'), { path: `/api/v1/files?folderId=${deep.id}` })).status).toBe(404);
  });

  it('gives a recipient no past: a file moved out of the shared folder since is not read through ?asOf=', async () => {
    const a = await person();
    const b = await person();
    const shared = await mkdir(a, 'Shared past');
    const mine = await mkdir(a, 'Private');
    const file = await put(a, 'moved-out.txt', shared.id as string, 'was shared once');
    expect((await share(a, 'folder', shared.id as string, b.email, 'viewer')).status).toBe(201);
    expect((await b.call('GET', `/api/v1/files/${file.id}`)).status).toBe(200);
    const then = new Date(Date.now() + 1).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await a.call('PATCH', `/api/v1/files/${file.id}`, { folderId: mine.id })).status).toBe(200);
    // now outside what B was given: neither today nor as it was then
    expect((await b.call('GET', `/api/v1/files/${file.id}`)).status).toBe(404);
    const past = await b.call('GET', `/api/v1/files/${file.id}?asOf=${encodeURIComponent(then)}`);
    expect(past.status, past.text).toBe(404);
    expect(past.text).not.toContain('moved-out.txt');
    // the owner's own past is there
    const own = await a.call('GET', `/api/v1/files/${file.id}?asOf=${encodeURIComponent(then)}`);
    expect(own.status, own.text).toBe(200);
    expect(own.json.folderId).toBe(shared.id);
  });

  it('refuses what must not work: no token, a partner-less stranger, unknown e-mail, self, twice, hostile bodies, odd paths', async () => {
    const a = await person();
    const b = await person();
    const c = await person();
    const file = await put(a, 'secret.txt', undefined, 'secret');
    const fileId = file.id as string;

    const anonymous = new Client(gatewayUrl);
    expect((await anonymous.call('POST', '/api/v1/shares', { kind: 'file', id: fileId, email: b.email, role: 'viewer' })).status).toBe(401);
    expect((await anonymous.call('GET', '/api/v1/shared-with-me')).status).toBe(401);

    // an e-mail that is no account: a 422 that says no more
    const unknown = await share(a, 'file', fileId, `nobody-${randomUUID()}@example.test`, 'viewer');
    expect(unknown.status).toBe(422);
    expect(unknown.json.type).toContain('unknown-recipient');
    expect(unknown.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect((await share(a, 'file', fileId, a.email, 'viewer')).status).toBe(422);
    // the e-mail in another case is the same account
    const first = await share(a, 'file', fileId, b.email.toUpperCase(), 'viewer');
    expect(first.status, first.text).toBe(201);
    const twice = await share(a, 'file', fileId, b.email, 'editor');
    expect(twice.status).toBe(409);
    expect(twice.json.type).toContain('share-exists');

    // someone else's item is not found, to share or to list
    expect((await share(c, 'file', fileId, b.email, 'viewer')).status).toBe(404);
    expect((await c.call('GET', `/api/v1/shares?kind=file&id=${fileId}`)).status).toBe(404);
    expect((await c.call('GET', `/api/v1/files/${fileId}`)).status).toBe(404);
    expect((await c.call('DELETE', `/api/v1/shares/${first.json.id}`)).status).toBe(404);
    // a folder id given as a file (and the reverse) is not found
    expect((await share(a, 'folder', fileId, c.email, 'viewer')).status).toBe(404);

    // hostile and malformed bodies: 400, nothing shared
    const bodies: unknown[] = [
      {},
      { kind: 'file', id: fileId, email: c.email },
      { kind: 'file', id: fileId, email: c.email, role: 'owner' },
      { kind: 'drive', id: fileId, email: c.email, role: 'viewer' },
      { kind: 'file', id: fileId.toUpperCase(), email: c.email, role: 'viewer' },
      { kind: 'file', id: `${fileId}\u0000`, email: c.email, role: 'viewer' },
      { kind: 'file', id: fileId, email: 'not an e-mail', role: 'viewer' },
      { kind: 'file', id: fileId, email: `${'x'.repeat(300)}@example.test`, role: 'viewer' },
      { kind: 'file', id: fileId, email: c.email, role: 'viewer', __proto__: { admin: true }, extra: 1 },
      '{"kind":"file"',
    ];
    for (const body of bodies) {
      const res = await a.call('POST', '/api/v1/shares', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const huge = await a.call('POST', '/api/v1/shares', { kind: 'file', id: fileId, email: c.email, role: 'viewer', pad: 'x'.repeat(2_000_000) });
    expect([400, 413]).toContain(huge.status);
    expect((await a.call('PATCH', `/api/v1/shares/${first.json.id}`, { role: 'admin' })).status).toBe(400);
    expect((await a.call('GET', '/api/v1/shares?kind=file')).status).toBe(400);
    expect((await a.call('GET', `/api/v1/shares?kind=file&id=${fileId}&x=1`)).status).toBe(400);
    expect((await c.call('GET', `/api/v1/files/${fileId}`)).status).toBe(404);
    expect((await a.call('GET', `/api/v1/shares?kind=file&id=${fileId}`)).json.items).toHaveLength(1);

    // odd spellings of the paths reach nothing else
    for (const path of ['/api/v1/SHARES', '/api/v1/shares/../files', '/api/v1/%73hares', '/api/v1//shares', '/api/v1/./shared-with-me', `/api/v1/shares/${first.json.id}%2F..`]) {
      // asked by a stranger to the file
      const res = await c.call('GET', path);
      // fetch itself resolves "../" and "./": those reach B's own routes, which hold nothing of A's
      expect([200, 400, 401, 404], path).toContain(res.status);
      expect(res.text, path).not.toContain('secret');
      expect(res.text, path).not.toContain(fileId);
    }
    // the internal routes are not public
    expect((await a.call('GET', `/api/v1/../internal/v1/audience?fileId=${fileId}`)).status).toBe(404);
    expect((await b.call('GET', `/api/v1/files/${fileId}/content?redirect=false`)).text).toBe('secret');
  });
});

describe('share links (issue 16)', () => {
  it('a link with a password, an expiry and a download limit of 2: the third download is refused, also when they race', async () => {
    const a = await person();
    const body = 'link content';
    const file = await put(a, 'linked.txt', undefined, body);
    const expiresAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const made = await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, expiresAt, password: 'open sesame 1', maxDownloads: 2 });
    expect(made.status, made.text).toBe(201);
    expect(Object.keys(made.json).sort()).toEqual(['expiresAt', 'id', 'maxDownloads', 'token', 'url']);
    const token = made.json.token as string;
    // 256 random bits, base64url
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.json).toMatchObject({ expiresAt, maxDownloads: 2 });

    const anonymous = new Client(gatewayUrl, 'LinkTester/1.0');
    const locked = await anonymous.call('GET', `/api/v1/public/links/${token}`);
    expect(locked.status).toBe(401);
    expect(locked.json.type).toContain('link-password-required');
    expect((await anonymous.call('GET', `/api/v1/public/links/${token}/content`)).status).toBe(401);
    const wrong = await anonymous.call('POST', `/api/v1/public/links/${token}/unlock`, { password: 'not it' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.type).toContain('link-password-wrong');
    const unlocked = await anonymous.call('POST', `/api/v1/public/links/${token}/unlock`, { password: 'open sesame 1' });
    expect(unlocked.status, unlocked.text).toBe(200);
    const linkToken = unlocked.json.linkToken as string;
    const headers = { 'x-link-token': linkToken };
    const info = await anonymous.call('GET', `/api/v1/public/links/${token}`, undefined, headers);
    expect(info.status, info.text).toBe(200);
    expect(info.json).toMatchObject({ kind: 'file', name: 'linked.txt', size: body.length, downloadsLeft: 2 });
    // the link token of another link does not open this one; a made-up one neither
    expect((await anonymous.call('GET', `/api/v1/public/links/${token}`, undefined, { 'x-link-token': 'A'.repeat(43) })).status).toBe(401);

    // two downloads at once, then a third: exactly two succeed
    const racing = await Promise.all([0, 1, 2].map(() => anonymous.call('GET', `/api/v1/public/links/${token}/content?linkToken=${linkToken}`)));
    const statuses = racing.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 410]);
    for (const r of racing.filter((x) => x.status === 200)) expect(sha256(r.bytes)).toBe(sha256(Buffer.from(body)));
    expect(racing.find((r) => r.status === 410)!.json.type).toContain('link-download-limit');
    expect((await anonymous.call('GET', `/api/v1/public/links/${token}/content`, undefined, headers)).status).toBe(410);

    // every access is in the owner's activity, with address and user agent
    const activity = await a.call('GET', '/api/v1/activity');
    const uses = (activity.json.items as { type: string; userAgent: string | null; address: string | null; details: { action: string; outcome: string } }[]).filter((e) => e.type === 'LinkAccessed');
    expect(uses.length).toBeGreaterThanOrEqual(6);
    expect(uses.every((e) => e.userAgent === 'LinkTester/1.0' && e.address)).toBe(true);
    expect(uses.map((e) => `${e.details.action}:${e.details.outcome}`)).toEqual(expect.arrayContaining(['unlock:wrong-password', 'unlock:allowed', 'download:allowed', 'download:download-limit']));

    // the owner lists it (never its token) and revokes it
    const listed = await a.call('GET', `/api/v1/links?kind=file&id=${file.id}`);
    expect(listed.json.items).toMatchObject([{ id: made.json.id, hasPassword: true, maxDownloads: 2, downloads: 2 }]);
    expect(listed.text).not.toContain(token);
    expect((await a.call('DELETE', `/api/v1/links/${made.json.id}`)).status).toBe(204);
    expect((await anonymous.call('GET', `/api/v1/public/links/${token}`, undefined, headers)).status).toBe(404);
  });

  it('throttles wrong passwords per link: past the limit even the right one is a 429', async () => {
    const a = await person();
    const file = await put(a, 'guarded.txt', undefined, 'guarded');
    const made = await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, password: 'the right one' });
    const token = made.json.token as string;
    const anonymous = new Client(gatewayUrl);
    const answers: number[] = [];
    for (let i = 0; i < 7; i++) answers.push((await anonymous.call('POST', `/api/v1/public/links/${token}/unlock`, { password: `guess ${i}` })).status);
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5)).toEqual([429, 429]);
    const right = await anonymous.call('POST', `/api/v1/public/links/${token}/unlock`, { password: 'the right one' });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(right.json.type).toContain('link-password-throttled');
  });

  it('throttles guesses sent all at once too: no more than the limit are checked', async () => {
    const a = await person();
    const file = await put(a, 'raced.txt', undefined, 'raced');
    const made = await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, password: 'the right one' });
    const token = made.json.token as string;
    const anonymous = new Client(gatewayUrl);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => anonymous.call('POST', `/api/v1/public/links/${token}/unlock`, { password: `guess ${i}` }).then((r) => r.status)));
    expect(answers.filter((s) => s === 401)).toHaveLength(5);
    expect(answers.filter((s) => s === 429)).toHaveLength(25);
  });

  it('a folder link lists the folder and downloads it as a ZIP; trashed it stops, restored it works; a purged file’s link is gone; nothing beyond what it shares', async () => {
    const a = await person();
    const folder = await mkdir(a, 'Shared out');
    await put(a, 'one.txt', folder.id as string, 'one');
    const sub = await mkdir(a, 'Sub', folder.id as string);
    await put(a, 'two.txt', sub.id as string, 'two');
    const other = await put(a, 'other.txt', undefined, 'not in the folder');
    const made = await a.call('POST', '/api/v1/links', { kind: 'folder', id: folder.id });
    expect(made.status, made.text).toBe(201);
    const token = made.json.token as string;
    const anonymous = new Client(gatewayUrl);
    const info = await anonymous.call('GET', `/api/v1/public/links/${token}`);
    expect(info.status, info.text).toBe(200);
    expect(info.json.kind).toBe('folder');
    expect((info.json.entries as { name: string }[]).map((e) => e.name).sort()).toEqual(['Sub', 'one.txt']);
    const zip = await anonymous.call('GET', `/api/v1/public/links/${token}/content`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.bytes.includes(Buffer.from('two.txt'))).toBe(true);
    expect(zip.bytes.includes(Buffer.from('other.txt'))).toBe(false);

    // path tricks reach nothing else
    for (const path of [
      `/api/v1/public/links/${token}/../../files/${other.id}`,
      `/api/v1/public/links/${token}/content/../../../files`,
      `/api/v1/public/links/${token}%2F..%2F..%2Ffiles`,
      `/api/v1/public/links/${token.toUpperCase()}`,
      `/api/v1/public/links/${token}x`,
      `/api/v1/public/links/${other.id}`,
      `/api/v1/public/links/${token}/content?id=${other.id}`,
    ]) {
      const res = await anonymous.call('GET', path);
      expect([400, 401, 404], `${path}: ${res.status}`).toContain(res.status);
      expect(res.text).not.toContain('not in the folder');
    }

    // trashed: it stops; restored: it works again
    expect((await a.call('DELETE', `/api/v1/folders/${folder.id}`)).status).toBe(204);
    await eventually('the folder in the trash', async () => ((await anonymous.call('GET', `/api/v1/public/links/${token}`)).status === 404 ? true : undefined));
    expect((await a.call('POST', `/api/v1/folders/${folder.id}/restore`)).status).toBe(200);
    await eventually('the folder restored', async () => ((await anonymous.call('GET', `/api/v1/public/links/${token}`)).status === 200 ? true : undefined));

    // a file's link: gone when the file is purged
    const fileLink = await a.call('POST', '/api/v1/links', { kind: 'file', id: other.id });
    const fileToken = fileLink.json.token as string;
    expect((await anonymous.call('GET', `/api/v1/public/links/${fileToken}/content`)).text).toBe('not in the folder');
    expect((await a.call('DELETE', `/api/v1/files/${other.id}`)).status).toBe(204);
    expect((await anonymous.call('GET', `/api/v1/public/links/${fileToken}`)).status).toBe(404);
    expect((await a.call('POST', `/api/v1/files/${other.id}/restore`)).status).toBe(200);
    expect((await anonymous.call('GET', `/api/v1/public/links/${fileToken}`)).status).toBe(200);
    expect((await a.call('DELETE', `/api/v1/files/${other.id}`)).status).toBe(204);
    expect((await a.call('DELETE', `/api/v1/trash/${other.id}`)).status).toBe(204);
    expect((await anonymous.call('GET', `/api/v1/public/links/${fileToken}`)).status).toBe(404);
    expect((await a.call('GET', `/api/v1/links?kind=file&id=${other.id}`)).status).toBe(404);
  });

  it('refuses bad links: expiry past the maximum or in the past, someone else’s item, no token, hostile bodies', async () => {
    const a = await person();
    const b = await person();
    const file = await put(a, 'f.txt', undefined, 'f');
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const tooFar = await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, expiresAt: far });
    expect(tooFar.status).toBe(422);
    expect(tooFar.json.type).toContain('link-expiry');
    expect((await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, expiresAt: new Date(Date.now() - 60_000).toISOString() })).status).toBe(422);
    expect((await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, expiresAt: 'tomorrow' })).status).toBe(400);
    expect((await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, maxDownloads: 0 })).status).toBe(400);
    expect((await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, password: 'short' })).status).toBe(400);
    expect((await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id, extra: true })).status).toBe(400);
    expect((await b.call('POST', '/api/v1/links', { kind: 'file', id: file.id })).status).toBe(404);
    expect((await new Client(gatewayUrl).call('POST', '/api/v1/links', { kind: 'file', id: file.id })).status).toBe(401);
    const made = await a.call('POST', '/api/v1/links', { kind: 'file', id: file.id });
    expect((await b.call('DELETE', `/api/v1/links/${made.json.id}`)).status).toBe(404);
    expect((await b.call('GET', `/api/v1/links?kind=file&id=${file.id}`)).status).toBe(404);
    // unlock of a link without a password, and hostile unlock bodies
    const anonymous = new Client(gatewayUrl);
    expect((await anonymous.call('POST', `/api/v1/public/links/${made.json.token}/unlock`, { password: 'x' })).status).toBe(409);
    expect((await anonymous.call('POST', `/api/v1/public/links/${made.json.token}/unlock`, { password: 'x'.repeat(10_000) })).status).toBe(400);
    expect((await anonymous.call('POST', `/api/v1/public/links/${made.json.token}/unlock`, '{"password":')).status).toBe(400);
    expect((await anonymous.call('GET', `/api/v1/public/links/${made.json.token}`)).status).toBe(200);
  });
});
