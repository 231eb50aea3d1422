import { type Kysely, type Migration, Migrator, sql } from 'kysely';

/**
 * A service's read-model migrations (frozen, timestamped files) in its own schema, with their own
 * bookkeeping table beside the event store's; kysely's Migrator takes an advisory lock, so
 * replicas starting together run them once.
 */
export async function migrateReadModels(db: Kysely<unknown>, schema: string, migrations: Record<string, Migration>): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: 'read_model_migration',
    migrationLockTableName: 'read_model_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`${schema} read-model migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
