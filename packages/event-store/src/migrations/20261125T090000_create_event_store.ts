import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The event store's tables. Frozen in time: this file never imports application code and is never
 * edited once released; later changes are new files.
 *
 * `db` is already bound to the caller's schema (Kysely#withSchema), so these names land there.
 */
export function createEventStore(schema: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // one row per stream: the row lock serialises appends to a stream, and `tx_order` carries the
      // ordering transaction id forward so a stream's events never go backwards in the global log
      await db.schema
        .createTable('streams')
        .addColumn('stream_id', 'text', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull().check(sql`version > 0`))
        .addColumn('tx_order', sql`xid8`, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('global_position', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
        .addColumn('tx_order', sql`xid8`, (c) => c.notNull())
        .addColumn('stream_id', 'text', (c) => c.notNull())
        .addColumn('stream_version', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('schema_version', 'integer', (c) => c.notNull())
        .addColumn('data', 'jsonb', (c) => c.notNull())
        .addColumn('metadata', 'jsonb', (c) => c.notNull())
        .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
        .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('events_stream_version_key', ['stream_id', 'stream_version'])
        .execute();

      // the global log's read order; (tx_order, global_position) is unique because positions are
      await db.schema.createIndex('events_log_order').on('events').columns(['tx_order', 'global_position']).unique().execute();

      // relay and subscription checkpoints: a cursor into the global log per consumer
      await db.schema
        .createTable('checkpoints')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('tx_order', sql`xid8`, (c) => c.notNull())
        .addColumn('global_position', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      await sql`comment on table ${sql.id(schema, 'events')} is ${sql.lit(
        'Event log. Read it in (tx_order, global_position) order below pg_snapshot_xmin(pg_current_snapshot()); see @strata/event-store README.',
      )}`.execute(db);
    },
  };
}
