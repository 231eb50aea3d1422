/**
 * Time travel's bench: a drive of `events` events for one user (folders, uploads, then renames,
 * moves, stars, trash and restores, versions), written through the service's own command paths
 * with moments spread over a timeline, then listed as of moments along it beside the same
 * listings now, in the same run (the ratio is what to read on a loaded machine).
 */
import { randomUUID } from 'node:crypto';
import { EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import type { Place } from '../src/domain/folder/place.js';
import { folderProjections, projections } from '../src/projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream } from '../src/streams.js';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const limits = { maxDepth: 32, maxEntries: 1_000_000 };
// the bench writes names that never clash: the tree's checks are the routes' business, not this seed's
const placeIn = (parentId: string | null): Place => ({ parentId, parentLive: true, parentDepth: parentId ? 1 : 0, chain: parentId ? [parentId] : [], entries: 0, taken: [] });

export async function asOfBench(opts: { databaseUrl: string; base: string; auth: Record<string, string>; userId: string; events: number; requests: number }) {
  const { userId: ownerId, events } = opts;
  const folderCount = Math.max(10, Math.round(events / 1000));
  const fileCount = Math.max(100, Math.round(events / 10));
  const step = 10; // ms between two events' moments
  const start = Date.now() - events * step - 60_000;
  let k = 0;
  const moment = () => new Date(start + k++ * step);

  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 8 });
  const folders: string[] = [];
  const files: { id: string; folder: string | null }[] = [];
  const seedStart = performance.now();
  try {
    const db = kyselyFromPool(pool) as Kysely<Database>;
    const store = await EventStore.open({ db, schema: 'files' });
    const fileCommands = commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections });
    const folderCommands = commandHandler({ store, db, decider: folderDecider, streamOf: folderStream, projections: folderProjections });
    for (let i = 0; i < folderCount; i++) {
      const folderId = randomUUID();
      const now = moment();
      await folderCommands.handle(folderId, { type: 'CreateFolder', data: { folderId, ownerId, name: `folder ${i}`, place: placeIn(null), limits, now } }, { occurredAt: now });
      folders.push(folderId);
    }
    const workers = 8;
    let written = folderCount;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const mine: { id: string; folder: string | null; trashed: boolean; starred: boolean; n: number }[] = [];
        for (let i = w; i < fileCount; i += workers) {
          const fileId = randomUUID();
          const versionId = randomUUID();
          const folder = i % 5 === 0 ? null : folders[i % folders.length]!;
          const now = moment();
          await fileCommands.handle(
            fileId,
            {
              type: 'UploadFile',
              data: {
                fileId,
                ownerId,
                name: `file ${i}.pdf`,
                via: 'multipart',
                content: { versionId, blobName: `${ownerId}/${fileId}/${versionId}`, size: 1000 + i, contentType: 'application/pdf', sha256: '0'.repeat(64) },
                place: placeIn(folder),
                limits,
                now,
              },
            },
            { occurredAt: now },
          );
          mine.push({ id: fileId, folder, trashed: false, starred: false, n: 0 });
          files.push({ id: fileId, folder });
          written++;
        }
        let r = w * 7919;
        const rnd = (n: number) => (r = (r * 1103515245 + 12345) % 2147483648) % n;
        while (written < events) {
          const f = mine[rnd(mine.length)]!;
          const now = moment();
          const data = { ownerId, now };
          const roll = rnd(100);
          if (f.trashed) {
            await fileCommands.handle(f.id, { type: 'RestoreFile', data }, { occurredAt: now });
            f.trashed = false;
          } else if (roll < 35) await fileCommands.handle(f.id, { type: 'RenameFile', data: { ...data, name: `file ${f.id.slice(0, 8)} r${++f.n}.pdf` } }, { occurredAt: now });
          else if (roll < 60) {
            const to = rnd(5) === 0 ? null : folders[rnd(folders.length)]!;
            if (to === f.folder) continue;
            await fileCommands.handle(f.id, { type: 'MoveFile', data: { ...data, place: placeIn(to), limits } }, { occurredAt: now });
            f.folder = to;
          } else if (roll < 75) {
            await fileCommands.handle(f.id, { type: f.starred ? 'UnstarFile' : 'StarFile', data }, { occurredAt: now });
            f.starred = !f.starred;
          } else if (roll < 85) {
            await fileCommands.handle(f.id, { type: 'TrashFile', data }, { occurredAt: now });
            f.trashed = true;
          } else {
            const versionId = randomUUID();
            const content = { versionId, blobName: `${ownerId}/${f.id}/${versionId}`, size: 2000 + rnd(1000), contentType: 'application/pdf', sha256: '1'.repeat(64) };
            await fileCommands.handle(f.id, { type: 'AddVersion', data: { ...data, content } }, { occurredAt: now });
          }
          written++;
        }
      }),
    );
    await pool.query('analyze files.files, files.folders, files.file_history, files.folder_history');
  } finally {
    await pool.end();
  }
  const end = start + k * step;
  console.log(`\nseeded a drive of ${k} events (${folderCount} folders, ${fileCount} files) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const busy = folders[0]!;
  const shapes = {
    'all files, by name': '/api/v1/files?limit=50&sort=name',
    'all files, recent first': '/api/v1/files?limit=50&sort=-updatedAt',
    'one folder, children': `/api/v1/folders/${busy}/children?limit=50&sort=name`,
    'the root, children': '/api/v1/folders/root/children?limit=50&sort=-size',
  };
  const measure = async (asOf: Date | null) => {
    const times: number[] = [];
    const paths = Object.values(shapes);
    for (let i = 0; i < opts.requests + 20; i++) {
      const path = paths[i % paths.length]! + (asOf ? `&asOf=${asOf.toISOString()}` : '');
      const t0 = performance.now();
      const res = await fetch(`${opts.base}${path}`, { headers: opts.auth });
      const body = (await res.json()) as { items?: unknown[] };
      if (res.status !== 200 || !Array.isArray(body.items)) throw new Error(`${path}: ${res.status}`);
      // the first calls warm connections, the JIT and the plans: untimed
      if (i >= 20) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times;
  };
  const now = await measure(null);
  const row = (t: number[]) => ({ requests: t.length, 'p50 ms': percentile(t, 50).toFixed(1), 'p99 ms': percentile(t, 99).toFixed(1), 'max ms': t.at(-1)!.toFixed(1), 'p99 vs now': (percentile(t, 99) / percentile(now, 99)).toFixed(2) });
  const table: Record<string, ReturnType<typeof row>> = { 'now (the live read models: the baseline)': row(now) };
  for (const share of [0.1, 0.5, 0.9, 1]) {
    const at = new Date(start + (end - start) * share);
    table[`as of ${Math.round(share * 100)}% of the timeline`] = row(await measure(at));
  }
  console.log(`as-of listing of a drive of ${k} events through files' sidecar (limit 50; four shapes in turn: ${Object.keys(shapes).join(', ')})`);
  console.table(table);
  return table;
}
