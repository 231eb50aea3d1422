import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { MARK_END, MARK_START } from '../indexer/indexer.js';

/** The text search configurations a query is parsed with: one per language the index holds (textSearchConfig's range). */
export const QUERY_CONFIGS = ['simple', 'english', 'german', 'french', 'spanish', 'italian', 'dutch', 'portuguese', 'russian', 'swedish'] as const;

export interface SearchFilters {
  /** A content-type family: pdf, document, spreadsheet, presentation, text, image, other. */
  type?: string | undefined;
  tag?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface SearchHit {
  fileId: string;
  name: string;
  version: number;
  score: number;
  snippet: string;
  page: number | null;
}

/** Escapes a snippet for HTML, then turns the match sentinels into <mark>: plain text but for the marks. */
export function markSnippet(raw: string): string {
  const escaped = raw.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return escaped.replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>');
}

/** The query in every configuration, OR-ed: each document's tsvector is in its own language. */
/** A query's tsquery in every configuration (QUERY_CONFIGS): all its words (a search), or any (a question). */
export const tsqueryOf = (q: string, mode: 'all' | 'any') => {
  const parts = QUERY_CONFIGS.map((c) =>
    mode === 'all' ? sql`websearch_to_tsquery(${c}::regconfig, ${q})` : sql`replace(plainto_tsquery(${c}::regconfig, ${q})::text, '&', '|')::tsquery`,
  );
  return sql`(${sql.join(parts, sql` || `)})`;
};

/**
 * How many matches a search ranks at most, and so how far it pages. Ranking reads each ranked
 * document's passages (about 0.07 ms each), so a word common to most of a drive is never ranked
 * on all its matches: see `search`.
 */
export const RANKED_MATCHES = 500;

/** Up to this many matches (as the sample says) are all ranked: exactly the ranking of the passages. */
export const RANK_ALL = 200;

/** Up to this many matches (as the sample says) are counted and faceted one by one; more are estimated from the sample. */
export const COUNTED_MATCHES = 10_000;

/** How many of the owner's documents the sample reads (the first by id: random UUIDs). */
export const SAMPLE_DOCS = 1_000;

/** The tiers a search may rank from, the highest first (migration 20261203T010000_search_tiers). */
const TIERS = [32, 23, 16, 11, 8, 6, 5, 4, 3, 2] as const;

/** The lexemes a tsquery's text names ('it''s' → it's). */
export function lexemesOf(tsquery: string): string[] {
  const out = new Set<string>();
  for (const m of tsquery.matchAll(/'((?:[^'\\]|''|\\.)*)'/g)) out.add(m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1'));
  return [...out];
}

/** The tsquery of the documents in which any of these lexemes reaches tier n (said n times in one passage). */
export function tierQuery(lexemes: readonly string[], n: number): string {
  return lexemes.map((l) => `'${l.replace(/\\/g, '\\\\').replace(/'/g, "''")}#${n}'`).join(' | ');
}

/**
 * The owner's active documents whose current version's text or name matches, best first, one hit
 * per file (its best passage, with the matches marked), the facets of all matches and their count.
 *
 * What it reads is bounded by RANKED_MATCHES and SAMPLE_DOCS, however common the words:
 * 1. The sample: the owner's first SAMPLE_DOCS documents by id (a random sample) and which of them
 *    match, with the number of the best matches in each tier (below). It says how many match.
 * 2. Up to COUNTED_MATCHES, the count and the facets are exact (every match's narrow row); past it
 *    they are the sample's, scaled (`approximate`).
 * 3. Up to RANK_ALL matches are all ranked on their passages (`ts_rank_cd` of the best passage,
 *    plus half the name's similarity). Past it the ranked are the names that match and the
 *    documents of the highest tier holding enough for the page: a word's rank in a passage grows
 *    with how often the passage says it, and a document's tiers say the most it says each word in
 *    one passage. For one word that is the exact ranking's page; for several, the documents that
 *    repeat one of them most (README: how close it comes).
 */
