import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// search_docs: one narrow row per active document, what search selects and counts with (type
// family, year, tags that are not rejected). Its words are the current version's lexemes
// without positions (strip): the GIN index answers a word query without reading them, and a
// long document's are kept out of line (storage external, toast_tuple_target), so counting the
// rows a common word matches reads little. The passages stay the truth for ranking, phrases and
// snippets.
// The owner leads both GIN indexes (btree_gin), so a word common to every user is looked up
// within one user's documents.
export async function up(db: Kysely<unknown>): Promise<void> {
  // btree_gin is a trusted extension like pg_trgm: the database owner may create it (Azure's
  // Flexible Server lists it in azure.extensions, deploy/infra/main.bicep)
  await sql`create extension if not exists btree_gin`.execute(db);
  await sql`
    create table insights.search_docs (
      file_id uuid primary key references insights.documents (file_id) on delete cascade,
      owner_id text not null,
      version integer not null,
      name text not null,
      family text not null,
      year integer not null,
      created_at timestamptz not null,
      indexed boolean not null,
      tags text[] not null,
      tsv tsvector not null
    ) with (toast_tuple_target = 128)`.execute(db);
  await sql`alter table insights.search_docs alter column tsv set storage external`.execute(db);
  await sql`create index search_docs_words on insights.search_docs using gin (owner_id, tsv)`.execute(db);
  await sql`create index search_docs_names on insights.search_docs using gin (owner_id, lower(name) gin_trgm_ops)`.execute(db);

  // The row of each named file, from documents, versions and passages: none unless the file is
  // active; words only once its current version is read. A reading whose words would pass a
  // tsvector's 1 MiB keeps those of its first passages (such a text is noise, not prose).
  await sql`
    create function insights.refresh_search_docs(ids uuid[]) returns void language plpgsql as $$
    declare
      r record;
      p record;
      words tsvector;
    begin
      delete from insights.search_docs where file_id = any(ids);
      for r in
        select d.file_id, d.owner_id, d.current_version, d.name, v.content_type, v.created_at, v.status = 'indexed' as indexed
        from insights.documents d join insights.versions v on v.file_id = d.file_id and v.version = d.current_version
        where d.file_id = any(ids) and d.status = 'active'
      loop
        words := ''::tsvector;
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
        end if;
        insert into insights.search_docs (file_id, owner_id, version, name, family, year, created_at, indexed, tags, tsv)
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
          array(select t.name from insights.tags t where t.file_id = r.file_id and t.accepted is not false order by t.name), words);
      end loop;
    end $$`.execute(db);
  await sql`select insights.refresh_search_docs(array(select file_id from insights.documents))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists insights.refresh_search_docs(uuid[])`.execute(db);
  await db.schema.withSchema('insights').dropTable('search_docs').ifExists().execute();
}
