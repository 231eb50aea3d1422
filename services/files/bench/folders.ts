/**
 * Folders' benches (issue 15): a folder of 10,000 files listed page by page in every sort, through
 * files' sidecar (files' daprd invokes files: the path a partner's or the gateway's sidecar takes)
 * and, a few calls, through the gateway; then that folder moved to another parent and back, one
 * `PATCH /folders/{id} {parentId}` each, through the gateway and through files' sidecar.
 *
 * The three folders are created by the API; the 10,000 files are written through the service's
 * own command path (`inBatches`: the events and read models are the real ones, no blobs needed).
 */
import { randomUUID } from 'node:crypto';
import { EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import { projections } from '../src/projections/index.js';
import { fileDecider, fileStream } from '../src/streams.js';
import { inBatches, relaySettled } from './as-of.js';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const summary = (times: number[]) => {
  const t = [...times].sort((a, b) => a - b);
  return { requests: t.length, 'p50 ms': percentile(t, 50).toFixed(1), 'p99 ms': percentile(t, 99).toFixed(1), 'max ms': t.at(-1)!.toFixed(1) };
};

interface Target {
  /** `…/api/v1` is appended to it */
  base: string;
  headers: Record<string, string>;
}

async function call(target: Target, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; ms: number; cache: string | null }> {
  for (;;) {
    const t0 = performance.now();
    const res = await fetch(`${target.base}${path}`, {
      method,
      headers: { ...target.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    const ms = performance.now() - t0;
    // the gateway's per-user limit: wait it out, untimed, and ask again
    if (res.status === 429) {
      await new Promise((r) => setTimeout(r, Number(json.retryAfter ?? 5) * 1000));
      continue;
    }
    return { status: res.status, json, ms, cache: res.headers.get('x-cache') };
  }
}

async function mkdir(target: Target, name: string, parentId: string | null): Promise<string> {
  const res = await call(target, 'POST', '/api/v1/folders', { name, parentId });
  if (res.status !== 201) throw new Error(`create folder ${name}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.id as string;
}

export async function foldersBench(opts: { databaseUrl: string; sidecar: Target; gateway: Target; userId: string; files: number; settleSeconds: number; relogin: () => Promise<void>; cases: { children: boolean; move: boolean } }) {
  const { userId: ownerId, files } = opts;
  const left = await mkdir(opts.sidecar, 'left', null);
  const right = await mkdir(opts.sidecar, 'right', null);
  const big = await mkdir(opts.sidecar, 'big', left);

  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4 });
  const seedStart = performance.now();
  try {
    const db = kyselyFromPool(pool) as Kysely<Database>;
    const commands = commandHandler({ store: await EventStore.open({ db, schema: 'files' }), db, decider: fileDecider, streamOf: fileStream, projections });
    const t0 = Date.now() - files * 1000;
    await inBatches(db, Array.from({ length: files }, (_, i) => i), { batch: 25, workers: 4 }, async (transaction, i) => {
      const fileId = randomUUID();
      const versionId = randomUUID();
      // spread names, sizes and times so that every sort reads its own order
      const size = 1000 + ((i * 7919) % files);
      const now = new Date(t0 + ((i * 104_729) % files) * 1000);
      await commands.handle(
        fileId,
        {
          type: 'UploadFile',
          data: {
            fileId,
            ownerId,
            name: `document ${String((i * 6007) % files).padStart(5, '0')}.pdf`,
            via: 'multipart',
            content: { versionId, blobName: `${ownerId}/${fileId}/${versionId}`, size, contentType: 'application/pdf', sha256: '0'.repeat(64) },
            place: { parentId: big, parentLive: true, parentDepth: 2, chain: [big, left], entries: i, taken: [] },
            limits: { maxDepth: 32, maxEntries: files },
            now,
          },
        },
        { transaction, occurredAt: now, metadata: { actor: `user:${ownerId}` } },
      );
    });
    await pool.query('vacuum analyze files.files, files.folders, files.file_history, files.folder_history');
  } finally {
    await pool.end();
  }
  console.log(`\nseeded a folder of ${files} files in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  await relaySettled(opts.databaseUrl, opts.settleSeconds);
  await opts.relogin();

  const results: Record<string, Record<string, ReturnType<typeof summary>>> = {};
  if (opts.cases.children) {
    const sorts = ['name', '-name', 'createdAt', '-updatedAt', 'size', '-size'];
    /** Every page of the folder in each sort, by cursor: the first pages and the deep ones apart. */
    const walk = async (target: Target, pagesPerSort: number) => {
      const first: number[] = [];
      const deep: number[] = [];
      const all: number[] = [];
      // the baseline, in the same run: one folder by id (a one-row read) after each page, on the same path
      const baseline: number[] = [];
      for (const sort of sorts) {
        let cursor: string | null = null;
        let seen = 0;
        for (let page = 0; page < pagesPerSort; page++) {
          const res = await call(target, 'GET', `/api/v1/folders/${big}/children?limit=50&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          if (res.status !== 200) throw new Error(`children (${sort}): ${res.status} ${JSON.stringify(res.json)}`);
          // each page is asked once: the gateway's response cache never has it (a hit would not measure the path)
          if (res.cache === 'hit') throw new Error(`children (${sort}): answered by the gateway's cache`);
          seen += (res.json.items as unknown[]).length;
          (page === 0 ? first : deep).push(res.ms);
          all.push(res.ms);
          cursor = res.json.nextCursor as string | null;
          const one = await call(target, 'GET', `/api/v1/folders/${big}`);
          if (one.status !== 200) throw new Error(`folder: ${one.status}`);
          baseline.push(one.ms);
          if (cursor === null) break;
        }
        if (pagesPerSort * 50 >= files && seen !== files) throw new Error(`children (${sort}): ${seen} entries, not ${files}`);
      }
      const base = summary(baseline);
      const vs = (t: number[]) => ({ ...summary(t), 'p99 vs baseline': (Number(summary(t)['p99 ms']) / Number(base['p99 ms'])).toFixed(2) });
      return { 'first pages': vs(first), 'deeper pages (by cursor)': vs(deep), 'all pages': vs(all), 'baseline: GET /folders/{id}': vs(baseline) };
    };
    // untimed first calls: connections, the JIT, the plans
    for (let i = 0; i < 30; i++) await call(opts.sidecar, 'GET', `/api/v1/folders/${big}/children?limit=50&sort=${sorts[i % sorts.length]!}`);
    const viaSidecar = await walk(opts.sidecar, Math.ceil(files / 50));
    // the gateway allows a user 100 calls a minute: the first ten pages of each sort (429s waited out, untimed)
    const viaGateway = await walk(opts.gateway, 10);
    console.log(`listing a folder of ${files} files (limit=50; sorts ${sorts.join(', ')}; every page by cursor through the sidecar, the first 10 through the gateway)`);
    const table: Record<string, ReturnType<typeof summary>> = {};
    for (const [k, v] of Object.entries(viaSidecar)) table[`files' sidecar, ${k}`] = v;
    for (const [k, v] of Object.entries(viaGateway)) table[`gateway, ${k}`] = v;
    console.table(table);
    results.children = table;
  }
  if (opts.cases.move) {
    /** The folder moved to the other parent and back, `n` times each way, one PATCH each. */
    const moves = async (target: Target, n: number) => {
      const times: number[] = [];
      for (let i = 0; i < 2 * n; i++) {
        const res = await call(target, 'PATCH', `/api/v1/folders/${big}`, { parentId: i % 2 === 0 ? right : left });
        if (res.status !== 200) throw new Error(`move: ${res.status} ${JSON.stringify(res.json)}`);
        times.push(res.ms);
      }
      return summary(times);
    };
    // the move changes the folder alone: its files are where it is, so they move with it
    const check = await call(opts.sidecar, 'GET', `/api/v1/folders/${big}/children?limit=1`);
    const table = { "files' sidecar": await moves(opts.sidecar, 10), gateway: await moves(opts.gateway, 10) };
    const after = await call(opts.sidecar, 'GET', `/api/v1/folders/${big}`);
    if (after.json.parentId !== left || (check.json.items as unknown[]).length !== 1) throw new Error('the folder is not where the moves left it');
    console.log(`moving a folder of ${files} files to another parent (one PATCH /api/v1/folders/{id} {parentId}), ten each way, through each path`);
    console.table(table);
    results.move = table;
  }
  return results;
}
