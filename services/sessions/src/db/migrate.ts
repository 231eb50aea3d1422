import type { Kysely, Migration } from 'kysely';
import { migrateReadModels as migrate } from '@strata/service-kit';
import * as readModels from './migrations/20261125T200000_read_models.js';

const migrations: Record<string, Migration> = {
  '20261125T200000_read_models': readModels,
};

/** The sessions service's read models, in schema `sessions`. */
export function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  return migrate(db, 'sessions', migrations);
}
