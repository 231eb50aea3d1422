/**
 * Search's statement on the test stack's Postgres, against the truth read straight from the
 * passages: documents written as the indexer leaves them (the bench's fill, for owners of this
 * file only), then `search` with small limits, so that each of its regimes (every match ranked,
 * the best tiers ranked, the count from a sample) is seen with a few hundred documents.
 */
import { randomUUID } from 'node:crypto';
import { kyselyFromPool } from '@strata/event-store';
import type {} from '@strata/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fill } from '../bench/fill.js';
import type { Database } from '../src/db/schema.js';
import { refreshSearchDoc } from '../src/projections/documents.js';
import { search } from '../src/projections/search.js';
import { type FillLog, fillSearchTiers } from '../src/db/tiers-fill.js';

const stack = inject('stack');
const words = ['ledger', 'harbour', 'copper', 'lantern', 'meadow', 'orchid', 'quarry', 'saffron', 'timber', 'violet', 'walnut', 'zephyr'];
const planted = ['xylophonic', 'quixotical'];
const DOCS = 300;

let pool: pg.Pool;
let db: Kysely<Database>;
const owner = `search-spec-${randomUUID()}`;
const other = `search-spec-${randomUUID()}`;

/** The owner's files whose passages hold the query, and each one's best passage rank: what search must agree with. */
async function truth(ownerId: string, q: string): Promise<Map<string, number>> {
  const rows = await sql<{ file_id: string; rank: number }>`
    select p.file_id, max(ts_rank_cd(p.tsv, websearch_to_tsquery('english', ${q})))::float8 as rank
    from insights.passages p join insights.documents d on d.file_id = p.file_id and d.current_version = p.version
    where d.owner_id = ${ownerId} and d.status = 'active' and p.tsv @@ websearch_to_tsquery('english', ${q})
    group by p.file_id`.execute(db);
  return new Map(rows.rows.map((r) => [r.file_id, r.rank]));
}

/**
 * The owner's matches by text or name, scored as search scores them (best passage's rank plus
 * half the name's similarity, 0.9 for a prefix), best first: the exact ranking.
 */
async function scored(ownerId: string, q: string): Promise<{ file_id: string; score: number }[]> {
  const rows = await sql<{ file_id: string; score: number }>`
    with t as (
      select p.file_id, max(ts_rank_cd(p.tsv, websearch_to_tsquery('english', ${q}))) as rank
      from insights.passages p join insights.documents d on d.file_id = p.file_id and d.current_version = p.version
      where d.owner_id = ${ownerId} and d.status = 'active' and p.tsv @@ websearch_to_tsquery('english', ${q})
      group by p.file_id),
    n as (
      select d.file_id, greatest(similarity(lower(d.name), lower(${q})), case when lower(d.name) like lower(${`${q}%`}) then 0.9 else 0 end) as rank
      from insights.documents d
      where d.owner_id = ${ownerId} and d.status = 'active' and (lower(d.name) % ${q} or lower(d.name) like ${`%${q}%`}))
    select coalesce(t.file_id, n.file_id) as file_id, (coalesce(t.rank, 0) + coalesce(n.rank, 0) * 0.5)::float8 as score, d.name
    from t full join n on n.file_id = t.file_id join insights.documents d on d.file_id = coalesce(t.file_id, n.file_id)
    order by coalesce(t.rank, 0) + coalesce(n.rank, 0) * 0.5 desc, d.name, 1`.execute(db);
  return rows.rows;
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  db = kyselyFromPool(pool) as Kysely<Database>;
  await fill(pool, 0, DOCS, { ownerId: owner, words, planted, plantEvery: 50 });
  await fill(pool, DOCS, DOCS + 100, { ownerId: other, words, planted, plantEvery: 50 });
}, 120_000);

afterAll(async () => {
  await pool.query(`delete from insights.passages p using insights.documents d where d.owner_id = any($1) and p.file_id = d.file_id`, [[owner, other]]);
  await pool.query(`delete from insights.documents where owner_id = any($1)`, [[owner, other]]);
  await pool.end();
});

