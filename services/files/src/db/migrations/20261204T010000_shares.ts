import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Shares with other users and share links (issue 16), both read models of their own streams
// (`share-<id>`, `link-<id>`): a new log type, so there is nothing to fill from the log.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table files.shares (
      share_id uuid primary key,
      owner_id text not null,
      kind text not null check (kind in ('file', 'folder')),
      item_id uuid not null,
      recipient_id text not null,
      email text not null,
      role text not null check (role in ('viewer', 'editor')),
      created_at timestamptz not null
    )`.execute(db);
  // one share per item and recipient: a second one is refused in the append's transaction
  await sql`create unique index shares_one_per_recipient on files.shares (kind, item_id, recipient_id)`.execute(db);
  // "shared with me", and every access check of a recipient
  await sql`create index shares_by_recipient on files.shares (recipient_id, created_at desc)`.execute(db);
  await sql`
    create table files.links (
      link_id uuid primary key,
      owner_id text not null,
      kind text not null check (kind in ('file', 'folder')),
      item_id uuid not null,
      token_hash text not null unique,
      has_password boolean not null,
      expires_at timestamptz,
      max_downloads integer,
      downloads integer not null default 0,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index links_by_item on files.links (item_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table files.links`.execute(db);
  await sql`drop table files.shares`.execute(db);
}
