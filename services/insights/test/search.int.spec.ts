/**
 * Search's statement on the test stack's Postgres, against the truth read straight from the
 * passages: documents written as the indexer leaves them (the bench's fill, for owners of this
 * file only), then `search` with a small number of ranked matches, so that both of its regimes
 * (every match ranked, and more matches than are ranked) are seen with a few hundred documents.
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
    const got = await search(db, owner, planted[0]!, {}, { offset: 0, limit: 50 }, 100);
    expect(got.total).toBe(want.size);
    expect(got.approximate).toBe(false);
    expect(new Set(got.items.map((i) => i.fileId))).toEqual(new Set(want.keys()));
    // best first, by the best passage's rank (no name holds a planted word)
    const ranks = got.items.map((i) => want.get(i.fileId)!);
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    for (const item of got.items) expect(item.snippet).toContain(`<mark>${planted[0]}</mark>`);
  });

  it('counts every match and its facets when more match than are ranked, and says the ranking is partial', async () => {
    const word = words[0]!;
    const want = await truth(owner, word);
    expect(want.size).toBeGreaterThan(40);
    const got = await search(db, owner, word, {}, { offset: 0, limit: 20 }, 25);
    // a name may match too: those are counted with the rest
    const named = await sql<{ file_id: string }>`select file_id from insights.documents where owner_id = ${owner} and (lower(name) like ${`%${word}%`} or lower(name) % ${word})`.execute(db);
    const all = new Set([...want.keys(), ...named.rows.map((r) => r.file_id)]);
    expect(got.total).toBe(all.size);
    expect(got.approximate).toBe(true);
    expect(got.facets.type.reduce((n, f) => n + f.count, 0)).toBe(all.size);
    expect(got.facets.year.reduce((n, f) => n + f.count, 0)).toBe(all.size);
    expect(got.items).toHaveLength(20);
    for (const item of got.items) expect(all.has(item.fileId)).toBe(true);
    // the ranked are the names that match first, then the newest: 25 of them over two pages
    const page2 = await search(db, owner, word, {}, { offset: 20, limit: 20 }, 25);
    expect(page2.items).toHaveLength(5);
    expect(page2.more).toBe(false);
    const ranked = new Set([...got.items, ...page2.items].map((i) => i.fileId));
    const byName = new Set(named.rows.map((r) => r.file_id));
    const textOnly = await sql<{ file_id: string }>`
      select d.file_id from insights.documents d join insights.versions v on v.file_id = d.file_id and v.version = d.current_version
      where d.file_id = any(${[...want.keys()].filter((id) => !byName.has(id))}::uuid[]) order by v.created_at desc, d.file_id limit ${Math.max(0, 25 - byName.size)}`.execute(db);
    if (byName.size >= 25) for (const id of ranked) expect(byName.has(id)).toBe(true);
    else expect(ranked).toEqual(new Set([...byName, ...textOnly.rows.map((r) => r.file_id)]));
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
