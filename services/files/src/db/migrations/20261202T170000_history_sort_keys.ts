import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
//
// Time travel's listings in their sort orders (issue 15: the whole drive as of a moment at
// 100,000 events). The history's interval indexes (20261202T140000_history) find the states that
// held at T, but a listing wants the first 51 of them in a sort order: on a whole drive that was
// every state then, sorted. These are the live tables' keyset indexes on the history, one per
// sort key, for the whole drive and per folder, carrying the interval (`include`): a page is read
// in the sort order and the interval is a filter on the index entries, so it stops after the
// first page's rows that held then (an index-only scan where the visibility map allows). Partial
// on `active`, as every listing is. `if not exists`: on a large database an operator builds them
// `concurrently` under these names first, and this only records itself (README).
const FILE_KEYS = ['name', 'created_at', 'updated_at', 'size'] as const;
const FOLDER_KEYS = ['name', 'created_at', 'updated_at'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const key of FILE_KEYS) {
    await sql`create index if not exists ${sql.raw(`file_history_by_${key}`)} on files.file_history (owner_id, ${sql.ref(key)}, file_id) include (valid_from, valid_to) where status = 'active'`.execute(db);
    await sql`create index if not exists ${sql.raw(`file_history_in_folder_by_${key}`)} on files.file_history (owner_id, folder_id, ${sql.ref(key)}, file_id) include (valid_from, valid_to) where status = 'active'`.execute(db);
  }
  for (const key of FOLDER_KEYS) {
    await sql`create index if not exists ${sql.raw(`folder_history_in_folder_by_${key}`)} on files.folder_history (owner_id, parent_id, ${sql.ref(key)}, folder_id) include (valid_from, valid_to) where status = 'active'`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const key of FOLDER_KEYS) await sql`drop index files.${sql.raw(`folder_history_in_folder_by_${key}`)}`.execute(db);
  for (const key of FILE_KEYS) {
    await sql`drop index files.${sql.raw(`file_history_in_folder_by_${key}`)}`.execute(db);
    await sql`drop index files.${sql.raw(`file_history_by_${key}`)}`.execute(db);
  }
}
