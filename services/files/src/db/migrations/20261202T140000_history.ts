import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Time travel: each file's and each folder's states through time, one row per state, valid from
// the event that made it until the next one (`infinity` for the state it is in now). The state of
// the open row is kept whole (`state`, the aggregate's own evolve result) so that the next event
// folds onto it; a closed row keeps only the columns a listing reads. A drive as of T is the rows
// with valid_from <= T < valid_to: an index range, not a replay of the log per request. Two
// indexes per side of the interval, so that the planner scans whichever is narrower for that T
// (recent moments: valid_to; early ones: valid_from).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table files.file_history (
      file_id uuid not null,
      valid_from timestamptz not null,
      valid_to timestamptz not null default 'infinity',
      owner_id text not null,
      revision integer not null,
      status text not null,
      name text not null,
      name_key text not null,
      folder_id uuid,
      size bigint not null,
      content_type text not null,
      sha256 text not null,
      version integer not null,
      tier text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      trashed_at timestamptz,
      trashed_with uuid,
      rehydrating_since timestamptz,
      starred boolean not null,
      state jsonb,
      primary key (file_id, valid_from)
    )`.execute(db);
  await sql`create index file_history_from on files.file_history (owner_id, folder_id, valid_from)`.execute(db);
  await sql`create index file_history_to on files.file_history (owner_id, folder_id, valid_to)`.execute(db);
  await sql`create index file_history_owner_from on files.file_history (owner_id, valid_from)`.execute(db);
  await sql`create index file_history_owner_to on files.file_history (owner_id, valid_to)`.execute(db);

  await sql`
    create table files.folder_history (
      folder_id uuid not null,
      valid_from timestamptz not null,
      valid_to timestamptz not null default 'infinity',
      owner_id text not null,
      revision integer not null,
      status text not null,
      name text not null,
      name_key text not null,
      parent_id uuid,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      trashed_at timestamptz,
      trashed_with uuid,
      starred boolean not null,
      state jsonb,
      primary key (folder_id, valid_from)
    )`.execute(db);
  await sql`create index folder_history_from on files.folder_history (owner_id, parent_id, valid_from)`.execute(db);
  await sql`create index folder_history_to on files.folder_history (owner_id, parent_id, valid_to)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table files.folder_history`.execute(db);
  await sql`drop table files.file_history`.execute(db);
}
