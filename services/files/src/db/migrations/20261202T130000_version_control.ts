import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Version control: a version may be named (`label`) and may be a restore of an older one
// (`restored_from`), whose blob it shares: a blob name is no longer unique among versions, so its
// unique constraint becomes a plain index (the orphan sweep and the blob checks look blobs up by
// name). Each user may set a retention policy for old versions (`retention`: a setting, not a
// read model; no row means every version is kept).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('files').alterTable('versions').addColumn('label', 'text').addColumn('restored_from', 'integer').execute();
  await sql`alter table files.versions drop constraint versions_blob_name_key`.execute(db);
  await sql`create index versions_blob_name on files.versions (blob_name)`.execute(db);
  // the usage page sums an owner's old versions
  await sql`create index versions_owner on files.versions (owner_id)`.execute(db);
  await db.schema
    .withSchema('files')
    .createTable('retention')
    .addColumn('owner_id', 'text', (c) => c.primaryKey())
    .addColumn('keep_last', 'integer')
    .addColumn('keep_days', 'integer')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('files').dropTable('retention').execute();
  await sql`drop index files.versions_owner`.execute(db);
  await sql`drop index files.versions_blob_name`.execute(db);
  await sql`alter table files.versions add constraint versions_blob_name_key unique (blob_name)`.execute(db);
  await db.schema.withSchema('files').alterTable('versions').dropColumn('restored_from').dropColumn('label').execute();
}
