import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('files');
  await s
    .createTable('files')
    .addColumn('file_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('trashed_at', 'timestamptz')
    .execute();
  // keyset pagination: one index per sort key, each ending with the id that breaks ties
  for (const key of ['name', 'created_at', 'updated_at', 'size']) {
    await sql`create index ${sql.raw(`files_by_${key}`)} on files.files (owner_id, ${sql.ref(key)}, file_id) where status = 'active'`.execute(db);
  }
  await sql`create index files_trash on files.files (owner_id, trashed_at, file_id) where status = 'trashed'`.execute(db);
  await sql`create index files_lifecycle on files.files (updated_at) where status = 'active'`.execute(db);

  await s
    .createTable('versions')
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('version_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('blob_name', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('versions_pk', ['file_id', 'version'])
    .execute();

  await s
    .createTable('usage')
    .addColumn('owner_id', 'text', (c) => c.primaryKey())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull())
    .addColumn('versions', 'integer', (c) => c.notNull())
    .execute();
  await s
    .createTable('usage_by_type')
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('versions', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_by_type_pk', ['owner_id', 'content_type'])
    .execute();

  await s
    .createTable('activity')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('event_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index activity_by_owner on files.activity (owner_id, seq desc)`.execute(db);

  await s
    .createTable('grants')
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('grants_pk', ['file_id', 'client_id'])
    .execute();
  await sql`create index grants_by_client on files.grants (client_id, file_id)`.execute(db);

  await s
    .createTable('idempotency')
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_pk', ['owner_id', 'key'])
    .execute();

  await s
    .createTable('uploads')
    .addColumn('upload_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version_id', 'uuid', (c) => c.notNull())
    .addColumn('blob_name', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('length', 'bigint', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await sql`create index uploads_by_owner on files.uploads (owner_id) where completed_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['uploads', 'idempotency', 'grants', 'activity', 'usage_by_type', 'usage', 'versions', 'files']) {
    await db.schema.withSchema('files').dropTable(table).execute();
  }
}
