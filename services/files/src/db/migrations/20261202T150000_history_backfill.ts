import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// The history read models (20261202T140000_history) start empty, yet a database that had files
// before them holds their past in the log: this asks files to fill both from the log once, when
// it next starts (`rebuild_request`, read by the event store's runRequestedRebuilds). Until then
// the service does not take requests, so no as-of read or restore-to sees a past with holes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table files.rebuild_request (
      projection text primary key,
      reason text not null,
      requested_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    insert into files.rebuild_request (projection, reason) values
      ('file-history', 'new read model over the events stored before it'),
      ('folder-history', 'new read model over the events stored before it')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table files.rebuild_request`.execute(db);
}