export async function search(db: Kysely<Database>, ownerId: string, q: string, filters: SearchFilters, page: { offset: number; limit: number }, limits: { ranked?: number; rankAll?: number; counted?: number; sample?: number } = {}) {
  const ranked = limits.ranked ?? RANKED_MATCHES;
  const rankAll = limits.rankAll ?? RANK_ALL;
  const counted = limits.counted ?? COUNTED_MATCHES;
  const sampleDocs = limits.sample ?? SAMPLE_DOCS;
  const headline = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
  const filtered = sql`${filters.type ? sql`and s.family = ${filters.type}` : sql``}
    ${filters.tag ? sql`and ${filters.tag} = any(s.tags)` : sql``}
    ${filters.from ? sql`and s.created_at >= ${filters.from}` : sql``}
    ${filters.to ? sql`and s.created_at < ${filters.to}` : sql``}`;
  const where = sql`s.owner_id = ${ownerId} ${filtered}`;
  const nameMatch = sql`(lower(s.name) % lower(${q}) or lower(s.name) like lower(${likePrefix(q)}) escape '\\' or lower(s.name) like lower(${likeInfix(q)}) escape '\\')`;
  const nameRank = sql`greatest(similarity(lower(s.name), lower(${q})), case when lower(s.name) like lower(${likePrefix(q)}) escape '\\' then 0.9 else 0 end)`;
  // what the page needs, never past what is ranked (a cursor minted for a far offset would make
  // every tier count read that many rows for a page that is empty anyway)
  const need = Math.min(page.offset + page.limit + 1, ranked + 1);
  const rows = await db.transaction().execute(async (trx) => {
    // For this transaction only. The planner counts a word test as cheap, and would rather read
    // the whole table than the index for a word in a third of a user's documents; but the
    // table's test reads each row's words from TOAST, where the index's answer reads none (no
    // recheck for a word query). It plans with the query's words (a prepared statement's generic
    // plan knows none). And the matches stay in memory.
    // The query is parsed first (in the same statement), so that the search is planned with it
    // as a value: the GIN indexes are used only for a query known when planning.
    const parsed = await sql<{ tsq: string | null; positive: string | null }>`
      select set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true), set_config('work_mem', '32MB', true),
             tsq, querytree(tsq::tsquery) as positive
      from (select string_agg(distinct '(' || t || ')', ' | ') as tsq
            from (select websearch_to_tsquery(c::regconfig, ${q})::text as t from unnest(${[...QUERY_CONFIGS]}::text[]) c) x
            where t <> '') y`.execute(trx);
    // each configuration's reading once (most agree)
    const tsq = parsed.rows[0]?.tsq ?? '';
    const positive = parsed.rows[0]?.positive ?? '';
    // A document's words have no positions: a query with a phrase (wanted or not) is tested on
    // the document by its wanted words alone (querytree: what it needs present, phrases as plain
    // words), then exactly on the passages. Other queries, negations too, are exact on the words.
    const phrase = /<(\d+|-)>/.test(tsq);
    const wanted = positive === 'T' || positive === '' ? [] : lexemesOf(positive);
    // `test` is the word test as a function, which no index answers: where the tiers' index has
    // found a few rows, each is tested rather than all the word's matches looked up beside them
    const textMatchOf = (test: 'index' | 'row') => {
      const has = (v: ReturnType<typeof sql>, query: string) => (test === 'index' ? sql`${v} @@ ${query}::tsquery` : sql`ts_match_vq(${v}, ${query}::tsquery)`);
      const needed = wanted.length === 0 ? sql`true` : has(sql`s.tsv`, positive.replace(/<(\d+|-)>/g, '&'));
      return tsq === ''
        ? sql`false`
        : phrase
          ? sql`(s.indexed and ${needed} and exists (select 1 from insights.passages p where p.file_id = s.file_id and p.version = s.version and p.tsv @@ ${tsq}::tsquery))`
          : sql`(s.indexed and ${has(sql`s.tsv`, tsq)})`;
    };
    const textMatch = textMatchOf('index');
    const tiers = wanted.length === 0 ? [] : TIERS.map((n) => tierQuery(wanted, n));
    const tierMatches = (tq: string, limit: number) =>
      sql`select s.file_id, s.version, null::real as name_rank from insights.search_docs s where ${where} and s.tiers @@ ${tq}::tsquery and ${textMatchOf('row')} limit ${limit}`;

    // The sample: the owner's first documents by id (random UUIDs), and each one's match by words
    const sampleRows = (n: number) => sql`select s.file_id, s.family, s.year, s.tags, (true ${filtered}) and ${textMatchOf('row')} as m
      from (select * from insights.search_docs s where s.owner_id = ${ownerId} order by s.owner_id, s.file_id limit ${n}) s`;
    // How many documents each of the sample's stands for, from the largest id it reached (k
    // minimum values): 1 when it read all the owner's documents
    const scaleOf = (rows: ReturnType<typeof sql>, n: number) => sql`select case when count(*) < ${n} then 1
        else greatest(1, (count(*) - 1) / ((('x' || substr(replace(max(file_id::text), '-', ''), 1, 12))::bit(48)::bigint + 1) / 2.0 ^ 48) / count(*)) end::float8 as scale
      from ${rows}`;

    // 1. how many match by their words, as the sample says, and how many of the best matches each
    // tier holds (up to what the page needs): bounded reads, whatever the words
    const probe = await sql<{ matched: number; scale: number; tiers: number[] | null }>`
      with sample as materialized (${sampleRows(sampleDocs)})
      select (select count(*)::int from sample where m) as matched, (${scaleOf(sql`sample`, sampleDocs)}) as scale,
             ${tiers.length ? sql`array[${sql.join(tiers.map((tq) => sql`(select count(*)::int from (${tierMatches(tq, need)}) t)`))}]` : sql`null::int[]`} as tiers`.execute(trx);
    const { matched, scale, tiers: inTier } = probe.rows[0]!;
    const exactCount = scale === 1 || matched * scale <= counted;
    const tier = tiers.find((_, i) => (inTier?.[i] ?? 0) >= need);

    // 2. the ranked: every match while they are few (up to rankAll, counted in text_m), else the
    // names that match and the best tier's documents
    const fromTiers = sql`
      (select file_id, version, name_rank from name_m order by name_rank desc, file_id limit ${ranked})
      ${tier ? sql`union all (${tierMatches(tier, ranked)})` : sql``}
      ${!tier && tiers.length ? sql`union all (${tierMatches(tiers.at(-1)!, ranked)})` : sql``}
      ${tier ? sql`` : exactCount ? sql`union all (select file_id, version, null from text_m order by name, file_id limit ${need})` : sql`union all (select s.file_id, s.version, null from insights.search_docs s where ${where} and ${textMatch} limit ${need})`}`;
    const few = sql`(select count(*) from text_m) <= ${rankAll}`;
    const candidates = exactCount
      ? sql`select file_id, version, max(name_rank) as name_rank from (
              select file_id, version, null::real as name_rank from text_m where ${few}
              union all select file_id, version, name_rank from name_m where ${few}
              union all select * from (${fromTiers}) t where not ${few}) c
            group by file_id, version
            order by max(name_rank) desc nulls last, file_id limit ${ranked}`
      : sql`select file_id, version, max(name_rank) as name_rank from (${fromTiers}) c
            group by file_id, version
            order by max(name_rank) desc nulls last, file_id limit ${ranked}`;
    // 3. the count and facets: of every match; or, past `counted`, the sample's text matches,
    // each weighed by the documents it stands for, and the names
    const facetRows = exactCount
      ? sql`select family, year, tags, 1::float8 as w from text_m union all select family, year, tags, 1 from name_m where not in_text`
      : sql`select family, year, tags, (select scale from sample_scale) as w from sample where m
            union all select family, year, tags, 1 from name_m where not in_text`;
    const sample = exactCount ? sql`` : sql`sample as materialized (${sampleRows(sampleDocs)}), sample_scale as (${scaleOf(sql`sample`, sampleDocs)}),`;
    const result = await sql<SearchRow>`
    with q as (select ${tsq}::tsquery as tsq), ${sample}
    text_m as materialized (
      select s.file_id, s.version, s.name, s.family, s.year, s.created_at, s.tags
      from insights.search_docs s
      where ${where} and ${exactCount ? textMatch : sql`false`}),
    name_m as materialized (
      select s.file_id, s.version, s.family, s.year, s.created_at, s.tags, ${textMatchOf('row')} as in_text, ${nameRank} as name_rank
      from insights.search_docs s
      where ${where} and ${nameMatch}),
    m as (${facetRows}),
    ranked as materialized (${candidates}),
    text_rank as (
      select r.file_id, best.idx, best.rank
      from ranked r cross join lateral (
        select p.idx, ts_rank_cd(p.tsv, ${tsq}::tsquery) as rank
        from insights.passages p
        where p.file_id = r.file_id and p.version = r.version and p.tsv @@ ${tsq}::tsquery
        order by rank desc, p.idx limit 1) best),
    scored as (
      select r.file_id, r.version, coalesce(t.rank, 0) + coalesce(r.name_rank, 0) * 0.5 as score, t.idx
      from ranked r left join text_rank t on t.file_id = r.file_id),
    page as (
      select h.file_id, h.version, h.score, h.idx, s.name
      from scored h join insights.search_docs s on s.file_id = h.file_id
      order by h.score desc, s.name, h.file_id
      offset ${page.offset} limit ${page.limit + 1})
    select 'hit' as kind, pg.file_id, pg.version, pg.score::float8 as score, pa.page, pg.name,
           case when pa.text is null then null else ts_headline(pa.config::regconfig, pa.text, (select tsq from q), ${headline}) end as snippet,
           null as value, null::int as n
      from page pg left join insights.passages pa on pa.file_id = pg.file_id and pa.version = pg.version and pa.idx = pg.idx
    union all
    select case when grouping(family) = 0 then 'type' when grouping(year) = 0 then 'year' else 'total' end, null, null, null, null, null, null,
           coalesce(family, year::text), round(sum(w))::int
      from m group by grouping sets ((family), (year), ())
    union all select 'tag', null, null, null, null, null, null, t.name, round(sum(t.w))::int
      from (select unnest(tags) as name, w from m where tags <> '{}') t group by t.name`.execute(trx);
    const rankedAll = exactCount && result.rows.filter((r) => r.kind === 'total').every((r) => r.n! <= rankAll);
    return { rows: result.rows, approximate: !rankedAll };
  });
  const { items, more, total, facets } = answerOf(rows.rows, page.limit);
  return { items, more, total, approximate: rows.approximate, facets };
}