describe('search over many documents', () => {
  it('ranks every match exactly while they are fewer than the ranked number, as the passages say', async () => {
    const want = await truth(owner, planted[0]!);
    expect(want.size).toBeGreaterThan(1);
    const got = await search(db, owner, planted[0]!, {}, { offset: 0, limit: 50 });
    expect(got.total).toBe(want.size);
    expect(got.approximate).toBe(false);
    expect(new Set(got.items.map((i) => i.fileId))).toEqual(new Set(want.keys()));
    // best first, by the best passage's rank (no name holds a planted word)
    const ranks = got.items.map((i) => want.get(i.fileId)!);
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    for (const item of got.items) expect(item.snippet).toContain(`<mark>${planted[0]}</mark>`);
  });

  it('ranks a common word on its best tiers: the page is the exact ranking\'s page, the count and facets exact', async () => {
    const word = words[0]!;
    const want = await scored(owner, word);
    expect(want.length).toBeGreaterThan(40);
    // every match counted; only the names and the best tier ranked (each of them: a tier or the
    // names cut at `ranked` would make the page the best of those ranked, no longer the exact one)
    const limits = { rankAll: 10, ranked: 300 };
    const got = await search(db, owner, word, {}, { offset: 0, limit: 20 }, limits);
    expect(got.approximate).toBe(true);
    expect(got.total).toBe(want.length);
    expect(got.facets.type.reduce((n, f) => n + f.count, 0)).toBe(want.length);
    expect(got.facets.year.reduce((n, f) => n + f.count, 0)).toBe(want.length);
    expect(got.items.map((i) => i.fileId)).toEqual(want.slice(0, 20).map((w) => w.file_id));
    const page2 = await search(db, owner, word, {}, { offset: 20, limit: 20 }, limits);
    expect(page2.items.map((i) => i.fileId)).toEqual(want.slice(20, 40).map((w) => w.file_id));
  });

  it('estimates the count and facets of a word in most documents from a sample, and says so', async () => {
    const word = words[0]!;
    const want = await scored(owner, word);
    // a sample of 100 of the owner's 300 documents, counted one by one up to 50 matches only
    const got = await search(db, owner, word, {}, { offset: 0, limit: 20 }, { counted: 50, sample: 100, rankAll: 10, ranked: 300 });
    expect(got.approximate).toBe(true);
    expect(got.total).toBeGreaterThan(want.length * 0.6);
    expect(got.total).toBeLessThan(want.length * 1.5);
    const types = got.facets.type.reduce((n, f) => n + f.count, 0);
    expect(Math.abs(types - got.total)).toBeLessThanOrEqual(got.facets.type.length);
    // the ranking does not depend on the count: the same page as the exact ranking's
    expect(got.items.map((i) => i.fileId)).toEqual(want.slice(0, 20).map((w) => w.file_id));
  });

  it("checks a phrase's order in the passages: its words apart are neither a hit nor counted", async () => {
    const { rows } = await sql<{ file_id: string; version: number }>`select file_id, current_version as version from insights.documents where owner_id = ${owner} order by file_id limit 2`.execute(db);
    const [together, apart] = rows as [{ file_id: string; version: number }, { file_id: string; version: number }];
    const passage = (fileId: string, version: number, text: string) =>
      sql`insert into insights.passages (file_id, version, idx, page, text, config, tsv, extractor_version)
          values (${fileId}, ${version}, 99, 1, ${text}, 'english', to_tsvector('english', ${text}), 1)`.execute(db);
    await passage(together.file_id, together.version, 'The marigold telescope was found.');
    await passage(apart.file_id, apart.version, 'A telescope, and later a marigold.');
    await refreshSearchDoc(db, together.file_id);
    await refreshSearchDoc(db, apart.file_id);
    const loose = await search(db, owner, 'marigold telescope', {}, { offset: 0, limit: 10 });
    expect(new Set(loose.items.map((i) => i.fileId))).toEqual(new Set([together.file_id, apart.file_id]));
    const phrase = await search(db, owner, '"marigold telescope"', {}, { offset: 0, limit: 10 });
    expect(phrase.items.map((i) => i.fileId)).toEqual([together.file_id]);
    expect(phrase.total).toBe(1);
    expect(phrase.items[0]!.snippet).toContain('<mark>marigold</mark> <mark>telescope</mark>');
    // a phrase not wanted does not leave out a document whose words are there in another order
    // (whether the one holding the phrase is left out depends on every language's reading of
    // the words: a query is read in each, and a document kept by any; see the README)
    const without = await search(db, owner, 'marigold -"marigold telescope"', {}, { offset: 0, limit: 10 });
    expect(without.items.map((i) => i.fileId)).toContain(apart.file_id);
  });

  it('matches a document by all its words, wherever they are: words in two passages of one file', async () => {
    const { rows } = await sql<{ file_id: string; version: number }>`select file_id, current_version as version from insights.documents where owner_id = ${owner} order by file_id offset 2 limit 1`.execute(db);
    const [doc] = rows as [{ file_id: string; version: number }];
    for (const [idx, text] of [[97, 'A periwinkle lamp stood by the door.'], [98, 'Nobody ever lit the gondolier.']] as const) {
      await sql`insert into insights.passages (file_id, version, idx, page, text, config, tsv, extractor_version)
                values (${doc.file_id}, ${doc.version}, ${idx}, 1, ${text}, 'english', to_tsvector('english', ${text}), 1)`.execute(db);
    }
    await refreshSearchDoc(db, doc.file_id);
    const both = await search(db, owner, 'periwinkle gondolier', {}, { offset: 0, limit: 10 });
    expect(both.items.map((i) => i.fileId)).toEqual([doc.file_id]);
    expect(both.total).toBe(1);
  });

  it("never counts or returns another owner's documents", async () => {
    const mine = await search(db, owner, planted[1]!, {}, { offset: 0, limit: 50 });
    const theirs = await truth(other, planted[1]!);
    expect(theirs.size).toBeGreaterThan(0);
    for (const item of mine.items) expect(theirs.has(item.fileId)).toBe(false);
    expect(mine.total).toBe((await truth(owner, planted[1]!)).size);
  });

  it('gives the documents indexed before the tiers existed their tiers, batch by batch, and forgets the work once done', async () => {
    const tiersOf = async () =>
      (await sql<{ file_id: string; tiers: string }>`select file_id, tiers::text as tiers from insights.search_docs where owner_id = ${owner} order by file_id`.execute(db)).rows;
    const live = await tiersOf();
    expect(live.filter((r) => r.tiers !== '').length).toBeGreaterThan(40);
    // a database from before the tiers, as migration 20261203T010000_search_tiers leaves it
    await sql`update insights.search_docs set tiers = '' where owner_id = ${owner}`.execute(db);
    await sql`insert into insights.search_tiers_fill (after) values ('00000000-0000-0000-0000-000000000000') on conflict (id) do update set after = excluded.after`.execute(db);
    const lines: string[] = [];
    const log: FillLog = { info: (_, msg) => void lines.push(msg), warn: (_, msg) => void lines.push(`warn: ${msg}`) };
    await fillSearchTiers(db, log, new AbortController().signal);
    expect(await tiersOf()).toEqual(live);
    expect((await sql`select 1 from insights.search_tiers_fill`.execute(db)).rows).toEqual([]);
    expect(lines).toEqual(['search tiers filled for the documents indexed before them']);
    // nothing asked: nothing done
    await fillSearchTiers(db, log, new AbortController().signal);
    expect(lines).toHaveLength(1);
  });

  it('answers a cursor far past what is ranked with an empty page, reading no more than the last page would', async () => {
    const got = await search(db, owner, words[0]!, {}, { offset: 100_000, limit: 20 }, { rankAll: 10, ranked: 300 });
    expect(got.items).toEqual([]);
  });

  it('follows the document: a trashed one leaves search_docs, a restored one comes back with its words', async () => {
    const want = await truth(owner, planted[0]!);
    const [fileId] = [...want.keys()];
    await db.updateTable('insights.documents').set({ status: 'trashed' }).where('file_id', '=', fileId!).execute();
    await refreshSearchDoc(db, fileId!);
    expect((await search(db, owner, planted[0]!, {}, { offset: 0, limit: 50 })).items.map((i) => i.fileId)).not.toContain(fileId);
    await db.updateTable('insights.documents').set({ status: 'active' }).where('file_id', '=', fileId!).execute();
    await refreshSearchDoc(db, fileId!);
    expect((await search(db, owner, planted[0]!, {}, { offset: 0, limit: 50 })).items.map((i) => i.fileId)).toContain(fileId);
  });
});
