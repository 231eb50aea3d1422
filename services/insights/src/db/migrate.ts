import type { Kysely, Migration } from 'kysely';
import { migrateReadModels as migrate } from '@strata/service-kit';
import * as index from './migrations/20261201T160000_index.js';
import * as searchDocs from './migrations/20261202T090000_search_docs.js';
import * as searchTiers from './migrations/20261203T010000_search_tiers.js';

const migrations: Record<string, Migration> = {
  '20261201T160000_index': index,
  '20261202T090000_search_docs': searchDocs,
  '20261203T010000_search_tiers': searchTiers,
};

/** The insights service's read models and index, in schema `insights`. */
export function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  return migrate(db, 'insights', migrations);
}
