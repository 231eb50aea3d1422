import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// "Export everything" (POST /me/exports): a job per request, built in the background by whichever
// replica claims it. Its state lives here, not in a process, so a restart half-way builds it again
// from the start (heartbeat_at tells a job whose builder died from one being built).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table files.exports (
      id uuid primary key,
      owner_id text not null,
      status text not null check (status in ('queued', 'running', 'ready', 'failed')),
      done_bytes bigint not null default 0,
      total_bytes bigint,
      blob_name text,
      size bigint,
      error text,
      attempts integer not null default 0,
      heartbeat_at timestamptz,
      created_at timestamptz not null,
      completed_at timestamptz,
      expires_at timestamptz
    )`.execute(db);
  await sql`create index exports_by_owner on files.exports (owner_id, created_at desc)`.execute(db);
  await sql`create index exports_to_build on files.exports (created_at) where status in ('queued', 'running')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table files.exports`.execute(db);
}
