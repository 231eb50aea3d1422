import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Archived files can be read again: a download asks Blob Storage to rehydrate them, and a job
// watches for the blobs to read back hot. The file row says since when a rehydration is pending
// (the list shows it, the job scans for it) and when the last one finished (the tier job counts a
// file's age from then, or it would archive the file again at once). Each version says its blob's
// tier: a version added after the archive is hot while the older ones stay archived.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('files').alterTable('files').addColumn('rehydrating_since', 'timestamptz').addColumn('rehydrated_at', 'timestamptz').execute();
  await db.schema.withSchema('files').alterTable('versions').addColumn('tier', 'text', (c) => c.notNull().defaultTo('Hot')).execute();
  // the best the read model knows: every version of an archived file is archived (a rebuild of
  // `files` from the log gives the exact tiers of versions added after an archive)
  await sql`update files.versions v set tier = 'Archive' from files.files f where f.file_id = v.file_id and f.tier = 'Archive'`.execute(db);
  await sql`create index files_rehydrating on files.files (file_id) where rehydrating_since is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index files.files_rehydrating`.execute(db);
  await db.schema.withSchema('files').alterTable('versions').dropColumn('tier').execute();
  await db.schema.withSchema('files').alterTable('files').dropColumn('rehydrated_at').dropColumn('rehydrating_since').execute();
}
