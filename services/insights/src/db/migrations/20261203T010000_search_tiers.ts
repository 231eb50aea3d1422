import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// What lets a search of a word common to most of a user's documents look at a few of them:
// - tiers: for each word a passage of the current version repeats, one lexeme per tier its count
//   reaches, `word#2` … `word#32` (tiers 2, 3, 4, 5, 6, 8, 11, 16, 23, 32: a word said four times
//   in one passage gives word#2, word#3 and word#4). A word's rank in a passage (ts_rank_cd) grows with that count, so the documents of
//   a high tier are the best of the word's matches: search ranks those instead of all of them.
//   A '#' never comes out of a text search parser, so no query of a user can name a tier.
// - search_docs_sample: the owner's documents in the order of their ids (random UUIDs), so that
//   the first n of them are a random sample: search counts and facets a very common word's
//   matches on it instead of on every match.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table insights.search_docs add column tiers tsvector not null default ''`.execute(db);
  await sql`alter table insights.search_docs alter column tiers set storage external`.execute(db);
  await sql`create index search_docs_tiers on insights.search_docs using gin (owner_id, tiers)`.execute(db);
  await sql`create index search_docs_sample on insights.search_docs (owner_id, file_id)`.execute(db);

  await sql.raw(refreshFunction(true)).execute(db);
  // the documents indexed before are given their tiers by the service once it is up, in batches
  // (a refresh of every document here would hold search_docs locked for minutes at start-up):
  // `after` is how far it got, by file id; no row, nothing left to fill
  await sql`create table insights.search_tiers_fill (id int primary key default 1 check (id = 1), after uuid not null)`.execute(db);
  await sql`insert into insights.search_tiers_fill (after) select '00000000-0000-0000-0000-000000000000' where exists (select 1 from insights.search_docs where indexed)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists insights.search_tiers_fill`.execute(db);
  await sql`drop index if exists insights.search_docs_sample`.execute(db);
  await sql`drop index if exists insights.search_docs_tiers`.execute(db);
  await sql.raw(refreshFunction(false)).execute(db);
  await sql`alter table insights.search_docs drop column if exists tiers`.execute(db);
}

/**
 * insights.refresh_search_docs as 20261202T090000_search_docs made it, and with the tiers. A
 * reading whose tiers would pass a tsvector's 1 MiB has none (its words still match; it is ranked
 * only when few documents match).
 */
function refreshFunction(tiers: boolean): string {
  const text = `
    create or replace function insights.refresh_search_docs(ids uuid[]) returns void language plpgsql as $$
    declare
      r record;
      p record;
      words tsvector;
      repeated tsvector;
    begin
      delete from insights.search_docs where file_id = any(ids);
      for r in
        select d.file_id, d.owner_id, d.current_version, d.name, v.content_type, v.created_at, v.status = 'indexed' as indexed
        from insights.documents d join insights.versions v on v.file_id = d.file_id and v.version = d.current_version
        where d.file_id = any(ids) and d.status = 'active'
      loop
        words := ''::tsvector;
        repeated := ''::tsvector;
        if r.indexed then
          begin
            -- every distinct lexeme of the version at once
            words := array_to_tsvector(array(
              select distinct lexeme from insights.passages pa cross join unnest(tsvector_to_array(pa.tsv)) lexeme
              where pa.file_id = r.file_id and pa.version = r.current_version));
          exception when program_limit_exceeded then
            -- too many for one tsvector: those of the first passages, as many as fit
            words := ''::tsvector;
            for p in select strip(tsv) as tsv from insights.passages where file_id = r.file_id and version = r.current_version order by idx loop
              begin
                words := words || p.tsv;
              exception when program_limit_exceeded then
                exit;
              end;
            end loop;
          end;
          begin
            -- each word's largest count in one passage, as the tiers it reaches
            repeated := array_to_tsvector(array(
              select t.lexeme || '#' || n
              from (select u.lexeme, max(cardinality(u.positions)) as most
                    from insights.passages pa cross join unnest(pa.tsv) u
                    where pa.file_id = r.file_id and pa.version = r.current_version and octet_length(u.lexeme) < 2000
                    group by u.lexeme) t
              cross join unnest(array[2, 3, 4, 5, 6, 8, 11, 16, 23, 32]) n
              where n <= t.most));
          exception when program_limit_exceeded then
            repeated := ''::tsvector;
          end;
        end if;
        insert into insights.search_docs (file_id, owner_id, version, name, family, year, created_at, indexed, tags, tsv, tiers)
        values (r.file_id, r.owner_id, r.current_version, r.name,
          case
            when r.content_type = 'application/pdf' then 'pdf'
            when r.content_type like 'image/%' then 'image'
            when r.content_type in ('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.oasis.opendocument.text', 'application/msword') then 'document'
            when r.content_type in ('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv') then 'spreadsheet'
            when r.content_type = 'application/vnd.openxmlformats-officedocument.presentationml.presentation' then 'presentation'
            when r.content_type like 'text/%' then 'text'
            else 'other' end,
          extract(year from r.created_at at time zone 'UTC')::int, r.created_at, r.indexed,
          array(select t.name from insights.tags t where t.file_id = r.file_id and t.accepted is not false order by t.name), words, repeated);
      end loop;
    end $$`;
  return tiers ? text : text.replace(/\n *begin\n *-- each word's[\s\S]*?repeated := ''::tsvector;\n *end;/, '').replace(', tsv, tiers)', ', tsv)').replace(', words, repeated);', ', words);');
}
