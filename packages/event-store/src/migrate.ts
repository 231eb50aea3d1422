import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import { createEventStore } from './migrations/20261125T090000_create_event_store.js';
import { dropStreamsTable } from './migrations/20261126T090000_drop_streams_table.js';

/** The event store's own migration table, so a service's own kysely migrations can keep the defaults. */
export const MIGRATION_TABLE = 'event_store_migration';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  // the schema also names the NOTIFY channel and advisory lock keys: keep it a plain identifier
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*`);
}

/** Every migration, by name; names sort in time order. */
function migrations(schema: string): Record<string, Migration> {
  return {
    '20261125T090000_create_event_store': createEventStore(schema),
    '20261126T090000_drop_streams_table': dropStreamsTable(),
  };
}

/**
 * Brings the event store's tables in `schema` up to date. Safe to call from every replica at
 * start-up: a session advisory lock per schema makes the others wait, then find nothing to do.
 */
export async function migrateEventStore(db: Kysely<unknown>, schema: string): Promise<MigrationResultSet> {
  assertSchemaName(schema);
  return db.connection().execute(async (conn) => {
    // kysely's own lock is a transaction lock taken after it has created its tables, and
    // `create schema if not exists` itself races (a unique violation on pg_namespace), so both run
    // under our lock, on this one connection
    const key = `strata.event-store.migrate.${schema}`;
    await sql`select pg_advisory_lock(hashtextextended(${key}, 0))`.execute(conn);
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
      const scoped = conn.withSchema(schema);
      const migrator = new Migrator({
        db: scoped,
        provider: { getMigrations: async () => migrations(schema) },
        migrationTableSchema: schema,
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: `${MIGRATION_TABLE}_lock`,
      });
      const result = await migrator.migrateToLatest();
      if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
      return result;
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(conn);
    }
  });
}
