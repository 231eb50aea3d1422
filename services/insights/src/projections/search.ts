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
 * How many of a search's matches are ranked exactly: all of them up to this many, else those whose
 * names match (best first) and then the newest. Ranking reads every ranked document's passages,
 * so it is what a word common to most of a drive would make slow; counting and facets read only
 * search_docs' narrow rows and stay exact whatever the number.
 */
export const RANKED_MATCHES = 500;

/**
 * The owner's active documents whose current version's text or name matches, best first, one hit
 * per file (its best passage, with the matches marked), the facets of all matches and their count.
 */
export async function search(db: Kysely<Database>, ownerId: string, q: string, filters: SearchFilters, page: { offset: number; limit: number }, ranked = RANKED_MATCHES) {
  const headline = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
  const where = sql`s.owner_id = ${ownerId}
    ${filters.type ? sql`and s.family = ${filters.type}` : sql``}
    ${filters.tag ? sql`and ${filters.tag} = any(s.tags)` : sql``}
    ${filters.from ? sql`and s.created_at >= ${filters.from}` : sql``}
    ${filters.to ? sql`and s.created_at < ${filters.to}` : sql``}`;
  const nameMatch = sql`(lower(s.name) % lower(${q}) or lower(s.name) like lower(${likePrefix(q)}) escape '\\' or lower(s.name) like lower(${likeInfix(q)}) escape '\\')`;
  // One statement. search_docs finds the matches: the documents holding every word (a phrase's
  // words at document level, its order then checked in the passages), and the names by words, a
  // prefix or a near spelling; only their narrow columns are read, for the count and the facets.
  // The ranked ones (RANKED_MATCHES) are ranked on their passages; only the page's passages are
  // read whole, for their snippets.
  const rows = await db.transaction().execute(async (trx) => {
    // For this statement only. The planner counts a word test as cheap, and would rather read
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
    const needed = positive === 'T' || positive === '' ? sql`true` : sql`s.tsv @@ ${positive.replace(/<(\d+|-)>/g, '&')}::tsquery`;
    const textMatch =
      tsq === ''
        ? sql`false`
        : phrase
          ? sql`(s.indexed and ${needed} and exists (select 1 from insights.passages p where p.file_id = s.file_id and p.version = s.version and p.tsv @@ ${tsq}::tsquery))`
          : sql`(s.indexed and s.tsv @@ ${tsq}::tsquery)`;
    return sql<SearchRow>`
    with q as (select ${tsq}::tsquery as tsq),
    text_m as materialized (
      select s.file_id, s.version, s.family, s.year, s.created_at, s.tags
      from insights.search_docs s
      where ${where} and ${textMatch}),
    name_m as materialized (
      select s.file_id, s.version, s.family, s.year, s.created_at, s.tags, ${textMatch} as in_text,
             greatest(similarity(lower(s.name), lower(${q})), case when lower(s.name) like lower(${likePrefix(q)}) escape '\\' then 0.9 else 0 end) as name_rank
      from insights.search_docs s
      where ${where} and ${nameMatch}),
    m as (
      select family, year, tags from text_m
      union all select family, year, tags from name_m where not in_text),
    ranked as (
      select file_id, version, name_rank from (
        select file_id, version, name_rank, created_at from name_m
        union all select file_id, version, null, created_at from text_m where file_id not in (select file_id from name_m)) c
      order by name_rank desc nulls last, created_at desc, file_id limit ${ranked}),
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
           coalesce(family, year::text), count(*)::int
      from m group by grouping sets ((family), (year), ())
    union all select 'tag', null, null, null, null, null, null, t.name, count(*)::int
      from (select unnest(tags) as name from m where tags <> '{}') t group by t.name`.execute(trx);
  });
  const { items, more, total, facets } = answerOf(rows.rows, page.limit);
  return { items, more, total, approximate: total > ranked, facets };
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
