import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
// Empty at creation: no reset was ever requested before this read model existed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('sessions')
    .createTable('password_resets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('account_stream', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index password_resets_user on sessions.password_resets (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('sessions').dropTable('password_resets').execute();
}
