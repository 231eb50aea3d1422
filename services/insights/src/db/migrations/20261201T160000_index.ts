import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<unknown>): Promise<void> {
  // trigram matching of names (pg_trgm is a trusted extension: the database owner may create it;
  // Azure's Flexible Server lists it in azure.extensions, deploy/infra/main.bicep)
  await sql`create extension if not exists pg_trgm`.execute(db);
  const s = db.schema.withSchema('insights');
  await s
    .createTable('documents')
    .addColumn('file_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index documents_by_owner on insights.documents (owner_id) where status = 'active'`.execute(db);
  await sql`create index documents_names on insights.documents using gin (lower(name) gin_trgm_ops)`.execute(db);

  await s
    .createTable('versions')
    .addColumn('file_id', 'uuid', (c) => c.notNull().references('insights.documents.file_id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('transient', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retry_at', 'timestamptz')
    .addColumn('extractor_version', 'integer')
    .addColumn('format', 'text')
    .addColumn('language', 'text')
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ocr_pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('chars', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('truncated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('keywords', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('entities', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('indexed_at', 'timestamptz')
    .addPrimaryKeyConstraint('versions_pk', ['file_id', 'version'])
    .execute();

  await s
    .createTable('tags')
    .addColumn('file_id', 'uuid', (c) => c.notNull().references('insights.documents.file_id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('why', 'text', (c) => c.notNull())
    .addColumn('accepted', 'boolean')
    .addPrimaryKeyConstraint('tags_pk', ['file_id', 'name'])
    .execute();

  // what the indexer has to read: kept by the projection, leased by the indexer
  await s
    .createTable('work')
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lease_until', 'timestamptz')
    .addPrimaryKeyConstraint('work_pk', ['file_id', 'version'])
    .execute();
  await sql`create index work_due on insights.work (due_at)`.execute(db);

  // what the indexer read: replaced whole with each reading, in the transaction of its event
  await s
    .createTable('passages')
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('page', 'integer')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('tsv', sql`tsvector`, (c) => c.notNull())
    .addColumn('extractor_version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('passages_pk', ['file_id', 'version', 'idx'])
    .execute();
  await sql`create index passages_tsv on insights.passages using gin (tsv)`.execute(db);

  await s
    .createTable('previews')
    .addColumn('file_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .addColumn('extractor_version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('previews_pk', ['file_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['previews', 'passages', 'work', 'tags', 'versions', 'documents']) await db.schema.withSchema('insights').dropTable(t).ifExists().execute();
}
