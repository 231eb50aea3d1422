import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Folders: a read model of their own, and files gain the folder they are in (null: the root),
// the key their name clashes on in it (NFC, case-folded: written by the projection; the backfill
// below is Postgres' nearest, and a rebuild of `files` writes the projection's own), the folder
// whose trash took them along, and a star. Listing a folder is one keyset range per sort key on
// (owner, folder, key, id), as the flat list is on (owner, key, id).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('files')
    .alterTable('files')
    .addColumn('folder_id', 'uuid')
    .addColumn('name_key', 'text')
    .addColumn('trashed_with', 'uuid')
    .addColumn('starred_at', 'timestamptz')
    .execute();
  await sql`update files.files set name_key = lower(upper(normalize(name, NFC)))`.execute(db);
  await sql`alter table files.files alter column name_key set not null`.execute(db);
  for (const key of ['name', 'created_at', 'updated_at', 'size']) {
    await sql`create index ${sql.raw(`files_in_folder_by_${key}`)} on files.files (owner_id, folder_id, ${sql.ref(key)}, file_id) where status = 'active'`.execute(db);
  }
  await sql`create index files_name_keys on files.files (owner_id, folder_id, name_key) where status = 'active'`.execute(db);
  await sql`create index files_trashed_with on files.files (trashed_with) where trashed_with is not null`.execute(db);
  await sql`create index files_starred on files.files (owner_id, starred_at, file_id) where starred_at is not null`.execute(db);

  // a resumable upload names its folder at creation; it lands there when it completes
  await db.schema.withSchema('files').alterTable('uploads').addColumn('folder_id', 'uuid').execute();

  await db.schema
    .withSchema('files')
    .createTable('folders')
    .addColumn('folder_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'uuid')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('trashed_at', 'timestamptz')
    .addColumn('trashed_with', 'uuid')
    .addColumn('starred_at', 'timestamptz')
    .execute();
  // names are kept unique under the tree lock, not by a unique index: a move that renames, or a
  // restore that keeps both, passes through a moment (between its two events) where one would fire
  await sql`create index folders_name_keys on files.folders (owner_id, parent_id, name_key) where status = 'active'`.execute(db);
  for (const key of ['name', 'created_at', 'updated_at']) {
    await sql`create index ${sql.raw(`folders_in_folder_by_${key}`)} on files.folders (owner_id, parent_id, ${sql.ref(key)}, folder_id) where status = 'active'`.execute(db);
  }
  await sql`create index folders_by_parent on files.folders (parent_id) where parent_id is not null`.execute(db);
  await sql`create index folders_trashed_with on files.folders (trashed_with) where trashed_with is not null`.execute(db);
  await sql`create index folders_trash on files.folders (owner_id, trashed_at, folder_id) where status = 'trashed'`.execute(db);
  await sql`create index folders_starred on files.folders (owner_id, starred_at, folder_id) where starred_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('files').dropTable('folders').execute();
  await db.schema.withSchema('files').alterTable('uploads').dropColumn('folder_id').execute();
  for (const key of ['name', 'created_at', 'updated_at', 'size']) await sql`drop index files.${sql.raw(`files_in_folder_by_${key}`)}`.execute(db);
  for (const index of ['files_name_keys', 'files_trashed_with', 'files_starred']) await sql`drop index files.${sql.raw(index)}`.execute(db);
  await db.schema.withSchema('files').alterTable('files').dropColumn('starred_at').dropColumn('trashed_with').dropColumn('name_key').dropColumn('folder_id').execute();
}
