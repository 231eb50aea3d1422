/**
 * "Export everything" (issue 16) through the gateway: a ZIP of the drive as its folders show it
 * and the activity as JSON, built in the background, read back by yauzl (and Info-ZIP's unzip for
 * the activity) and compared byte for byte with what was uploaded; state in Postgres, so a build
 * whose process died is built again by a live replica.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kyselyFromPool } from '@strata/event-store';
import type {} from '@strata/testing';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../src/db/schema.js';
import { rawRequest } from '@strata/testing/client';
import { Client, eventually, mkdir, put, sha256 } from './support.js';
import { readZip } from './zip-reader.js';

const stack = inject('stack');
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2, application_name: 'files-exports-test' });
const db = kyselyFromPool(pool) as Kysely<Database>;
const dir = mkdtempSync(join(tmpdir(), 'strata-exports-'));
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

type ExportView = { id: string; status: string; progress: number; download: string | null; size: number | null; error: string | null };

/** Polls the export until it is ready (or failed), keeping every progress it showed. */
async function untilDone(client: Client, id: string) {
  const seen: number[] = [];
  const done = await eventually(
    `export ${id}`,
    async () => {
      const res = await client.call('GET', `/api/v1/me/exports/${id}`);
      expect(res.status, res.text).toBe(200);
      const view = res.json as unknown as ExportView;
      seen.push(view.progress);
      return view.status === 'ready' || view.status === 'failed' ? view : undefined;
    },
    60_000,
  );
  return { view: done, seen };
}

async function download(client: Client, view: ExportView) {
  const res = await client.call('GET', view.download!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="strata-export-\d{4}-\d{2}-\d{2}\.zip"/);
  expect(res.bytes.length).toBe(view.size);
  const path = join(dir, `${view.id}.zip`);
  writeFileSync(path, res.bytes);
  return path;
}

/** A drive with files at the top, in a folder and in a folder inside it, and one trashed. */
async function seedDrive(client: Client) {
  const big = randomBytes(300 * 1024);
  const docs = await mkdir(client, 'Docs');
  const inner = await mkdir(client, 'Inner', docs.id as string);
  await mkdir(client, 'Empty');
  const uploads = {
    'files/notes.txt': 'top-level notes',
    'files/Docs/report.bin': big,
    'files/Docs/Inner/deep.txt': 'deep inside',
  };
  await put(client, 'notes.txt', undefined, uploads['files/notes.txt']);
  const res = await client.upload('report.bin', big, { path: `/api/v1/files?folderId=${String(docs.id)}` });
  expect(res.status).toBe(201);
  await put(client, 'deep.txt', inner.id as string, uploads['files/Docs/Inner/deep.txt']);
  const gone = await put(client, 'gone.txt', undefined, 'trashed, not exported');
  expect((await client.call('DELETE', `/api/v1/files/${String(gone.id)}`)).status).toBe(204);
  return uploads;
}

const expectedEntries = (uploads: Record<string, string | Buffer>) =>
  [
    { name: 'files/', sha256: '' },
    { name: 'files/Docs/', sha256: '' },
    { name: 'files/Docs/Inner/', sha256: '' },
    { name: 'files/Empty/', sha256: '' },
    ...Object.entries(uploads).map(([name, bytes]) => ({ name, sha256: sha256(Buffer.from(bytes)) })),
  ].sort((a, b) => a.name.localeCompare(b.name));

