/**
 * The statement search ran before search_docs (commit db0f839): every matching passage of the
 * owner's current versions ranked, its document and version checked for each. Kept only so the
 * bench can time today's search against it in the same run, on the same rows (`npm run bench -w
 * @strata/insights -- --part search`); nothing in the service calls it.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { MARK_END, MARK_START } from '../src/indexer/indexer.js';
import { type SearchFilters, type SearchRow, answerOf, tsqueryOf } from '../src/projections/search.js';

const TYPE_FAMILY_SQL = sql<string>`case
  when v.content_type = 'application/pdf' then 'pdf'
  when v.content_type like 'image/%' then 'image'
  when v.content_type in ('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.oasis.opendocument.text', 'application/msword') then 'document'
  when v.content_type in ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv') then 'spreadsheet'
  when v.content_type = 'application/vnd.openxmlformats-officedocument.presentationml.presentation' then 'presentation'
  when v.content_type like 'text/%' then 'text'
  else 'other' end`;


/** The baseline search: the same answer as `search` but `total`, from the passages alone. */
export async function baselineSearch(db: Kysely<Database>, ownerId: string, q: string, filters: SearchFilters, page: { offset: number; limit: number }) {
  const query = tsqueryOf(q, 'all');
  const headline = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
  const where = sql`d.owner_id = ${ownerId} and d.status = 'active'
    ${filters.type ? sql`and ${TYPE_FAMILY_SQL} = ${filters.type}` : sql``}
    ${filters.tag ? sql`and exists (select 1 from insights.tags t where t.file_id = d.file_id and t.name = ${filters.tag} and t.accepted is not false)` : sql``}
    ${filters.from ? sql`and v.created_at >= ${filters.from}` : sql``}
    ${filters.to ? sql`and v.created_at < ${filters.to}` : sql``}`;
  // A match is a passage of the current version, or the name (words, a prefix, or a near
  // spelling). One statement: the matches are found once (hits, materialised) and both the page
  // and the facets are read from them; the best passage per file is chosen from keys and ranks,
  // and only the page's passages are read whole for their snippets.
  const rows = await sql<SearchRow>`
    with q as (select ${query} as tsq),
    text_hits as (
      select distinct on (p.file_id) p.file_id, p.version, p.idx, ts_rank_cd(p.tsv, q.tsq) as rank
      from insights.passages p cross join q
      join insights.documents d on d.file_id = p.file_id and d.current_version = p.version
      join insights.versions v on v.file_id = p.file_id and v.version = p.version and v.status = 'indexed'
      where p.tsv @@ q.tsq and ${where}
      order by p.file_id, rank desc, p.idx),
    name_hits as (
      select d.file_id, d.current_version as version,
             greatest(similarity(lower(d.name), lower(${q})), case when lower(d.name) like lower(${likePrefix(q)}) escape '\\' then 0.9 else 0 end) as rank
      from insights.documents d
      join insights.versions v on v.file_id = d.file_id and v.version = d.current_version
      where (lower(d.name) % lower(${q}) or lower(d.name) like lower(${likePrefix(q)}) escape '\\' or lower(d.name) like lower(${likeInfix(q)}) escape '\\') and ${where}),
    hits as materialized (
      select coalesce(t.file_id, n.file_id) as file_id, coalesce(t.version, n.version) as version,
             coalesce(t.rank, 0) + coalesce(n.rank, 0) * 0.5 as score, t.idx
      from text_hits t full join name_hits n on n.file_id = t.file_id),
    page as (
      select h.file_id, h.version, h.score, h.idx, d.name
      from hits h join insights.documents d on d.file_id = h.file_id
      order by h.score desc, d.name, h.file_id
      offset ${page.offset} limit ${page.limit + 1}),
    facet_rows as (
      select h.file_id, ${TYPE_FAMILY_SQL} as family, extract(year from v.created_at)::int::text as year
      from hits h join insights.versions v on v.file_id = h.file_id and v.version = h.version)
    select 'hit' as kind, pg.file_id, pg.version, pg.score::float8 as score, pa.page, pg.name,
           case when pa.text is null then null else ts_headline(pa.config::regconfig, pa.text, (select tsq from q), ${headline}) end as snippet,
           null as value, null::int as n
      from page pg left join insights.passages pa on pa.file_id = pg.file_id and pa.version = pg.version and pa.idx = pg.idx
    union all select 'type', null, null, null, null, null, null, family, count(*)::int from facet_rows group by family
    union all select 'year', null, null, null, null, null, null, year, count(*)::int from facet_rows group by year
    union all select 'tag', null, null, null, null, null, null, t.name, count(*)::int
      from facet_rows f join insights.tags t on t.file_id = f.file_id and t.accepted is not false group by t.name`.execute(db);
  const { items, more, facets } = answerOf(rows.rows, page.limit);
  return { items, more, facets };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const likePrefix = (q: string) => `${escapeLike(q.trim())}%`;
const likeInfix = (q: string) => `%${escapeLike(q.trim())}%`;
