import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<unknown>): Promise<void> {
  // who registered a client in the self-service API (null: an operator, with the script)
  await sql`alter table sessions.partner_clients add column owner_user_id text`.execute(db);
  await sql`alter table sessions.partner_clients add column secret_rotated_at timestamptz`.execute(db);
  await sql`create index partner_clients_by_owner on sessions.partner_clients (owner_user_id, registered_at) where owner_user_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists sessions.partner_clients_by_owner`.execute(db);
  await sql`alter table sessions.partner_clients drop column if exists secret_rotated_at`.execute(db);
  await sql`alter table sessions.partner_clients drop column if exists owner_user_id`.execute(db);
}
