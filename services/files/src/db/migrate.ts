import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import * as readModels from './migrations/20261125T210000_read_models.js';

const migrations: Record<string, Migration> = {
  '20261125T210000_read_models': readModels,
};

/**
 * The service's read-model migrations, in schema `files` with their own bookkeeping table;
 * kysely's Migrator takes an advisory lock, so replicas starting together run them once.
 */
export async function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  await sql`create schema if not exists files`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: 'files',
    migrationTableName: 'read_model_migration',
    migrationLockTableName: 'read_model_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`files read-model migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
