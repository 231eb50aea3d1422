import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// A short-lived, single-use link to a ZIP of some of a user's items: a browser cannot send its
// bearer token with a navigation, and a navigation is what streams a download to disk. The link's
// random id is its credential; it is taken (deleted) by its one download or expires.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table files.zip_links (
      id uuid primary key,
      owner_id text not null,
      items jsonb not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index zip_links_by_expiry on files.zip_links (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table files.zip_links`.execute(db);
}
