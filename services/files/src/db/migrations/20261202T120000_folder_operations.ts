import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// A folder trashed or restored with everything inside is worked through in batches, one short
// transaction each (a transaction as long as a folder of thousands would hold back the global
// log's horizon for every reader). The operation's row is its durable progress record: written
// in the transaction of its first batch, deleted in that of its last; while it is there, the
// folder reads as `pending`, and the jobs carry on an operation whose process died mid-way.
// Not a projection: it is work in progress, not something the log says happened.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('files')
    .createTable('folder_operations')
    .addColumn('folder_id', 'uuid', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('trash', 'restore')`))
    // the request's actor, correlation id and transport context: every batch's events carry them
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    // the time the user asked (the service's clock): every event of the operation is stamped with it
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    // the database's clock: a batch moves it, the jobs carry on operations left still for a while
    .addColumn('touched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index folder_operations_by_owner on files.folder_operations (owner_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('files').dropTable('folder_operations').execute();
}
