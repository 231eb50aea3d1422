import { type Kysely, type Migration } from 'kysely';

/**
 * Appends no longer keep a row per stream: `unique (stream_id, stream_version)` on `events` is the
 * version check, and the ordering transaction id is carried forward from the stream's previous
 * event (see README). The stream versions it held are the events' own (`max(stream_version)`).
 * Frozen in time like every migration: never edited once released.
 */
export function dropStreamsTable(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('streams').ifExists().execute();
    },
  };
}