describe('POST /api/v1/me/exports', () => {
  it('builds a ZIP of every live file in its folders and the activity as JSON, with progress, then a download', async () => {
    const a = await Client.user(stack);
    const uploads = await seedDrive(a);

    const asked = await a.call('POST', '/api/v1/me/exports');
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ id: expect.any(String), status: expect.stringMatching(/^(queued|running)$/) });
    expect(asked.headers.get('location')).toBe(`/api/v1/me/exports/${String(asked.json.id)}`);

    const { view, seen } = await untilDone(a, asked.json.id as string);
    expect(view.status, view.error ?? '').toBe('ready');
    expect(seen.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p >= seen[i - 1]!))).toBe(true);
    expect(seen.at(-1)).toBe(1);

    const path = await download(a, view);
    const entries = await readZip(path);
    const files = entries.filter((e) => e.name !== 'activity.json').map(({ name, sha256 }) => ({ name, sha256 })).sort((x, y) => x.name.localeCompare(y.name));
    expect(files).toEqual(expectedEntries(uploads));

    const activity = JSON.parse(execFileSync('unzip', ['-p', path, 'activity.json']).toString('utf8')) as { ownerId: string; items: { type: string; fileId: string }[] };
    expect(activity.ownerId).toBe(a.userId);
    const trail = await a.call('GET', '/api/v1/activity?limit=100');
    expect(activity.items).toEqual((trail.json.items as unknown[]));
    expect(activity.items.map((i) => i.type)).toContain('FileTrashed');
  });

  it('an export whose builder died is built again by a live replica (its state is in Postgres)', async () => {
    const a = await Client.user(stack);
    const uploads = await seedDrive(a);
    const id = randomUUID();
    // as a replica leaves it when it is killed half-way: running, its heartbeat a minute old
    const minuteAgo = new Date(Date.now() - 60_000);
    await db
      .insertInto('files.exports')
      .values({ id, owner_id: a.userId!, status: 'running', attempts: 1, heartbeat_at: minuteAgo, created_at: minuteAgo, blob_name: `exports/${id}.zip` })
      .execute();
    const { view } = await untilDone(a, id);
    expect(view.status, view.error ?? '').toBe('ready');
    const row = await db.selectFrom('files.exports').select(['attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(2);
    const entries = await readZip(await download(a, view));
    expect(entries.filter((e) => e.name !== 'activity.json').map(({ name, sha256 }) => ({ name, sha256 })).sort((x, y) => x.name.localeCompare(y.name))).toEqual(expectedEntries(uploads));
  });

  it("refuses what must not work: no token, another user's export, a malformed id, a download before it is ready", async () => {
    const a = await Client.user(stack);
    await put(a, 'mine.txt');
    const asked = await a.call('POST', '/api/v1/me/exports');
    expect(asked.status).toBe(202);
    const id = asked.json.id as string;
    const b = await Client.user(stack);
    for (const path of [`/api/v1/me/exports/${id}`, `/api/v1/me/exports/${id}/content`]) {
      const theirs = await b.call('GET', path);
      expect(theirs.status, path).toBe(404);
      expect(theirs.headers.get('content-type')).toContain('application/problem+json');
      expect((await new Client(stack.gatewayUrl).call('GET', path)).status).toBe(401);
    }
    expect((await new Client(stack.gatewayUrl).call('POST', '/api/v1/me/exports')).status).toBe(401);
    for (const bad of ['not-a-uuid', '..%2F..%2Fetc', `${id}x`]) expect((await a.call('GET', `/api/v1/me/exports/${bad}`)).status, bad).toBe(400);
    for (const odd of [`/api/v1/ME/exports/${id}`, `/api/v1/me//exports/${id}`, `/api/v1/me/%65xports/${id}`, `/api/v1/me/./exports/${id}/content`, `/api/v1/me/exports%2f${id}`]) {
      expect([400, 401, 404], odd).toContain((await rawRequest(stack.gatewayUrl, 'GET', odd)).status);
    }
    // one that failed has nothing to download
    const failed = randomUUID();
    await db.insertInto('files.exports').values({ id: failed, owner_id: a.userId!, status: 'failed', error: 'x', created_at: new Date() }).execute();
    expect((await a.call('GET', `/api/v1/me/exports/${failed}/content`)).status).toBe(409);
    expect((await a.call('GET', `/api/v1/me/exports/${failed}`)).json).toMatchObject({ status: 'failed', download: null });
    // a new one for B is B's own, never A's
    const mine = await b.call('POST', '/api/v1/me/exports');
    expect(mine.status).toBe(202);
    expect(mine.json.id).not.toBe(id);
    const { view } = await untilDone(b, mine.json.id as string);
    const entries = await readZip(await download(b, view));
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['files/', 'activity.json']));
    expect(entries.map((e) => e.name)).not.toContain('files/mine.txt');
  });
});
