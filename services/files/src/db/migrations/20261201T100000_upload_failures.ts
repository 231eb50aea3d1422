import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// A resumable upload whose completion is refused (over quota, wrong size) ends for good: it is
// marked failed, and what it reserved of the quota is free again. Open uploads (neither
// completed nor failed) are summed per owner at every creation, hence the partial index.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('files')
    .alterTable('uploads')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('failure', 'text')
    .execute();
  await sql`alter table files.uploads add constraint uploads_failure_named check ((failed_at is null) = (failure is null))`.execute(db);
  await sql`drop index files.uploads_by_owner`.execute(db);
  await sql`create index uploads_open_by_owner on files.uploads (owner_id, expires_at) where completed_at is null and failed_at is null`.execute(db);
  await sql`create index uploads_unfinished_by_expiry on files.uploads (expires_at) where completed_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index files.uploads_unfinished_by_expiry`.execute(db);
  await sql`drop index files.uploads_open_by_owner`.execute(db);
  await sql`create index uploads_by_owner on files.uploads (owner_id) where completed_at is null`.execute(db);
  await sql`alter table files.uploads drop constraint uploads_failure_named`.execute(db);
  await db.schema.withSchema('files').alterTable('uploads').dropColumn('failure').dropColumn('failed_at').execute();
}
