/**
 * Time travel's bench: a drive of `events` events for one user (folders, uploads, then renames,
 * moves, stars, trash and restores, versions), written through the service's own command paths
 * with moments spread over a timeline, then listed as of moments along it beside the same
 * listings now, in the same run (the ratio is what to read on a loaded machine).
 */
import { randomUUID } from 'node:crypto';
import { EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import { type Kysely, type Transaction, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import type { Place } from '../src/domain/folder/place.js';
import { folderProjections, projections } from '../src/projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream } from '../src/streams.js';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const WORKERS = 4;
const limits = { maxDepth: 32, maxEntries: 1_000_000 };
// the bench writes names that never clash: the tree's checks are the routes' business, not this seed's
const placeIn = (parentId: string | null): Place => ({ parentId, parentLive: true, parentDepth: parentId ? 1 : 0, chain: parentId ? [parentId] : [], entries: 0, taken: [] });

/**
 * Runs `work` for each item in transactions of `batch` commands, on `workers` connections at once
 * (item i on worker i % workers), each transaction committed without waiting for its WAL flush
 * (`synchronous_commit = off`, that transaction only: a bench's seed, nothing a service does).
 * The commands are the service's own, so the log and every read model are exactly what the routes
 * would have written, only faster than one request per event.
 */
export async function inBatches<T>(db: Kysely<Database>, items: T[], opts: { batch: number; workers: number }, work: (trx: Transaction<Database>, item: T, worker: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: opts.workers }, async (_, w) => {
      const mine = items.filter((_, i) => i % opts.workers === w);
      for (let i = 0; i < mine.length; i += opts.batch) {
        await db.transaction().execute(async (trx) => {
          await sql`set local synchronous_commit = off`.execute(trx);
          for (const item of mine.slice(i, i + opts.batch)) await work(trx, item, w);
        });
      }
    }),
  );
}

/**
 * Waits (at most `seconds`) until the relay has published every event of the log: a seed of
 * 100,000 events leaves the relay that much to send through the sidecar, which would be measured
 * with the listings otherwise. Returns how many events it still had to publish when it stopped waiting.
 */
export async function relaySettled(databaseUrl: string, seconds: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const { rows } = await client.query<{ behind: string | null }>(
        `select max((select count(*) from files.events e where (e.tx_order, e.global_position) > (c.tx_order, c.global_position)))::text as behind from files.checkpoints c`,
      );
      const behind = Number(rows[0]?.behind ?? 0);
      if (behind === 0 || Date.now() >= deadline) {
        console.log(behind === 0 ? 'the relay has published the whole log' : `measuring with the relay still ${behind} events behind`);
        return behind;
      }
      await new Promise((r) => setTimeout(r, 5000));
    }
  } finally {
    await client.end();
  }
}

