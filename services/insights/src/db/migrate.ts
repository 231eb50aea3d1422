import type { Kysely, Migration } from 'kysely';
import { migrateReadModels as migrate } from '@strata/service-kit';
import * as index from './migrations/20261201T160000_index.js';

const migrations: Record<string, Migration> = {
  '20261201T160000_index': index,
};

/** The insights service's read models and index, in schema `insights`. */
export function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  return migrate(db, 'insights', migrations);
}