/** A row of a search statement: a hit of the page, a facet's count, or the count of matches. */
export type SearchRow = { kind: 'hit' | 'type' | 'year' | 'tag' | 'total'; file_id: string | null; version: number | null; score: number | null; page: number | null; name: string | null; snippet: string | null; value: string | null; n: number | null };

/** The answer from a search statement's rows (the bench's baseline statement gives the same rows). */
export function answerOf(rows: readonly SearchRow[], limit: number) {
  const hits = rows
    .filter((r) => r.kind === 'hit')
    .sort((x, y) => y.score! - x.score! || x.name!.localeCompare(y.name!) || x.file_id!.localeCompare(y.file_id!));
  const items: SearchHit[] = hits.slice(0, limit).map((r) => ({
    fileId: r.file_id!,
    name: r.name!,
    version: r.version!,
    score: Math.round(r.score! * 10_000) / 10_000,
    snippet: r.snippet ? markSnippet(r.snippet) : markSnippet(r.name!),
    page: r.page,
  }));
  const facetOf = (kind: SearchRow['kind']) =>
    rows
      .filter((f) => f.kind === kind)
      .sort((a, b) => b.n! - a.n! || a.value!.localeCompare(b.value!))
      .map((f) => ({ value: f.value!, count: f.n! }));
  return {
    items,
    more: hits.length > limit,
    total: rows.find((r) => r.kind === 'total')?.n ?? 0,
    facets: { type: facetOf('type'), tag: facetOf('tag'), year: facetOf('year') },
  };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const likePrefix = (q: string) => `${escapeLike(q.trim())}%`;
const likeInfix = (q: string) => `%${escapeLike(q.trim())}%`;

export interface RetrievedPassage {
  fileId: string;
  name: string;
  version: number;
  idx: number;
  page: number | null;
  text: string;
  rank: number;
}

/**
 * Passages of the owner's active documents that share words with a question (any of them, not
 * all: a question is not a query), best first. `fileIds` narrows to those files; `version` reads a
 * given version instead of the current one (comparisons).
 */
export async function retrieve(db: Kysely<Database>, ownerId: string, question: string, opts: { fileIds?: string[] | undefined; limit: number }): Promise<RetrievedPassage[]> {
  const query = tsqueryOf(question, 'any');
  const rows = await sql<{ file_id: string; name: string; version: number; idx: number; page: number | null; text: string; rank: number }>`
    select p.file_id, d.name, p.version, p.idx, p.page, p.text, ts_rank_cd(p.tsv, q.tsq)::float8 as rank
    from insights.passages p cross join (select ${query} as tsq) q
    join insights.documents d on d.file_id = p.file_id and d.current_version = p.version
    join insights.versions v on v.file_id = p.file_id and v.version = p.version and v.status = 'indexed'
    where d.owner_id = ${ownerId} and d.status = 'active' and p.tsv @@ q.tsq
      ${opts.fileIds && opts.fileIds.length > 0 ? sql`and p.file_id = any(${opts.fileIds}::uuid[])` : sql``}
    order by rank desc, p.file_id, p.idx
    limit ${opts.limit}`.execute(db);
  return rows.rows.map((r) => ({ fileId: r.file_id, name: r.name, version: r.version, idx: r.idx, page: r.page, text: r.text, rank: r.rank }));
}

/** The whole text of one version of an owner's active document, passages in order; undefined if not indexed. */
export async function versionText(db: Kysely<Database>, ownerId: string, fileId: string, version: number): Promise<string | undefined> {
  const v = await db
    .selectFrom('insights.versions as v')
    .innerJoin('insights.documents as d', 'd.file_id', 'v.file_id')
    .select('v.status')
    .where('v.file_id', '=', fileId)
    .where('v.version', '=', version)
    .where('d.owner_id', '=', ownerId)
    .where('d.status', '=', 'active')
    .executeTakeFirst();
  if (v?.status !== 'indexed') return undefined;
  const rows = await db.selectFrom('insights.passages').select('text').where('file_id', '=', fileId).where('version', '=', version).orderBy('idx').execute();
  return rows.map((r) => r.text).join('\n\n');
}