/** Seeds a drive of about `events` events for `ownerId`; returns its timeline and its busiest folder. */
export async function seedDrive(databaseUrl: string, ownerId: string, events: number) {
  const folderCount = Math.max(10, Math.round(events / 1000));
  const fileCount = Math.max(100, Math.round(events / 10));
  const step = 10; // ms between two events' moments
  const start = Date.now() - events * step - 60_000;
  let k = 0;
  const moment = () => new Date(start + k++ * step);

  const pool = new pg.Pool({ connectionString: databaseUrl, max: WORKERS });
  const folders: string[] = [];
  const seedStart = performance.now();
  try {
    const db = kyselyFromPool(pool) as Kysely<Database>;
    const store = await EventStore.open({ db, schema: 'files' });
    const fileCommands = commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections });
    const folderCommands = commandHandler({ store, db, decider: folderDecider, streamOf: folderStream, projections: folderProjections });
    // every upload and version adds to the owner's usage row: short transactions keep its lock short
    const batch = { batch: 25, workers: WORKERS };
    await inBatches(db, Array.from({ length: folderCount }, (_, i) => i), batch, async (transaction, i) => {
      const folderId = randomUUID();
      const now = moment();
      await folderCommands.handle(folderId, { type: 'CreateFolder', data: { folderId, ownerId, name: `folder ${i}`, place: placeIn(null), limits, now } }, { transaction, occurredAt: now });
      folders.push(folderId);
    });
    const files: { id: string; folder: string | null; trashed: boolean; starred: boolean; n: number }[] = [];
    await inBatches(db, Array.from({ length: fileCount }, (_, i) => i), batch, async (transaction, i) => {
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
        { transaction, occurredAt: now },
      );
      files.push({ id: fileId, folder, trashed: false, starred: false, n: 0 });
    });
    // then renames, moves, stars, trash and restores, versions, at random (seeded: the same drive
    // every run); each worker changes its own files only (item i % workers: file j % workers)
    const randoms = Array.from({ length: WORKERS }, (_, w) => {
      let r = 7919 * (w + 1);
      return (n: number) => (r = (r * 1103515245 + 12345) % 2147483648) % n;
    });
    const filesOf = Array.from({ length: WORKERS }, (_, w) => files.filter((_, j) => j % WORKERS === w));
    const rest = Math.max(0, events - folderCount - fileCount);
    await inBatches(db, Array.from({ length: rest }, (_, i) => i), batch, async (transaction, _, w) => {
      const rnd = randoms[w]!;
      const mine = filesOf[w]!;
      const f = mine[rnd(mine.length)]!;
      const now = moment();
      const data = { ownerId, now };
      const options = { transaction, occurredAt: now };
      const roll = rnd(100);
      if (f.trashed) {
        await fileCommands.handle(f.id, { type: 'RestoreFile', data }, options);
        f.trashed = false;
      } else if (roll < 35) await fileCommands.handle(f.id, { type: 'RenameFile', data: { ...data, name: `file ${f.id.slice(0, 8)} r${++f.n}.pdf` } }, options);
      else if (roll < 60) {
        let to = rnd(5) === 0 ? null : folders[rnd(folders.length)]!;
        if (to === f.folder) to = to === null ? folders[0]! : null;
        await fileCommands.handle(f.id, { type: 'MoveFile', data: { ...data, place: placeIn(to), limits } }, options);
        f.folder = to;
      } else if (roll < 75) {
        await fileCommands.handle(f.id, { type: f.starred ? 'UnstarFile' : 'StarFile', data }, options);
        f.starred = !f.starred;
      } else if (roll < 85) {
        await fileCommands.handle(f.id, { type: 'TrashFile', data }, options);
        f.trashed = true;
      } else {
        const versionId = randomUUID();
        const content = { versionId, blobName: `${ownerId}/${f.id}/${versionId}`, size: 2000 + rnd(1000), contentType: 'application/pdf', sha256: '1'.repeat(64) };
        await fileCommands.handle(f.id, { type: 'AddVersion', data: { ...data, content } }, options);
      }
    });
    // what autovacuum would have done by now on a drive that grew over months: statistics, and
    // the visibility map that lets the history's index-only scans skip the heap
    await pool.query('vacuum analyze files.files, files.folders, files.file_history, files.folder_history');
  } finally {
    await pool.end();
  }
  const end = start + k * step;
  console.log(`\nseeded a drive of ${k} events (${folderCount} folders, ${fileCount} files) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  // files i with i % 100 === 1 are uploaded into folders[1] (i % 5 === 0 go to the root): it is full from the start
  return { start, end, events: k, busy: folders[1]! };
}

export async function asOfBench(opts: { databaseUrl: string; base: string; login: () => Promise<Record<string, string>>; userId: string; events: number; requests: number; settleSeconds: number }) {
  const { start, end, events: k, busy } = await seedDrive(opts.databaseUrl, opts.userId, opts.events);
  await relaySettled(opts.databaseUrl, opts.settleSeconds);
  const auth = await opts.login();
  const shapes = {
    'all files, by name': '/api/v1/files?limit=50&sort=name',
    'all files, recent first': '/api/v1/files?limit=50&sort=-updatedAt',
    'all files, largest first, 5th page': '/api/v1/files?limit=50&sort=-size',
    'one folder, children by name': `/api/v1/folders/${busy}/children?limit=50&sort=name`,
    'one folder, children recent first': `/api/v1/folders/${busy}/children?limit=50&sort=-updatedAt`,
    'the root, children by size': '/api/v1/folders/root/children?limit=50&sort=-size',
  };
  const get = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(`${opts.base}${path}`, { headers: auth });
    const body = (await res.json()) as { items?: unknown[]; nextCursor?: string | null };
    if (res.status !== 200 || !Array.isArray(body.items)) throw new Error(`${path}: ${res.status}`);
    return { ms: performance.now() - t0, next: body.nextCursor ?? null };
  };
  /** Each shape in turn, `perShape` times each (one a page deep in: its cursor read untimed first). */
  const measure = async (asOf: Date | null, perShape: number) => {
    const times = new Map<string, number[]>(Object.keys(shapes).map((k) => [k, []]));
    const moment = asOf ? `&asOf=${asOf.toISOString()}` : '';
    const paths = new Map<string, string>();
    for (const [name, path] of Object.entries(shapes)) {
      let full = path + moment;
      if (name.endsWith('5th page')) {
        for (let page = 1; page < 5; page++) {
          const { next } = await get(full);
          if (next) full = `${path}${moment}&cursor=${encodeURIComponent(next)}`;
        }
      }
      paths.set(name, full);
    }
    // the first round warms connections, the JIT and the plans: untimed
    for (const path of paths.values()) await get(path);
    for (let i = 0; i < perShape; i++) for (const [name, path] of paths) times.get(name)!.push((await get(path)).ms);
    return times;
  };
  const perShape = Math.ceil(opts.requests / Object.keys(shapes).length);
  const now = await measure(null, perShape);
  const sorted = (t: number[]) => [...t].sort((a, b) => a - b);
  const row = (name: string, t: number[]) => {
    const s = sorted(t);
    const base = percentile(sorted(now.get(name)!), 99);
    return { requests: s.length, 'p50 ms': percentile(s, 50).toFixed(1), 'p99 ms': percentile(s, 99).toFixed(1), 'max ms': s.at(-1)!.toFixed(1), 'p99 vs now': (percentile(s, 99) / base).toFixed(2) };
  };
  const table: Record<string, ReturnType<typeof row>> = {};
  for (const [name, t] of now) table[`now (the live read models): ${name}`] = row(name, t);
  const all: number[] = [];
  for (const share of [0.1, 0.5, 0.9, 1]) {
    const times = await measure(new Date(start + (end - start) * share), perShape);
    for (const [name, t] of times) {
      table[`as of ${Math.round(share * 100)}%: ${name}`] = row(name, t);
      all.push(...t);
    }
  }
  const s = sorted(all);
  console.log(`as-of listing of a drive of ${k} events through files' sidecar (limit 50; moments at 10/50/90/100% of its timeline)`);
  console.table(table);
  console.log(`every as-of listing: ${s.length} requests, p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms (goal: p99 under 200 ms)`);
  return table;
}
